"""Cosign's signature and attestation formats, written by the tests with `cryptography`
into the real registry (tests/registry_support.py), as cosign writes them:

* legacy signature: tag `sha256-<hex>.sig`, an OCI image manifest with one
  `application/vnd.dev.cosign.simplesigning.v1+json` layer per signature (the
  blob is the simple-signing payload, the base64 signature in the layer
  annotation `dev.cosignproject.cosign/signature`) (cosign pkg/oci/static,
  pkg/oci/mutate; sigstore pkg/signature/payload);
* legacy attestation: tag `sha256-<hex>.att`, layers
  `application/vnd.dsse.envelope.v1+json` holding the DSSE envelope, annotated
  `predicateType` and an empty signature annotation;
* Sigstore bundle v0.3 as an OCI referrer: an artifact manifest with
  `artifactType` = the bundle media type, the empty config, `subject` = the image,
  annotations `dev.sigstore.bundle.content` / `dev.sigstore.bundle.predicateType`,
  pushed by digest and listed in the `sha256-<hex>` referrers tag index (the
  registry, distribution 2.8, has no referrers API).

Image signatures in the bundle format are in-toto v1 statements with predicate type
`https://sigstore.dev/cosign/sign/v1` (cosign v3 `sign`); `cosign attest` writes
in-toto v0.1 statements.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from registry_support import (
    OCI_INDEX,
    OCI_MANIFEST,
    Registry,
    call,
    push_blob,
    push_manifest,
    sha256_digest,
)

SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
DSSE_LAYER = "application/vnd.dsse.envelope.v1+json"
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
EMPTY_CONFIG = "application/vnd.oci.empty.v1+json"
INTOTO = "application/vnd.in-toto+json"
SIGN_TYPE = "https://sigstore.dev/cosign/sign/v1"
SPDX = "https://spdx.dev/Document"
CYCLONEDX = "https://cyclonedx.org/bom"
KEY_KINDS = ("p256", "p384", "p521", "ed25519", "rsa-pkcs1", "rsa-pss")


class Key:
    """A fresh signing key of one of the kinds cosign supports."""

    def __init__(self, kind: str = "p256") -> None:
        self.kind = kind
        if kind == "p256":
            self.private: Any = ec.generate_private_key(ec.SECP256R1())
        elif kind == "p384":
            self.private = ec.generate_private_key(ec.SECP384R1())
        elif kind == "p521":
            self.private = ec.generate_private_key(ec.SECP521R1())
        elif kind == "ed25519":
            self.private = ed25519.Ed25519PrivateKey.generate()
        elif kind.startswith("rsa"):
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            raise ValueError(kind)

    def sign(self, data: bytes) -> bytes:
        k = self.private
        if self.kind == "p256":
            return k.sign(data, ec.ECDSA(hashes.SHA256()))  # type: ignore[no-any-return]
        if self.kind in ("p384", "p521"):
            # cosign's default --signature-digest-algorithm is sha256 for every key;
            # P-384 signs with SHA-384 here to cover the curve-sized default as well
            alg = hashes.SHA384() if self.kind == "p384" else hashes.SHA256()
            return k.sign(data, ec.ECDSA(alg))  # type: ignore[no-any-return]
        if self.kind == "ed25519":
            return k.sign(data)  # type: ignore[no-any-return]
        if self.kind == "rsa-pkcs1":
            return k.sign(data, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[no-any-return]
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return k.sign(data, pss, hashes.SHA256())  # type: ignore[no-any-return]

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(  # type: ignore[no-any-return]
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def write_public(self, path: Path) -> Path:
        path.write_bytes(self.public_pem())
        return path

    def hint(self) -> str:
        der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(hashlib.sha256(der).digest()).decode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def simple_signing_payload(docker_reference: str, digest: str) -> bytes:
    """sigstore's payload.Cosign marshalled by Go: fixed field order, no spaces."""
    critical = {
        "identity": {"docker-reference": docker_reference},
        "image": {"docker-manifest-digest": digest},
        "type": "cosign container image signature",
    }
    return json.dumps({"critical": critical, "optional": None}, separators=(",", ":")).encode()


def pae(payload_type: str, body: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def statement(
    digest: str, predicate_type: str, predicate: Any, name: str = "image", v1: bool = True
) -> bytes:
    return json.dumps(
        {
            "_type": "https://in-toto.io/Statement/" + ("v1" if v1 else "v0.1"),
            "subject": [{"name": name, "digest": {"sha256": digest.split(":", 1)[1]}}],
            "predicateType": predicate_type,
            "predicate": predicate,
        }
    ).encode()


def envelope(body: bytes, key: Key, keyid: str = "") -> dict[str, Any]:
    sig = key.sign(pae(INTOTO, body))
    return {
        "payloadType": INTOTO,
        "payload": b64(body),
        "signatures": [{"keyid": keyid, "sig": b64(sig)}],
    }


def bundle(env: dict[str, Any], key: Key | None) -> bytes:
    vm: dict[str, Any] = {"tlogEntries": []}
    if key is not None:
        vm["publicKey"] = {"hint": key.hint()}
    return json.dumps(
        {"mediaType": BUNDLE, "verificationMaterial": vm, "dsseEnvelope": env}
    ).encode()


def _config_for(blobs: list[bytes]) -> bytes:
    """The config cosign writes for a signature image (pkg/oci/empty + mutate)."""
    return json.dumps(
        {
            "architecture": "",
            "created": "0001-01-01T00:00:00Z",
            "history": [{"created": "0001-01-01T00:00:00Z"}] * len(blobs),
            "os": "",
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(b) for b in blobs]},
            "config": {},
        },
        separators=(",", ":"),
    ).encode()


