"""Keyless (certificate-based) verification.

Keyless Sigstore bundles are verified through sigstore-python (the optional
`hardpin[keyless]` extra). Legacy keyless `.sig`/`.att` layers carry only a signed
entry timestamp and no inclusion proof; hardpin does not accept them.
"""

from __future__ import annotations

from typing import Any

from hardpin.verify.cosign import Outcome
from hardpin.verify.crypto import VerifyError


def keyless_outcome(layer: Any, blob: bytes, policy: Any, digest: str) -> Outcome:
    raise VerifyError(
        f"{policy.origin}: keyless verification (certificate identity and issuer) "
        "is not supported yet; use a key (`key = ...` or --key)"
    )
