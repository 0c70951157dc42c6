"""Where cosign keeps the signatures and attestations of an image, found as cosign
finds them, through the registry client (hardpin.online.registry).

For image digest D (`sha256:<hex>`) in repository R, in this order:

1. OCI referrers: `GET /v2/R/referrers/D` (OCI 1.1). A registry without the API
   answers 404 (distribution 2.8 does, as plain text) or something that is not an
   index; then the referrers tag schema's fallback tag `sha256-<hex>` (no suffix),
   an OCI index kept by the pushing client. Entries whose `artifactType` is a
   Sigstore bundle are fetched by digest; a manifest whose `subject` is not D is
   skipped. Each one's first bundle layer is a candidate.
2. The legacy tags `sha256-<hex>.sig` (one simple-signing layer per signature) and
   `sha256-<hex>.att` (one DSSE envelope layer per attestation).

Every manifest is hashed (RegistryClient does); blobs are fetched by digest and
hashed, with a size cap. Nothing here decides whether a signature is good: the
candidates go to hardpin.verify. Annotations are returned as found: they are not
signed and the verifier uses them only to skip candidates.
"""

from __future__ import annotations

from typing import Any

from hardpin._record import record
from hardpin.online.registry import (
    MAX_MANIFEST,
    OCI_INDEX,
    RegistryClient,
    RegistryError,
    _label,
    _loads,
    _media_type,
)
from hardpin.refs import Digest, ImageRef, InvalidDigest

BUNDLE_TYPES = frozenset(
    {
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
    }
)
SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
DSSE_LAYER = "application/vnd.dsse.envelope.v1+json"
MAX_SIGNATURE_BLOB = 1 << 20  # a simple-signing payload
MAX_ATTESTATION_BLOB = 64 << 20  # an envelope or bundle carrying an SBOM
MAX_LAYERS = 256  # signatures or attestations read per manifest


@record
class Layer:
    """One signature or attestation found for the image, not yet verified."""

    where: str  # for messages: "sha256-<hex>.sig layer 1", "referrer sha256:…"
    kind: str  # "simplesigning" (legacy .sig), "dsse" (legacy .att), "bundle"
    media_type: str
    digest: str
    size: int
    annotations: dict[str, str]  # unsigned: a filter, never a proof


@record
class Found:
    """What discovery found for one digest."""

    layers: list[Layer]
    referrers_source: str  # "referrers API", "referrers tag", "none"
    notes: list[str]  # candidates skipped (wrong subject, unreadable manifest)


