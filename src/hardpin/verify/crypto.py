"""Public keys and signatures as cosign makes them, verified with `cryptography`.

`cryptography` is an optional dependency (`pip install 'hardpin[verify]'`) imported
only by this module, so nothing else of hardpin pays for it.

Key types cosign signs with and verifies (sigstore's `signature` package):

* ECDSA P-256, P-384, P-521: an ASN.1 DER signature over the hash of the message.
  cosign hashes with SHA-256 unless told otherwise (`--signature-digest-algorithm`),
  sigstore's newer default verifiers hash with the curve's own size (SHA-384 for
  P-384, SHA-512 for P-521): both are accepted.
* Ed25519: pure Ed25519 over the message itself.
* RSA: PKCS #1 v1.5 or PSS (salt length as Go's `rsa.VerifyPSS` with no options:
  any), both over SHA-256.

A key file is a PEM `PUBLIC KEY` (PKIX), as `cosign generate-key-pair` and
`cosign public-key` write it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from hardpin.model import HardpinError

MAX_KEY_FILE = 64 << 10


class VerifyError(HardpinError):
    """Verification cannot run: no cryptography, an unreadable key or policy."""


def _crypto() -> Any:
    try:
        import cryptography  # noqa: F401
    except ImportError:
        raise VerifyError(
            "verifying signatures needs the `cryptography` package: pip install 'hardpin[verify]'"
        ) from None
    from cryptography.hazmat.primitives import serialization

    return serialization


def b64decode(text: object) -> bytes:
    """Standard or URL-safe base64, padded or not (DSSE: verifiers MUST accept both).
    ValueError for anything else."""
    if not isinstance(text, str):
        raise ValueError("not a base64 string")
    s = "".join(text.split())
    if not s:
        raise ValueError("empty")
    s = s.replace("-", "+").replace("_", "/")
    s += "=" * (-len(s) % 4)
    try:
        return base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64") from None


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: what a DSSE signature signs."""
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


class PublicKey:
    """A verifying key from a PEM file. `fingerprint` is the sha256 of its PKIX DER in
    base64, which is what cosign puts in a bundle's `publicKey.hint`."""

    def __init__(self, key: Any, source: str) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

        self.key = key
        self.source = source
        der = key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.fingerprint_bytes = hashlib.sha256(der).digest()
        self.fingerprint = base64.b64encode(self.fingerprint_bytes).decode()
        if isinstance(key, ec.EllipticCurvePublicKey):
            names = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
            curve = names.get(key.curve.name)
            if curve is None:
                raise VerifyError(f"{source}: ECDSA curve {key.curve.name} is not one cosign uses")
            self.kind = f"ECDSA {curve}"
        elif isinstance(key, ed25519.Ed25519PublicKey):
            self.kind = "Ed25519"
        elif isinstance(key, rsa.RSAPublicKey):
            if key.key_size < 2048:
                raise VerifyError(f"{source}: RSA keys shorter than 2048 bits are refused")
            self.kind = f"RSA {key.key_size}"
        else:
            raise VerifyError(f"{source}: unsupported key type {type(key).__name__}")

    def __repr__(self) -> str:
        return f"PublicKey({self.kind}, {self.source})"

    def hint_matches(self, hint: object) -> bool | None:
        """Whether a key hint (base64 sha256 of the PKIX DER, or its hex) names this key;
        None when the hint is absent or unreadable."""
        if not isinstance(hint, str) or not hint.strip():
            return None
        h = hint.strip()
        if h.lower() == self.fingerprint_bytes.hex():
            return True
        try:
            return b64decode(h) == self.fingerprint_bytes
        except ValueError:
            return None

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Whether `signature` is this key's signature of `message`."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

        key = self.key
        try:
            if isinstance(key, ec.EllipticCurvePublicKey):
                algs: list[Any] = [hashes.SHA256()]
                if key.curve.name == "secp384r1":
                    algs.append(hashes.SHA384())
                elif key.curve.name == "secp521r1":
                    algs.append(hashes.SHA512())
                for alg in algs:
                    try:
                        key.verify(signature, message, ec.ECDSA(alg))
                        return True
                    except InvalidSignature:
                        continue
                return False
            if isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(signature, message)
                return True
            if isinstance(key, rsa.RSAPublicKey):
                try:
                    key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
                    return True
                except InvalidSignature:
                    pss = padding.PSS(
                        mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO
                    )
                    key.verify(signature, message, pss, hashes.SHA256())
                    return True
        except (InvalidSignature, ValueError):
            return False
        return False  # pragma: no cover - key types are checked in __init__


def load_public_key(path: str) -> PublicKey:
    """The public key in PEM file `path` (VerifyError naming the file otherwise)."""
    serialization = _crypto()
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_KEY_FILE + 1)
    except OSError as exc:
        raise VerifyError(f"{path}: cannot read the key: {exc.strerror or exc}") from None
    if len(data) > MAX_KEY_FILE:
        raise VerifyError(f"{path}: not a public key file (larger than {MAX_KEY_FILE} bytes)")
    if b"PRIVATE KEY" in data:
        raise VerifyError(
            f"{path}: this is a private key; give the public key (`cosign public-key`)"
        )
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else "unreadable"
        raise VerifyError(f"{path}: not a PEM public key ({first[:120]})") from None
    return PublicKey(key, path)
