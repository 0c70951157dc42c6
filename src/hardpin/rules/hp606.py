"""HP606: an SBOM (attested or a file) is invalid or empty."""

from __future__ import annotations

from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext


class HP606(Rule):
    """SBOM attestation or file is invalid or empty.

    ## What it does
    Checks the SBOM of a verified attestation (`hardpin verify`) or an SBOM
    file (`hardpin sbom FILE`): SPDX 2.3 JSON (document fields, namespace,
    SPDX identifiers, references that resolve, checksums) or CycloneDX
    1.4–1.6 JSON (format, version, the properties and component types the
    schema allows, `bom-ref`s and dependencies that resolve). Reports an
    invalid document, one without packages, and one with fewer packages than
    the policy's `minimum-packages`. SPDX 3 JSON-LD is recognised and
    reported as not supported yet.

    ## Why it matters
    An SBOM generator that failed silently produces an empty or truncated
    document that still signs and attests fine; scanners then report an image
    without vulnerabilities because they see no packages.

    ## Example
    A CycloneDX SBOM whose `dependencies` name a `bom-ref` no component has,
    or an SPDX document with no `documentNamespace`.

    ## Use instead
    Generate the SBOM with a current tool (`syft`, `trivy`, `cdxgen`) over the
    built image, check it with `hardpin sbom FILE`, then attest it.

    ## Fix safety
    No automatic fix.
    """

    code = "HP606"
    name = "invalid-sbom"
    severity = Severity.ERROR
    online = True
    kinds = frozenset({"image", "sbom"})

    def check(self, ctx: RuleContext) -> None:
        """Verdicts come from hardpin.verify.sbom, not from the lint run."""
