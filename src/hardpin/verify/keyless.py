"""Keyless (certificate-based) verification of Sigstore bundles through sigstore-python
(the optional `hardpin[keyless]` extra, imported only here).

With a transparency-log entry (the normal case), `sigstore.verify.Verifier.verify_dsse`
does the whole Sigstore check against the trusted root (`--trusted-root FILE` /
`trusted-root`, else the public-good instance's root that sigstore-python ships):
a verified time from the log's inclusion promise, the certificate chain to the
CA at that time, the embedded SCT against the CT log keys, KeyUsage and code
signing EKU, the identity policy, the Merkle inclusion proof and its signed
checkpoint, the certificate's validity at the logged time, the DSSE signature and
the log entry's consistency with the envelope. The identity policy is hardpin's:
the certificate's SAN (email, URI or Sigstore's OtherName) must equal the
identity or match the regexp (searched, as cosign's Go regexp), and the OIDC
issuer extension (1.3.6.1.4.1.57264.1.8, else 1.1) likewise.

A bundle without a log entry is refused unless the policy says `ignore-tlog`
(`--insecure-ignore-tlog`), as cosign does; then the certificate chain and its
SCT are checked at the current time (there is no trusted signing time), with the
same identity policy and DSSE signature check.

Legacy keyless `.sig`/`.att` layers (a certificate annotation and a signed entry
timestamp, no inclusion proof) are not accepted.
"""

from __future__ import annotations

import re
from typing import Any

from hardpin.verify import cosign
from hardpin.verify.cosign import Outcome
from hardpin.verify.crypto import PublicKey, VerifyError, b64decode

_VERIFIERS: dict[str | None, Any] = {}
_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"
_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"
_SAN_OTHERNAME = "1.3.6.1.4.1.57264.1.7"


def _fail(reason: str) -> Outcome:
    return Outcome(ok=False, reason=reason)


def _sigstore() -> Any:
    try:
        import sigstore.verify
    except ImportError:
        raise VerifyError(
            "keyless verification needs sigstore-python: pip install 'hardpin[keyless]'"
        ) from None
    import sigstore

    return sigstore


def _verifier(trusted_root: str | None) -> Any:
    v = _VERIFIERS.get(trusted_root)
    if v is not None:
        return v
    _sigstore()
    from sigstore.models import TrustedRoot
    from sigstore.verify import Verifier

    if trusted_root is None:
        v = Verifier.production(offline=True)
    else:
        try:
            v = Verifier(trusted_root=TrustedRoot.from_file(trusted_root))
        except OSError as exc:
            raise VerifyError(
                f"{trusted_root}: cannot read the trusted root: {exc.strerror or exc}"
            ) from None
        except Exception as exc:  # sigstore raises pydantic/its own errors for bad files
            first = (str(exc).splitlines() or ["unreadable"])[0][:160]
            raise VerifyError(f"{trusted_root}: not a Sigstore trusted root ({first})") from None
    _VERIFIERS[trusted_root] = v
    return v


def _der_string(value: bytes) -> str:
    """The text of a DER string (UTF8String, IA5String, ...), or the bytes as text."""
    if len(value) >= 2 and value[0] in (0x0C, 0x16, 0x13):
        n = value[1]
        start = 2
        if n & 0x80:
            width = n & 0x7F
            n = int.from_bytes(value[2 : 2 + width], "big")
            start = 2 + width
        return value[start : start + n].decode("utf-8", "replace")
    return value.decode("utf-8", "replace")


def identities(cert: Any) -> list[str]:
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    out: list[str] = list(san.get_values_for_type(x509.RFC822Name))
    out += san.get_values_for_type(x509.UniformResourceIdentifier)
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id.dotted_string == _SAN_OTHERNAME:
            out.append(_der_string(other.value))
    return out


def oidc_issuer(cert: Any) -> str | None:
    from cryptography import x509

    for oid, der in ((_ISSUER_V2, True), (_ISSUER_V1, False)):
        try:
            ext = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(oid))
        except x509.ExtensionNotFound:
            continue
        raw = ext.value.value
        return _der_string(raw) if der else raw.decode("utf-8", "replace")
    return None


def _matches(value: str, exact: str | None, regexp: str | None) -> bool:
    if exact is not None:
        return value == exact
    return regexp is not None and re.search(regexp, value) is not None


class IdentityPolicy:
    """sigstore-python's VerificationPolicy protocol, with the policy's identity and
    issuer (exact or regexp); raises sigstore's VerificationError saying which."""

    def __init__(self, policy: Any) -> None:
        self.policy = policy

    def problem(self, cert: Any) -> str | None:
        p = self.policy
        names = identities(cert)
        if not any(_matches(n, p.identity, p.identity_regexp) for n in names):
            wanted = p.identity if p.identity is not None else f"/{p.identity_regexp}/"
            shown = ", ".join(names[:3]) or "no identity"
            return f"certificate identity mismatch: the certificate is for {shown}, the policy wants {wanted}"
        issuer = oidc_issuer(cert)
        if issuer is None or not _matches(issuer, p.issuer, p.issuer_regexp):
            wanted = p.issuer if p.issuer is not None else f"/{p.issuer_regexp}/"
            return (
                f"OIDC issuer mismatch: the certificate's issuer is {issuer or 'missing'}, "
                f"the policy wants {wanted}"
            )
        return None

    def verify(self, cert: Any) -> None:
        from sigstore.errors import VerificationError

        problem = self.problem(cert)
        if problem is not None:
            raise VerificationError(problem)


