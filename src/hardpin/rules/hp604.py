"""HP604: the image has signatures, but none verifies against the policy."""

from __future__ import annotations

from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext


class HP604(Rule):
    """A signature exists, but none verifies against the policy.

    ## What it does
    For every signature found for the digest (legacy `.sig` simple-signing
    layers, Sigstore bundles whose signed statement is a cosign image
    signature), checks the signature against the policy's key (ECDSA P-256,
    P-384, P-521, Ed25519, RSA) or certificate identity and issuer, then that
    the signed payload names this digest. Reports the image when none passes,
    with each signature's reason: signed by another key, the payload changed
    after signing, a payload for another digest, identity or issuer mismatch,
    a certificate outside its validity, a malformed envelope.

    ## Why it matters
    A signature by the wrong key proves nothing, and a valid signature of
    another digest is the classic substitution attack: an attacker copies a
    real signature next to their own image.

    ## Example
    An image signed with a developer's own key while the policy names the
    release key.

    ## Use instead
    Sign with the key or CI identity the policy names, or update the policy
    when the signer has legitimately changed (key rotation).

    ## Fix safety
    No automatic fix.
    """

    code = "HP604"
    name = "signature-not-verified"
    severity = Severity.ERROR
    online = True
    kinds = frozenset({"image"})

    def check(self, ctx: RuleContext) -> None:
        """Verdicts come from hardpin.verify (registry discovery), not from a file."""