def _push_tag_manifest(
    reg: Registry, repo: str, tag: str, layers: list[tuple[bytes, str, dict[str, str]]]
) -> str:
    blobs = [data for data, _, _ in layers]
    config = _config_for(blobs)
    push_blob(reg, repo, config)
    descs = []
    for data, media, notes in layers:
        push_blob(reg, repo, data)
        descs.append(
            {
                "mediaType": media,
                "size": len(data),
                "digest": sha256_digest(data),
                "annotations": notes,
            }
        )
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "size": len(config),
            "digest": sha256_digest(config),
        },
        "layers": descs,
    }
    return push_manifest(reg, repo, tag, json.dumps(manifest).encode(), OCI_MANIFEST)


def legacy_tag(digest: str, suffix: str) -> str:
    return f"sha256-{digest.split(':', 1)[1]}.{suffix}"


def push_legacy_signatures(
    reg: Registry, repo: str, digest: str, signatures: list[tuple[bytes, bytes]]
) -> str:
    """`sha256-<hex>.sig` with one layer per (payload, signature)."""
    layers = [
        (payload, SIMPLESIGNING, {"dev.cosignproject.cosign/signature": b64(sig)})
        for payload, sig in signatures
    ]
    return _push_tag_manifest(reg, repo, legacy_tag(digest, "sig"), layers)


def sign_legacy(
    reg: Registry, repo: str, digest: str, key: Key, signed_digest: str | None = None
) -> str:
    payload = simple_signing_payload(f"{reg.host}/{repo}", signed_digest or digest)
    return push_legacy_signatures(reg, repo, digest, [(payload, key.sign(payload))])


def push_legacy_attestations(
    reg: Registry, repo: str, digest: str, envelopes: list[tuple[bytes, str]]
) -> str:
    """`sha256-<hex>.att` with one layer per (envelope JSON, predicateType annotation)."""
    layers = [
        (env, DSSE_LAYER, {"predicateType": ptype, "dev.cosignproject.cosign/signature": ""})
        for env, ptype in envelopes
    ]
    return _push_tag_manifest(reg, repo, legacy_tag(digest, "att"), layers)


EMPTY = b"{}"


def push_bundle_referrer(
    reg: Registry,
    repo: str,
    digest: str,
    bundle_bytes: bytes,
    predicate_type: str | None,
    fallback_tag: bool = True,
) -> str:
    """Push a bundle as an OCI 1.1 artifact referring to `digest`, and add it to the
    `sha256-<hex>` referrers tag index (what a client does on a registry without the
    referrers API)."""
    push_blob(reg, repo, EMPTY)
    push_blob(reg, repo, bundle_bytes)
    subject = call(
        "HEAD",
        f"{reg.url}/v2/{repo}/manifests/{digest}",
        {
            **reg.admin_headers(repo),
            "Accept": f"{OCI_MANIFEST}, {OCI_INDEX}, "
            "application/vnd.docker.distribution.manifest.v2+json",
        },
    )
    annotations = {
        "dev.sigstore.bundle.content": "dsse-envelope",
        "org.opencontainers.image.created": "2026-01-01T00:00:00Z",
    }
    if predicate_type is not None:
        annotations["dev.sigstore.bundle.predicateType"] = predicate_type
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": BUNDLE,
        "config": {"mediaType": EMPTY_CONFIG, "size": 2, "digest": sha256_digest(EMPTY)},
        "layers": [
            {"mediaType": BUNDLE, "size": len(bundle_bytes), "digest": sha256_digest(bundle_bytes)}
        ],
        "subject": {
            "mediaType": subject.headers.get("content-type", OCI_MANIFEST).split(";")[0],
            "size": int(subject.headers.get("content-length", "0")),
            "digest": digest,
        },
        "annotations": annotations,
    }
    body = json.dumps(manifest).encode()
    mdigest = push_manifest(reg, repo, sha256_digest(body), body, OCI_MANIFEST)
    if not fallback_tag:
        return mdigest
    tag = f"sha256-{digest.split(':', 1)[1]}"
    r = call(
        "GET",
        f"{reg.url}/v2/{repo}/manifests/{tag}",
        {**reg.admin_headers(repo), "Accept": OCI_INDEX},
    )
    index = (
        json.loads(r.body)
        if r.status == 200
        else {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
    )
    entry = {
        "mediaType": OCI_MANIFEST,
        "size": len(body),
        "digest": mdigest,
        "artifactType": BUNDLE,
        "annotations": annotations,
    }
    index["manifests"].append(entry)
    push_manifest(reg, repo, tag, json.dumps(index).encode(), OCI_INDEX)
    return mdigest


def sign_bundle(
    reg: Registry, repo: str, digest: str, key: Key, subject_digest: str | None = None
) -> str:
    """A cosign v3 image signature: in-toto v1, predicate cosign/sign/v1, in a bundle."""
    body = statement(subject_digest or digest, SIGN_TYPE, {}, name=f"{reg.host}/{repo}")
    return push_bundle_referrer(reg, repo, digest, bundle(envelope(body, key), key), SIGN_TYPE)