def _str_dict(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


class Signatures:
    """Discovery over an existing RegistryClient (its auth, cache and HTTP client)."""

    def __init__(self, client: RegistryClient) -> None:
        self.client = client

    # -- requests -----------------------------------------------------------------
    def _referrers_api(self, ref: ImageRef, digest: Digest) -> list[Any] | None:
        """The `manifests` of the referrers API's answer; None when the registry has no
        such API (404, or an answer that is not an OCI index: distribution-spec says to
        fall back to the referrers tag then)."""
        c = self.client
        label = _label(ref, digest=digest)
        resp = c._request(
            ref, label, "GET", f"referrers/{digest}", {"Accept": OCI_INDEX}, max_body=MAX_MANIFEST
        )
        if resp.status in (404, 400, 405, 501):
            return None
        c._check(resp, label, (200,))
        if _media_type(resp.headers) != OCI_INDEX:
            return None
        try:
            data = _loads(resp.body)
        except ValueError as exc:
            raise RegistryError(f"{label}: the referrers answer is not JSON ({exc})") from None
        entries = data.get("manifests") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise RegistryError(f"{label}: the referrers answer is not an image index")
        return entries

    def _tag_manifest(self, ref: ImageRef, tag: str) -> tuple[str, Any] | None:
        """The manifest a tag points at now (fetched, hashed, never from the cache)."""
        from hardpin.online.registry import ACCEPT

        c = self.client
        label = _label(ref, tag=tag)
        resp = c._request(ref, label, "GET", f"manifests/{tag}", {"Accept": ACCEPT})
        if resp.status == 404:
            return None
        c._check(resp, label, (200,))
        body: bytes = resp.body
        digest = Digest.of(body)
        header = resp.headers.get("docker-content-digest", "").strip()
        if header and header != digest:
            raise RegistryError(
                f"{label}: the registry sent Docker-Content-Digest {header}, but the "
                f"manifest hashes to {digest}; refusing it"
            )
        c._manifest_type(label, _media_type(resp.headers), body)
        return str(digest), _loads(body)

    # -- discovery ----------------------------------------------------------------
    def referrers(self, ref: ImageRef, digest: Digest) -> tuple[list[dict[str, Any]], str]:
        """The descriptors referring to `digest`, and where they came from."""
        api = self._referrers_api(ref, digest)
        if api is not None:
            return [e for e in api if isinstance(e, dict)], "referrers API"
        got = self._tag_manifest(ref, f"sha256-{digest.split(':', 1)[1]}")
        if got is None or not isinstance(got[1].get("manifests"), list):
            return [], "none"  # no tag, or it names something else than a referrers index
        return [e for e in got[1]["manifests"] if isinstance(e, dict)], "referrers tag"

    def find(self, ref: ImageRef, digest: Digest) -> Found:
        """Every signature and attestation candidate of `digest` in `ref`'s repository."""
        layers: list[Layer] = []
        notes: list[str] = []
        entries, source = self.referrers(ref, digest)
        bundles = [e for e in entries if str(e.get("artifactType") or "") in BUNDLE_TYPES]
        if len(bundles) > MAX_LAYERS:
            notes.append(
                f"{len(bundles)} bundles refer to {digest}; the first {MAX_LAYERS} are read"
            )
        for entry in bundles[:MAX_LAYERS]:
            try:
                mdigest = Digest.parse(entry.get("digest"))
            except InvalidDigest:
                notes.append(f"referrer with an invalid digest {str(entry.get('digest'))[:80]!r}")
                continue
            where = f"referrer {mdigest}"
            try:
                _, manifest = self.client.manifest(ref, mdigest)
            except RegistryError as exc:
                notes.append(f"{where}: {exc}")
                continue
            subject = manifest.get("subject") if isinstance(manifest, dict) else None
            if not isinstance(subject, dict) or subject.get("digest") != digest:
                notes.append(f"{where}: its subject is not {digest}; skipped")
                continue
            annotations = _str_dict(manifest.get("annotations"))
            for layer in (manifest.get("layers") or [])[:1]:
                if not isinstance(layer, dict) or layer.get("mediaType") not in BUNDLE_TYPES:
                    continue
                found = self._layer(layer, where, "bundle", annotations)
                if found is not None:
                    layers.append(found)
        hexpart = digest.split(":", 1)[1]
        for suffix, kind, media in (
            ("sig", "simplesigning", SIMPLESIGNING),
            ("att", "dsse", DSSE_LAYER),
        ):
            tag = f"sha256-{hexpart}.{suffix}"
            got = self._tag_manifest(ref, tag)
            if got is None:
                continue
            manifest = got[1]
            entries_l = manifest.get("layers")
            if not isinstance(entries_l, list):
                notes.append(f"{tag}: not an image manifest; skipped")
                continue
            for n, layer in enumerate(entries_l[:MAX_LAYERS], 1):
                if not isinstance(layer, dict) or layer.get("mediaType") != media:
                    continue
                found = self._layer(
                    layer, f"{tag} layer {n}", kind, _str_dict(layer.get("annotations"))
                )
                if found is not None:
                    layers.append(found)
        return Found(layers=layers, referrers_source=source, notes=notes)

    def _layer(
        self, desc: dict[str, Any], where: str, kind: str, annotations: dict[str, str]
    ) -> Layer | None:
        try:
            d = Digest.parse(desc.get("digest"))
        except InvalidDigest:
            return Layer(
                where=where,
                kind=kind,
                media_type=str(desc.get("mediaType")),
                digest="",
                size=0,
                annotations=annotations,
            )
        size = desc.get("size")
        return Layer(
            where=where,
            kind=kind,
            media_type=str(desc.get("mediaType")),
            digest=str(d),
            size=size if isinstance(size, int) and size >= 0 else -1,
            annotations=annotations,
        )

    def blob(self, ref: ImageRef, layer: Layer) -> bytes:
        """A candidate's blob, hashed against its descriptor and size-capped."""
        cap = MAX_SIGNATURE_BLOB if layer.kind == "simplesigning" else MAX_ATTESTATION_BLOB
        if not layer.digest:
            raise RegistryError(f"{layer.where}: the layer has no valid digest")
        if layer.size > cap:
            raise RegistryError(f"{layer.where}: the layer is larger than {cap} bytes")
        data = self.client.blob(ref, layer.digest, cap)
        if layer.size >= 0 and len(data) != layer.size:
            raise RegistryError(
                f"{layer.where}: the blob has {len(data)} bytes, its descriptor says {layer.size}"
            )
        return data
