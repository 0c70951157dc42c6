"""HP504: a workflow publishes a container image and nothing signs it."""

from __future__ import annotations

from hardpin.analysis.signing import unmatched_publishes
from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext


class HP504(Rule):
    """A workflow publishes a container image and nothing signs it.

    ## What it does
    Reports each step that pushes an image — `docker/build-push-action` or
    `docker/bake-action` with `push: true`, `docker push`, `docker buildx
    build --push`, `podman push`, `buildah push`, `ko build`, `jib`,
    `crane push`, `skopeo copy` to a registry — when no step of the
    workflow signs an image (`cosign sign`, `cosign attest`, `notation
    sign`, `actions/attest-build-provenance`, `actions/attest-sbom`, the SLSA
    generator).

    ## Why it matters
    Without a signature, whoever pulls the image cannot tell the image this
    workflow built from one pushed with stolen registry credentials. A
    signature made in the workflow ties the digest to the repository and
    the run that built it.

    ## Example
    ```yaml
    - uses: docker/build-push-action@<sha> # v6
      with:
        push: true
        tags: ghcr.io/org/app:1.0
    ```

    ## Use instead
    ```yaml
    - uses: docker/build-push-action@<sha> # v6
      id: build
      with:
        push: true
        tags: ghcr.io/org/app:1.0
    - run: cosign sign --yes ghcr.io/org/app@${{ steps.build.outputs.digest }}
    ```

    ## Fix safety
    No automatic fix: signing needs a key or keyless identity chosen by the
    project.
    """

    code = "HP504"
    name = "unsigned-image-publish"
    severity = Severity.WARNING
    kinds = frozenset({"workflow", "action"})

    def check(self, ctx: RuleContext) -> None:
        for job, e in unmatched_publishes(ctx, "sign"):
            ctx.report(
                self,
                e.start,
                e.end,
                f"job {job.name} publishes an image ({e.label}) and nothing in the "
                "workflow signs it (cosign sign, notation sign, attest-build-provenance)",
                subject=f"{job.name} {e.label}",
            )
