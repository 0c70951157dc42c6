"""HP506: keyless cosign signing in a job without `id-token: write`."""

from __future__ import annotations

from hardpin.analysis.signing import id_token_write, workflow_jobs
from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext


class HP506(Rule):
    """Keyless cosign signing in a job without `id-token: write`.

    ## What it does
    Reports `cosign sign` and `cosign attest` without `--key` (keyless,
    through Fulcio and the workflow's OIDC token) in a job whose
    `permissions` — the job's own, else the workflow's — do not grant
    `id-token: write` (or `write-all`).

    ## Why it matters
    Without the permission the runner has no OIDC token: keyless signing
    fails, or falls back to an interactive flow that hangs the job, and a
    release goes out unsigned. Granting `id-token: write` to that job only
    keeps the other jobs from minting tokens.

    ## Example
    ```yaml
    jobs:
      release:
        permissions:
          packages: write
        steps:
          - run: cosign sign --yes ghcr.io/org/app@sha256:…
    ```

    ## Use instead
    ```yaml
    jobs:
      release:
        permissions:
          packages: write
          id-token: write
        steps:
          - run: cosign sign --yes ghcr.io/org/app@sha256:…
    ```

    ## Fix safety
    No automatic fix: permissions are reviewed by hand.
    """

    code = "HP506"
    name = "keyless-signing-without-id-token"
    severity = Severity.ERROR
    kinds = frozenset({"workflow"})

    def check(self, ctx: RuleContext) -> None:
        for job in workflow_jobs(ctx):
            keyless = [e for e in job.events if e.what == "keyless"]
            if not keyless or id_token_write(job) is not False:
                continue
            for e in keyless:
                ctx.report(
                    self,
                    e.start,
                    e.end,
                    f"{e.label} signs keyless in job {job.name}, which has no "
                    "`id-token: write` permission (job or workflow `permissions`)",
                    subject=f"{job.name} {e.label}",
                )
