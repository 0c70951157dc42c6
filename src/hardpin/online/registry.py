"""The container registry client: the only code in hardpin that talks to registries.

Distribution API v2 (OCI distribution-spec) over hardpin.online.http, with
answers kept in hardpin.online.cache:

* `resolve(ref)`: tag -> Descriptor of what the tag points at (the index or
  manifest list for multi-platform images, never a child). One `GET` with the
  four current manifest media types in `Accept` (without the OCI index type, 2.8
  answers 404 for an index; without any, it hands out a manifest list's amd64
  child or a schema 1 rewrite): the digest is the sha256 of the body, and a
  `Docker-Content-Digest` that disagrees is an error. For registries in
  `head_registries` (Docker Hub by default, where a manifest GET counts against
  the pull limit and a HEAD does not) a `HEAD` by tag comes first, and its
  `Docker-Content-Digest` is used only when the cache already holds manifest
  bytes that hash to it, received from that repository; otherwise the manifest
  is fetched and hashed as above.
  Either way the digest returned is the sha256 of manifest bytes received for
  that repository and tag, never a header alone. Schema 1 manifests are
  refused. Cached in "tags" for `tag_ttl` seconds.
* `manifest(ref, digest)`: `GET` by digest, sha256 of the body checked against
  the digest; cached forever in "manifests" (content addressed).
* `exists(ref, digest)`: `HEAD` by digest; positives cached in "exists" for
  `tag_ttl` (content is addressed by digest, but a registry may delete it, and
  noticing that is what HP601 is for).
* `blob(ref, digest, max_size)`: a verified blob (an image config).

Plain HTTP is used only for registries listed in `insecure_registries` (the
Http object must be built with the same hosts; it refuses other plain-HTTP
URLs). Docker Hub (`docker.io`) is reached at registry-1.docker.io.

Methods are safe to call from many threads at once.
"""

from __future__ import annotations

import json
from collections.abc import Collection

from hardpin._record import record
from hardpin.model import HardpinError
from hardpin.online import Log
from hardpin.online.auth import AuthError, Authorizer, Keychain
from hardpin.refs import (
    DEFAULT_REGISTRY,
    Digest,
    ImageRef,
    InvalidDigest,
    InvalidReference,
    parse_image,
    registry_problem,
)
from hardpin.urls import redact_text

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import Any

