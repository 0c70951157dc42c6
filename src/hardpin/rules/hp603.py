"""HP603: no signature for the image digest (`hardpin verify`)."""

from __future__ import annotations

from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext


class HP603(Rule):
    """No cosign signature exists for the image digest.

    ## What it does
    `hardpin verify IMAGE` and `hardpin check --verify` look for the
    signatures of every image a `[tool.hardpin.verify]` policy covers, where
    cosign puts them: OCI referrers holding Sigstore bundles (the referrers
    API, else the `sha256-<hex>` referrers tag), then the legacy
    `sha256-<hex>.sig` tag. This rule reports a digest with none at all.

    ## Why it matters
    A pinned digest says *which* image is built on, not *who* published it.
    Without a signature nothing ties the image to its publisher's key or CI
    identity: a compromised registry account or a typo-squatted repository
    serves unsigned images that look the same.

    ## Example
    ```toml
    [[tool.hardpin.verify.images]]
    references = ["ghcr.io/acme/*"]
    key = "cosign.pub"
    ```
    with `ghcr.io/acme/app@sha256:…` never signed.

    ## Use instead
    Sign the digest in the release pipeline (`cosign sign --key … IMAGE@DIGEST`
    or keyless), or correct the policy if the image is not meant to be covered.

    ## Fix safety
    No automatic fix. Network: the referrers API or tag and the `.sig` tag,
    fetched fresh on every run.
    """

    code = "HP603"
    name = "unsigned-image"
    severity = Severity.ERROR
    online = True
    kinds = frozenset({"image"})

    def check(self, ctx: RuleContext) -> None:
        """Verdicts come from hardpin.verify (registry discovery), not from a file."""
