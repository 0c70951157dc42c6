"""What a discovered cosign signature or attestation proves, checked against a policy.

* Legacy `.sig` layer: the blob is the simple-signing payload; the layer annotation
  `dev.cosignproject.cosign/signature` is the base64 signature over the blob bytes.
  The payload must say `critical.type` "cosign container image signature" and
  `critical.image.docker-manifest-digest` must be the image digest, as a string.
* Legacy `.att` layer: the blob is a DSSE envelope; the signature covers the DSSE
  PAE of (payloadType, payload). The payload is an in-toto Statement.
* Sigstore bundle (v0.3, OCI referrer): `dsseEnvelope` as above;
  `verificationMaterial.publicKey.hint` names the key of a key-based bundle, a
  certificate makes it keyless (hardpin.verify.keyless).

A Statement is read from exactly the bytes whose signature verified (DSSE: never
re-parse the envelope), must have `_type` in-toto v0.1 or v1, a `subject` whose
`digest.sha256` is the image's, and its `predicateType` decides what it is. The
`predicateType` annotations next to a layer are not signed and are never trusted.
"""

from __future__ import annotations

import json
from typing import Any

from hardpin._record import record
from hardpin.verify.crypto import PublicKey, b64decode, pae

SIG_ANNOTATION = "dev.cosignproject.cosign/signature"
CERT_ANNOTATION = "dev.sigstore.cosign/certificate"
INTOTO_PAYLOAD = "application/vnd.in-toto+json"
STATEMENT_TYPES = frozenset(
    {"https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1"}
)
SIMPLESIGNING_TYPE = "cosign container image signature"


@record
class Outcome:
    """A verified statement (or simple-signing payload), or why there is none."""

    ok: bool
    reason: str = ""  # when not ok: one clause for a message
    predicate_type: str = ""  # "" for a simple-signing payload
    predicate: Any = None


def _fail(reason: str) -> Outcome:
    return Outcome(ok=False, reason=reason)


def _loads(data: bytes) -> Any:
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON ({exc})") from None


def check_simplesigning(
    blob: bytes, annotations: dict[str, str], key: PublicKey, digest: str
) -> Outcome:
    """A legacy `.sig` layer against `key` and the image `digest`."""
    raw = annotations.get(SIG_ANNOTATION)
    if raw is None:
        return _fail(
            "malformed signature layer: no `dev.cosignproject.cosign/signature` annotation"
        )
    try:
        sig = b64decode(raw)
    except ValueError:
        return _fail("malformed signature layer: the signature annotation is not base64")
    if not key.verify(sig, blob):
        return _fail(
            f"the signature does not verify with {key.source}: signed by another key, "
            "or the payload was changed after signing"
        )
    try:
        payload = _loads(blob)
    except ValueError as exc:
        return _fail(f"the signed payload is {exc}")
    critical = payload.get("critical") if isinstance(payload, dict) else None
    if not isinstance(critical, dict):
        return _fail("the signed payload has no `critical` section")
    if critical.get("type") != SIMPLESIGNING_TYPE:
        return _fail(
            f"the signed payload's type is {str(critical.get('type'))[:60]!r}, not a cosign image signature"
        )
    image = critical.get("image")
    signed = image.get("docker-manifest-digest") if isinstance(image, dict) else None
    if signed != digest:
        return _fail(f"the signature is for another image: its payload names {str(signed)[:80]}")
    return Outcome(ok=True)


def parse_envelope(data: bytes | Any) -> tuple[dict[str, Any] | None, str]:
    """(envelope, "") or (None, why it is malformed)."""
    if isinstance(data, bytes | bytearray):
        try:
            env = _loads(bytes(data))
        except ValueError as exc:
            return None, f"malformed envelope: {exc}"
    else:
        env = data
    if not isinstance(env, dict):
        return None, "malformed envelope: not a JSON object"
    if not isinstance(env.get("payload"), str):
        return None, "malformed envelope: no `payload`"
    if not isinstance(env.get("payloadType"), str):
        return None, "malformed envelope: no `payloadType`"
    sigs = env.get("signatures")
    if not isinstance(sigs, list) or not sigs:
        return None, "malformed envelope: no `signatures`"
    if not all(isinstance(s, dict) and isinstance(s.get("sig"), str) for s in sigs):
        return None, "malformed envelope: a signature without `sig`"
    return env, ""


