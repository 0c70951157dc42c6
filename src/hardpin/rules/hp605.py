"""HP605: no SBOM attestation signed under the policy."""

from __future__ import annotations

from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext


class HP605(Rule):
    """No SBOM attestation of the required type is signed under the policy.

    ## What it does
    For each attestation type a policy requires (`attestations = ["spdxjson"]`,
    `--type cyclonedx`), looks for DSSE attestations of the digest (legacy
    `sha256-<hex>.att` layers, Sigstore bundles among the referrers), verifies
    each one's signature with the policy's signer, and reads the signed
    in-toto statement: its subject must be this digest and its
    `predicateType` must be SPDX (`https://spdx.dev/Document…`) or CycloneDX
    (`https://cyclonedx.org/bom…`). The `predicateType` annotation next to an
    attestation is not signed: it is used only to skip other types, never
    believed.

    ## Why it matters
    An SBOM is what vulnerability scanners and incident response read. One
    that anybody could have attached, or that describes another image, is
    worse than none.

    ## Example
    `cosign attest --type spdxjson` was never run for the release digest, or
    the attestation was made with another key.

    ## Use instead
    `cosign attest --key … --type spdxjson --predicate sbom.spdx.json IMAGE@DIGEST`
    (or keyless) in the release pipeline.

    ## Fix safety
    No automatic fix.
    """

    code = "HP605"
    name = "missing-sbom-attestation"
    severity = Severity.ERROR
    online = True
    kinds = frozenset({"image"})

    def check(self, ctx: RuleContext) -> None:
        """Verdicts come from hardpin.verify (registry discovery), not from a file."""