log = Log("hardpin.online.registry")

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_TYPES = (OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
SCHEMA1_TYPES = frozenset(
    {
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/vnd.docker.distribution.manifest.v1+json",
    }
)
ACCEPT = ", ".join(MANIFEST_TYPES)
DOCKER_HUB_API = "registry-1.docker.io"
MAX_MANIFEST = 4 << 20  # distribution's own limit
DEFAULT_TAG_TTL = 3600.0


class RegistryError(HardpinError):
    """A registry lookup failed. The one-line message names the reference and what the
    registry said (status, error code); it never contains a token or password."""


@record(frozen=True)
class Descriptor:
    digest: Digest  # always built through Digest.parse / Digest.of
    media_type: str
    size: int


def _loads(body: bytes | str) -> Any:
    """JSON, with nesting too deep for the parser reported as a ValueError."""
    try:
        return json.loads(body)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _media_type(headers: dict[str, str]) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _error_detail(body: bytes, content_type: str) -> str:
    """`CODE: message` from a distribution error body (`{"errors": [...]}`), else ""."""
    if not body or "json" not in content_type:
        return ""
    try:
        data = _loads(body)
    except ValueError:
        return ""
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return ""
    first = errors[0]
    code = str(first.get("code") or "").strip()
    message = " ".join(redact_text(str(first.get("message") or "")).split())[:160]
    return f"{code}: {message}" if code and message else (code or message)


class RegistryClient:
    """Resolve and fetch from OCI/Docker registries. See the module docstring."""

    def __init__(
        self,
        http: Any,
        cache: Any,
        *,
        insecure_registries: Collection[str] = (),
        auth: Any = None,
        tag_ttl: float = DEFAULT_TAG_TTL,
        head_registries: Collection[str] = (DEFAULT_REGISTRY,),
        authorizer: Authorizer | None = None,
    ) -> None:
        """`http`: a hardpin.online.http.Http; `cache`: a hardpin.online.cache.Cache;
        `auth`: where credentials come from (anything with `.get(registry) ->
        Credentials | None`; default: a Keychain over the Docker config files)."""
        self.http = http
        self.cache = cache
        self.insecure_registries = frozenset(insecure_registries)
        self.tag_ttl = tag_ttl
        self.head_registries = frozenset(head_registries)
        self.keychain = auth if auth is not None else Keychain()
        self.authorizer = authorizer or Authorizer(
            http, self.keychain, insecure_hosts=self.insecure_registries
        )

    def __repr__(self) -> str:
        return f"RegistryClient(insecure_registries={sorted(self.insecure_registries)!r})"

    # -- public API ------------------------------------------------------------
    def resolve(self, ref: ImageRef | str) -> Descriptor:
        """What the reference's tag points at now (`latest` when it has neither tag nor
        digest; a digest-only reference is checked and described)."""
        ref = _ref(ref)
        if not ref.tag and ref.digest:
            return self._describe_digest(ref, self._digest_arg(ref, ref.digest))
        tag = ref.tag or "latest"
        key = f"{ref.name}:{tag}"
        label = _label(ref, tag=tag)
        cached = self.cache.get("tags", key, ttl=self.tag_ttl)
        if isinstance(cached, dict):
            desc = _descriptor(cached)
            if desc is not None:
                return desc
        self._online(label)
        if ref.registry in self.head_registries:
            desc = self._head_tag(ref, label, tag)
            if desc is not None:
                self._remember_tag(key, desc)
                return desc
        desc, body = self._get_manifest(ref, label, tag, expected=None)
        self._remember_manifest(ref, desc, body)
        self._remember_tag(key, desc)
        return desc

    def _head_tag(self, ref: ImageRef, label: str, tag: str) -> Descriptor | None:
        """A HEAD by tag, answered from the cache: the Descriptor when the registry names a
        digest whose manifest bytes the cache already holds (and they hash to it), else
        None (the caller fetches and hashes the manifest). A header alone is never pinned."""
        resp = self._request(ref, label, "HEAD", f"manifests/{tag}", {"Accept": ACCEPT})
        if resp.status == 404:
            raise RegistryError(f"{label}: tag not found (HTTP 404)")
        self._check(resp, label, (200,))
        mt = _media_type(resp.headers)
        if mt in SCHEMA1_TYPES:
            raise RegistryError(_schema1(label, mt))
        try:
            named = Digest.parse(resp.headers.get("docker-content-digest", "").strip())
        except InvalidDigest:
            log.debug("%s: HEAD gave no usable digest; fetching the manifest", label)
            return None
        held = self._cached_manifest(named)
        if held is None or not self.cache.get("received", f"{ref.name}@{named}"):
            log.debug(
                "%s: no manifest %s received from this repository in the cache; fetching it",
                label,
                named,
            )
            return None
        return held[0]

    def _remember_tag(self, key: str, desc: Descriptor) -> None:
        self.cache.put(
            "tags", key, {"digest": desc.digest, "media_type": desc.media_type, "size": desc.size}
        )

    def manifest(self, ref: ImageRef | str, digest: str) -> tuple[Descriptor, Any]:
        """The manifest with this digest, verified (sha256 of the body), and its JSON."""
        ref = _ref(ref)
        digest = self._digest_arg(ref, digest)
        label = _label(ref, digest=digest)
        held = self._cached_manifest(digest)
        if held is not None:
            try:
                return held[0], _loads(held[1])
            except ValueError:
                pass
        self._online(label)
        desc, body = self._get_manifest(ref, label, digest, expected=digest)
        self._remember_manifest(ref, desc, body)
        return desc, _loads(body)

    def exists(self, ref: ImageRef | str, digest: str) -> bool:
        """Whether the repository has a manifest with this digest (HEAD; 404 -> False)."""
        ref = _ref(ref)
        digest = self._digest_arg(ref, digest)
        label = _label(ref, digest=digest)
        key = f"{ref.name}@{digest}"
        if self.cache.get("exists", key, ttl=self.tag_ttl):
            return True
        self._online(label)
        resp = self._request(ref, label, "HEAD", f"manifests/{digest}", {"Accept": ACCEPT})
        if resp.status == 404:
            return False
        self._check(resp, label, (200,))
        got = resp.headers.get("docker-content-digest", "").strip()
        if got and got != digest:
            raise RegistryError(f"{label}: the registry answered for a different digest ({got})")
        self.cache.put("exists", key, True)
        return True

    def blob(self, ref: ImageRef | str, digest: str, max_size: int) -> bytes:
        """A blob (e.g. an image config) of at most `max_size` bytes, verified."""
        ref = _ref(ref)
        digest = self._digest_arg(ref, digest)
        label = _label(ref, digest=digest)
        self._online(label)
        too_big = f"{label}: the blob is larger than {max_size} bytes"
        try:
            # room for an error body even when max_size is tiny
            resp = self._request(
                ref, label, "GET", f"blobs/{digest}", {}, max_body=max(max_size, 64 << 10)
            )
        except RegistryError as exc:
            if "-byte limit" in str(exc):
                raise RegistryError(too_big) from None
            raise
        if resp.status == 404:
            raise RegistryError(f"{label}: blob not found (HTTP 404)")
        self._check(resp, label, (200,))
        if len(resp.body) > max_size:
            raise RegistryError(too_big)
        got = Digest.of(resp.body)
        if got != digest:
            raise RegistryError(
                f"{label}: the blob's content does not match its digest (got {got}); refusing it"
            )
        data: bytes = resp.body
        return data

    # -- internals -------------------------------------------------------------
    def api_base(self, ref: ImageRef) -> str:
        """`scheme://host` of the registry API for a reference (RegistryError for a
        registry name no request can carry: not ASCII, not a host name)."""
        problem = registry_problem(ref.registry)
        if problem is not None:
            raise RegistryError(f"{_label(ref)}: {problem}")
        host = DOCKER_HUB_API if ref.registry == DEFAULT_REGISTRY else ref.registry
        insecure = ref.registry in self.insecure_registries or host in self.insecure_registries
        return f"{'http' if insecure else 'https'}://{host}"

    def _online(self, label: str) -> None:
        if getattr(self.cache, "offline", False):
            raise RegistryError(f"{label}: not in the cache (--offline)")

    def _digest_arg(self, ref: ImageRef, digest: object) -> Digest:
        try:
            return Digest.parse(digest)
        except InvalidDigest as exc:
            raise RegistryError(f"{_label(ref)}: {exc}") from None

    def _request(
        self,
        ref: ImageRef,
        label: str,
        method: str,
        path: str,
        headers: dict[str, str],
        max_body: int | None = MAX_MANIFEST,
    ) -> Any:
        """One API request with authorization (a 401 is answered at most twice)."""
        from hardpin.online.http import HttpError

        base = self.api_base(ref)
        host = base.split("://", 1)[1]
        url = f"{base}/v2/{ref.repository}/{path}"
        scope = f"repository:{ref.repository}:pull"
        try:
            auth = self.authorizer.header(ref.registry, host, scope)
            for attempt in range(3):
                hdrs = dict(headers)
                if auth:
                    hdrs["Authorization"] = auth
                resp = self.http.request(method, url, hdrs, max_body=max_body)
                log.debug("%s %s -> %s", method, url, resp.status)
                if resp.status != 401:
                    return resp
                auth = self.authorizer.challenged(
                    ref.registry,
                    host,
                    scope,
                    resp.headers.get("www-authenticate"),
                    auth,
                    final=attempt >= 1,
                    origin=_host_of(resp.url, host),
                )
        except AuthError as exc:
            raise RegistryError(f"{label}: {exc}") from None
        except HttpError as exc:
            msg = str(exc)
            if base.startswith("https://") and "TLS" in msg:
                msg += f" (if {host} serves plain HTTP, list it in `insecure-registries`)"
            raise RegistryError(f"{label}: {msg}") from None
        raise RegistryError(f"{label}: authentication failed (HTTP 401)")  # pragma: no cover

    def _check(self, resp: Any, label: str, ok: tuple[int, ...]) -> None:
        if resp.status in ok:
            return
        detail = _error_detail(resp.body, _media_type(resp.headers))
        what = f"HTTP {resp.status}" + (f" {detail}" if detail else "")
        if resp.status == 429:
            what += (
                " (rate limited"
                + (
                    "; pull quota used up"
                    if resp.headers.get("ratelimit-remaining", "").startswith("0")
                    else ""
                )
                + ")"
            )
        raise RegistryError(f"{label}: the registry answered {what}")

    def _describe_digest(self, ref: ImageRef, digest: Digest) -> Descriptor:
        label = _label(ref, digest=digest)
        held = self._cached_manifest(digest)
        if held is not None:
            return held[0]
        self._online(label)
        resp = self._request(ref, label, "HEAD", f"manifests/{digest}", {"Accept": ACCEPT})
        if resp.status == 404:
            raise RegistryError(f"{label}: manifest not found (HTTP 404)")
        self._check(resp, label, (200,))
        mt = _media_type(resp.headers)
        length = resp.headers.get("content-length", "")
        got = resp.headers.get("docker-content-digest", "").strip()
        if mt in SCHEMA1_TYPES:
            raise RegistryError(_schema1(label, mt))
        if mt in MANIFEST_TYPES and length.isdigit() and (not got or got == digest):
            return Descriptor(digest=digest, media_type=mt, size=int(length))
        desc, body = self._get_manifest(ref, label, digest, expected=digest)
        self._remember_manifest(ref, desc, body)
        return desc

    def _get_manifest(
        self, ref: ImageRef, label: str, reference: str, expected: str | None
    ) -> tuple[Descriptor, bytes]:
        resp = self._request(ref, label, "GET", f"manifests/{reference}", {"Accept": ACCEPT})
        if resp.status == 404:
            raise RegistryError(
                f"{label}: {'manifest' if expected else 'tag'} not found (HTTP 404)"
            )
        self._check(resp, label, (200,))
        body: bytes = resp.body
        actual = Digest.of(body)
        header = resp.headers.get("docker-content-digest", "").strip()
        if expected is not None and actual != expected:
            raise RegistryError(
                f"{label}: the manifest's content does not match its digest "
                f"(it hashes to {actual}); refusing it"
            )
        if header and header != actual:
            raise RegistryError(
                f"{label}: the registry sent Docker-Content-Digest {header}, but the "
                f"manifest hashes to {actual}; refusing it"
            )
        mt = self._manifest_type(label, _media_type(resp.headers), body)
        return Descriptor(digest=actual, media_type=mt, size=len(body)), body

    def _manifest_type(self, label: str, content_type: str, body: bytes) -> str:
        """The manifest's media type, once its JSON has the shape of that type."""
        if content_type in SCHEMA1_TYPES:
            raise RegistryError(_schema1(label, content_type))
        try:
            data = _loads(body)
        except ValueError as exc:
            raise RegistryError(f"{label}: the manifest is not JSON ({exc})") from None
        if not isinstance(data, dict):
            raise RegistryError(f"{label}: the manifest is not a JSON object")
        if data.get("schemaVersion") == 1:
            raise RegistryError(_schema1(label, content_type or "schemaVersion 1"))
        declared = data.get("mediaType")
        if isinstance(declared, str) and declared:
            if content_type in MANIFEST_TYPES and declared != content_type:
                raise RegistryError(
                    f"{label}: Content-Type {content_type} does not match the "
                    f"manifest's mediaType {declared}"
                )
            if declared not in MANIFEST_TYPES:
                raise RegistryError(f"{label}: unsupported manifest type {_shown(declared)}")
            found = declared
        elif content_type in MANIFEST_TYPES:
            found = content_type
        # OCI manifests may omit mediaType: tell them apart by shape
        elif isinstance(data.get("manifests"), list):
            found = OCI_INDEX
        elif isinstance(data.get("config"), dict):
            found = OCI_MANIFEST
        else:
            raise RegistryError(
                f"{label}: unsupported manifest (Content-Type {content_type or 'missing'})"
            )
        problem = _shape_problem(found, data)
        if problem is not None:
            raise RegistryError(f"{label}: the manifest is malformed: {problem}")
        return found

    def _cached_manifest(self, digest: str) -> tuple[Descriptor, bytes] | None:
        """The cached manifest with this digest, when its bytes still hash to it."""
        cached = self.cache.get("manifests", digest)
        if not isinstance(cached, dict) or not isinstance(cached.get("body"), str):
            return None
        body = cached["body"].encode("utf-8", "surrogateescape")
        mt = cached.get("media_type")
        if Digest.of(body) != digest or mt not in MANIFEST_TYPES:
            log.debug("the cached manifest %s does not hash to its digest; ignoring it", digest)
            return None
        return Descriptor(digest=Digest.parse(digest), media_type=mt, size=len(body)), body

    def _remember_manifest(self, ref: ImageRef, desc: Descriptor, body: bytes) -> None:
        """Cache a verified manifest by digest, and that `ref`'s repository served it."""
        self.cache.put("received", f"{ref.name}@{desc.digest}", True)
        self.cache.put(
            "manifests",
            desc.digest,
            {
                "media_type": desc.media_type,
                "body": body.decode("utf-8", "surrogateescape"),
            },
        )


def _ref(ref: ImageRef | str) -> ImageRef:
    if isinstance(ref, ImageRef):
        return ref
    try:
        return parse_image(ref)
    except InvalidReference as exc:
        raise RegistryError(f"invalid image reference: {exc}") from None


def _label(ref: ImageRef, *, tag: str | None = None, digest: str | None = None) -> str:
    """The reference as users write it, for messages."""
    name = ref.familiar.split("@", 1)[0]
    if ref.tag:
        name = name[: -(len(ref.tag) + 1)]
    if tag:
        name += f":{tag}"
    if digest:
        name += f"@{digest}"
    return name


def _descriptor(value: dict[str, Any]) -> Descriptor | None:
    digest, mt, size = value.get("digest"), value.get("media_type"), value.get("size")
    if not (isinstance(mt, str) and mt in MANIFEST_TYPES and isinstance(size, int)):
        return None
    try:
        return Descriptor(digest=Digest.parse(digest), media_type=mt, size=size)
    except InvalidDigest:
        return None


def _shown(value: str) -> str:
    text = repr(value[:80])
    return text + ("..." if len(value) > 80 else "")


def _shape_problem(media_type: str, data: dict[str, Any]) -> str | None:
    """What makes `data` unusable as a manifest of `media_type`, or None: an index's
    `manifests` must be a list of objects (each `platform` an object), a manifest's
    `config` an object."""
    if media_type in INDEX_TYPES:
        entries = data.get("manifests")
        if not isinstance(entries, list):
            return "an index without a `manifests` list"
        for entry in entries:
            if not isinstance(entry, dict):
                return "an entry of `manifests` is not an object"
            if "platform" in entry and not isinstance(entry["platform"], dict):
                return "the `platform` of an entry is not an object"
        return None
    if not isinstance(data.get("config"), dict):
        return "an image manifest without a `config` object"
    return None


def _host_of(url: object, default: str) -> str:
    """`host[:port]` of a response's URL (`default` when it has none)."""
    from urllib.parse import urlsplit

    if not isinstance(url, str) or not url:
        return default
    try:
        p = urlsplit(url)
        port = p.port
    except ValueError:
        return default
    host = p.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}" if port else host


def _schema1(label: str, media_type: str) -> str:
    return (
        f"{label}: the registry offers only a Docker schema 1 manifest ({media_type}), "
        "which hardpin does not pin; the image must be pushed again with a current client"
    )