def keyless_outcome(layer: Any, blob: bytes, policy: Any, digest: str) -> Outcome:
    """A discovered layer against a keyless policy."""
    if layer.kind != "bundle":
        if cosign.CERT_ANNOTATION in layer.annotations:
            return _fail(
                "a legacy keyless signature (certificate annotation, no inclusion proof), "
                "which hardpin does not accept: sign with the bundle format"
            )
        return _fail(f"a key-based signature, and the policy wants {policy.signer()}")
    bundle, why = cosign.parse_bundle(blob)
    if bundle is None:
        return _fail(why)
    if not cosign.bundle_is_keyless(bundle):
        return _fail(f"a key-based bundle, and the policy wants {policy.signer()}")
    env, why = cosign.parse_envelope(bundle["dsseEnvelope"])
    if env is None:
        return _fail(why)
    verifier = _verifier(policy.trusted_root)
    entries = bundle["verificationMaterial"].get("tlogEntries") or []
    if not entries:
        if not policy.ignore_tlog:
            return _fail(
                "no transparency-log proof in the bundle (--insecure-ignore-tlog / "
                "ignore-tlog accepts that)"
            )
        return _without_tlog(verifier, bundle, env, policy, digest)
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import Bundle

    try:
        sb = Bundle.from_json(blob)
    except (SigstoreError, ValueError) as exc:
        return _fail(f"malformed bundle: {_first_line(exc)}")
    try:
        payload_type, payload = verifier.verify_dsse(sb, IdentityPolicy(policy))
    except (SigstoreError, ValueError) as exc:
        return _fail(_explain(exc, sb.signing_certificate))
    if payload_type != cosign.INTOTO_PAYLOAD:
        return _fail(f"malformed envelope: payloadType {payload_type[:80]!r} is not in-toto")
    return cosign.statement_outcome(payload, digest)


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def _explain(exc: BaseException, cert: Any) -> str:
    text = _first_line(exc)
    if "mismatch" in text:
        return text
    if "not valid at validation time" in text or "expired at time of signing" in text:
        return (
            "the signing certificate was not valid when the signature was logged "
            f"(valid {cert.not_valid_before_utc:%Y-%m-%d %H:%M} to "
            f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC)"
        )
    if "certificate chain" in text:
        return f"the certificate does not chain to the trusted root: {text}"
    if "Signature is invalid" in text or "invalid signature" in text.lower():
        return f"the signature does not match the payload: {text}"
    return f"keyless verification failed: {text}"


def _without_tlog(
    verifier: Any, bundle: dict[str, Any], env: dict[str, Any], policy: Any, digest: str
) -> Outcome:
    """`ignore-tlog`: chain, SCT, usages and identity at the current time, then DSSE."""
    import datetime

    from cryptography.x509 import ExtendedKeyUsage, KeyUsage, load_der_x509_certificate
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from cryptography.x509.verification import (
        Criticality,
        ExtensionPolicy,
        PolicyBuilder,
        Store,
        VerificationError,
    )
    from sigstore._internal.sct import verify_sct
    from sigstore._internal.trust import KeyringPurpose
    from sigstore.errors import Error as SigstoreError

    cert_field = bundle["verificationMaterial"].get("certificate")
    try:
        raw = b64decode(cert_field.get("rawBytes") if isinstance(cert_field, dict) else None)
        cert = load_der_x509_certificate(raw)
    except ValueError:
        return _fail("malformed bundle: no readable certificate")
    root = verifier._trusted_root
    now = datetime.datetime.now(datetime.UTC)
    ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(
        ExtendedKeyUsage, Criticality.NON_CRITICAL, None
    )
    ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        ExtendedKeyUsage, Criticality.NON_CRITICAL, None
    )
    builder = (
        PolicyBuilder()
        .store(Store(root.get_fulcio_certs()))
        .time(now)
        .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
    )
    try:
        chain = builder.build_client_verifier().verify(cert, []).chain[1:]
    except VerificationError as exc:
        text = str(exc)
        if "not valid at validation time" in text:
            return _fail(_explain(exc, cert).replace("when the signature was logged", "now"))
        return _fail(f"the certificate does not chain to the trusted root: {text[:160]}")
    try:
        verify_sct(cert, chain, root.ct_keyring(KeyringPurpose.VERIFY))
    except SigstoreError as exc:
        return _fail(f"the certificate's SCT does not verify: {_first_line(exc)}")
    usage = cert.extensions.get_extension_for_class(KeyUsage).value
    eku = cert.extensions.get_extension_for_class(ExtendedKeyUsage).value
    if not usage.digital_signature or ExtendedKeyUsageOID.CODE_SIGNING not in eku:
        return _fail("the certificate is not for code signing")
    problem = IdentityPolicy(policy).problem(cert)
    if problem is not None:
        return _fail(problem)
    key = PublicKey(cert.public_key(), "the signing certificate")
    return cosign.verify_envelope(env, key, digest)
