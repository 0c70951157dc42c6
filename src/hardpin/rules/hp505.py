"""HP505: a workflow publishes a container image without an SBOM."""

from __future__ import annotations

from hardpin.analysis.signing import unmatched_publishes
from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext


class HP505(Rule):
    """A workflow publishes a container image without an SBOM.

    ## What it does
    Reports each step that pushes an image (the publishing steps of HP504)
    when nothing in the workflow produces a software bill of materials:
    `syft`, `anchore/sbom-action`, `cosign attest --type spdxjson` or
    `cyclonedx`, `docker/build-push-action` with `sbom: true`, `docker
    buildx … --sbom=true` or `--attest type=sbom`, `actions/attest-sbom`,
    `trivy` with an SPDX or CycloneDX format.

    ## Why it matters
    An SBOM published with the image lets its users find out what it
    contains when the next vulnerability is announced, without pulling and
    scanning every image they run.

    ## Example
    ```yaml
    - uses: docker/build-push-action@<sha> # v6
      with:
        push: true
    ```

    ## Use instead
    ```yaml
    - uses: docker/build-push-action@<sha> # v6
      with:
        push: true
        sbom: true
    ```

    ## Fix safety
    No automatic fix: which SBOM tool and format is the project's choice.
    """

    code = "HP505"
    name = "image-publish-without-sbom"
    severity = Severity.INFO
    kinds = frozenset({"workflow", "action"})

    def check(self, ctx: RuleContext) -> None:
        for job, e in unmatched_publishes(ctx, "sbom"):
            ctx.report(
                self,
                e.start,
                e.end,
                f"job {job.name} publishes an image ({e.label}) and nothing in the "
                "workflow produces an SBOM (syft, sbom: true, cosign attest --type spdxjson)",
                subject=f"{job.name} {e.label}",
            )