def verify_envelope(
    env: dict[str, Any], key: PublicKey, digest: str, hint: object = None
) -> Outcome:
    """A DSSE envelope signed by `key` whose Statement is about `digest`."""
    if env["payloadType"] != INTOTO_PAYLOAD:
        return _fail(f"malformed envelope: payloadType {env['payloadType'][:80]!r} is not in-toto")
    try:
        body = b64decode(env["payload"])
    except ValueError:
        return _fail("malformed envelope: the payload is not base64")
    message = pae(env["payloadType"], body)
    verified = False
    for s in env["signatures"]:
        try:
            sig = b64decode(s["sig"])
        except ValueError:
            continue
        if key.verify(sig, message):
            verified = True
            break
    if not verified:
        names: list[bool | None] = [key.hint_matches(hint)]
        names += [key.hint_matches(s.get("keyid")) for s in env["signatures"]]
        if any(n is True for n in names):
            return _fail(
                f"the signature of {key.source} does not match the payload: "
                "the payload was changed after signing"
            )
        if any(n is False for n in names):
            return _fail(f"signed by another key, not {key.source}")
        return _fail(
            f"the signature does not verify with {key.source}: signed by another key, "
            "or the payload was changed after signing"
        )
    return statement_outcome(body, digest)


def statement_outcome(body: bytes, digest: str) -> Outcome:
    """The in-toto Statement in verified bytes `body`, about image `digest`."""
    try:
        st = _loads(body)
    except ValueError as exc:
        return _fail(f"the signed statement is {exc}")
    if not isinstance(st, dict) or st.get("_type") not in STATEMENT_TYPES:
        return _fail("the signed payload is not an in-toto Statement")
    subjects = st.get("subject")
    if not isinstance(subjects, list) or not subjects:
        return _fail("the signed statement has no subject")
    hexpart = digest.split(":", 1)[1]
    names: list[str] = []
    for s in subjects:
        d = s.get("digest") if isinstance(s, dict) else None
        if isinstance(d, dict):
            if d.get("sha256") == hexpart:
                break
            if isinstance(d.get("sha256"), str):
                names.append("sha256:" + d["sha256"][:64])
    else:
        shown = ", ".join(names[:2]) or "no sha256 digest"
        return _fail(f"the statement is about another image ({shown})")
    ptype = st.get("predicateType")
    if not isinstance(ptype, str):
        return _fail("the signed statement has no predicateType")
    return Outcome(ok=True, predicate_type=ptype, predicate=st.get("predicate"))


def parse_bundle(data: bytes) -> tuple[dict[str, Any] | None, str]:
    """(bundle, "") or (None, why it is malformed)."""
    try:
        b = _loads(data)
    except ValueError as exc:
        return None, f"malformed bundle: {exc}"
    if not isinstance(b, dict):
        return None, "malformed bundle: not a JSON object"
    mt = b.get("mediaType")
    if not isinstance(mt, str) or not mt.startswith("application/vnd.dev.sigstore.bundle"):
        return None, "malformed bundle: no Sigstore bundle mediaType"
    if not isinstance(b.get("verificationMaterial"), dict):
        return None, "malformed bundle: no verificationMaterial"
    if "dsseEnvelope" not in b:
        if "messageSignature" in b:
            return None, "a message-signature bundle (not an image signature or attestation)"
        return None, "malformed bundle: no dsseEnvelope"
    return b, ""


def bundle_hint(bundle: dict[str, Any]) -> object:
    pk = bundle["verificationMaterial"].get("publicKey")
    return pk.get("hint") if isinstance(pk, dict) else None


def bundle_is_keyless(bundle: dict[str, Any]) -> bool:
    vm = bundle["verificationMaterial"]
    return "certificate" in vm or "x509CertificateChain" in vm
