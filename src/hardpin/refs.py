"""Image references: parse and normalise as Docker does (distribution/reference)."""

from __future__ import annotations

from hardpin._lazy import lazy_re
from hardpin._record import record
from hardpin.model import HardpinError

DEFAULT_REGISTRY = "docker.io"
_DOCKER_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_PATH_COMPONENT = lazy_re(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = lazy_re(r"[\w][\w.-]{0,127}")
_VALID_DIGEST = lazy_re(r"sha256:[0-9a-f]{64}")
_LOWER_HEX = lazy_re(r"[0-9a-f]+")
# distribution/reference's domain: DNS labels or a bracketed IPv6 address, optional port
_REGISTRY_HOST = lazy_re(
    r"(?:(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
    r"(?:\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*"
    r"|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
)
_DIGEST_SHAPE = lazy_re(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")


class InvalidReference(HardpinError, ValueError):
    pass


class InvalidDigest(ValueError):
    """A value that is not a well-formed digest or hash; the message says why."""


# hex digits of each hash algorithm hardpin writes (pip's --hash and OCI digests)
HASH_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


class Digest(str):
    """A content digest, `sha256:` and 64 lower-case hex digits, and nothing else.

    The one constructor for every digest hardpin writes into a file: `Digest.parse`
    checks a value that came from elsewhere (a registry, the cache), `Digest.of`
    hashes bytes. A Digest is a str, so it goes wherever a digest string goes."""

    __slots__ = ()

    @classmethod
    def parse(cls, value: object) -> Digest:
        if isinstance(value, str) and _VALID_DIGEST.fullmatch(value) is not None:
            return cls(value)
        if not isinstance(value, str):
            raise InvalidDigest(f"a digest must be a string, not {type(value).__name__}")
        raise InvalidDigest(f"{_shown(value)} is not a digest: {digest_problem(value)}")

    @classmethod
    def of(cls, data: bytes) -> Digest:
        import hashlib

        return cls("sha256:" + hashlib.sha256(data).hexdigest())

    @property
    def hex(self) -> str:
        return self[len("sha256:") :]


class Hash(str):
    """A file hash as pip writes it, `<algorithm>:<hex>`, with the algorithm's exact
    number of lower-case hex digits (sha256: 64, sha384: 96, sha512: 128)."""

    __slots__ = ()

    @classmethod
    def parse(cls, value: object) -> Hash:
        if not isinstance(value, str):
            raise InvalidDigest(f"a hash must be a string, not {type(value).__name__}")
        algo, sep, hexpart = value.partition(":")
        want = HASH_LENGTHS.get(algo)
        if not sep or want is None:
            raise InvalidDigest(
                f"{_shown(value)} is not a hash: it must start with one of "
                + ", ".join(f"{a}:" for a in HASH_LENGTHS)
            )
        if len(hexpart) != want or _LOWER_HEX.fullmatch(hexpart) is None:
            raise InvalidDigest(
                f"{_shown(value)} is not a hash: {algo} has {want} lower-case hex digits"
            )
        return cls(value)

    @classmethod
    def sha256(cls, hexpart: str) -> Hash:
        return cls.parse("sha256:" + hexpart)


def _shown(value: str) -> str:
    """A value for a message: quoted, control characters escaped, at most 80 characters."""
    text = repr(value[:80])
    return text + ("..." if len(value) > 80 else "")


@record(frozen=True)
class ImageRef:
    raw: str
    registry: str  # normalised: docker.io for Docker Hub
    repository: str  # with library/ for official Docker Hub images
    tag: str | None
    digest: str | None  # as written, possibly malformed

    @property
    def digest_ok(self) -> bool:
        return self.digest is not None and _VALID_DIGEST.fullmatch(self.digest) is not None

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def familiar(self) -> str:
        """The short form users write: `python:3.12` rather than `docker.io/library/python:3.12`."""
        repo = self.repository
        if self.registry == DEFAULT_REGISTRY:
            if repo.startswith("library/") and repo.count("/") == 1:
                repo = repo[len("library/") :]
            name = repo
        else:
            name = f"{self.registry}/{repo}"
        if self.tag:
            name += f":{self.tag}"
        if self.digest:
            name += f"@{self.digest}"
        return name

    def __str__(self) -> str:
        out = self.name
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out


def parse_image(raw: str) -> ImageRef:
    """Parse an image reference. A malformed digest is kept (`digest_ok` is False)."""
    s = raw.strip()
    if not s:
        raise InvalidReference("empty image reference")
    digest = None
    if "@" in s:
        s, digest = s.split("@", 1)
        if not digest:
            raise InvalidReference(f"{raw!r}: empty digest after '@'")
    tag = None
    slash = s.rfind("/")
    colon = s.rfind(":")
    if colon > slash:
        s, tag = s[:colon], s[colon + 1 :]
        if not _TAG.fullmatch(tag):
            raise InvalidReference(f"{raw!r}: invalid tag {tag!r}")
    parts = s.split("/")
    if len(parts) > 1 and (
        "." in parts[0]
        or ":" in parts[0]
        or parts[0] == "localhost"
        or parts[0] != parts[0].lower()
    ):
        registry = parts[0]
        path = parts[1:]
    else:
        registry = DEFAULT_REGISTRY
        path = parts
    if registry in _DOCKER_ALIASES:
        registry = DEFAULT_REGISTRY
        if len(path) == 1:
            path = ["library", *path]
    for comp in path:
        if not _PATH_COMPONENT.fullmatch(comp):
            raise InvalidReference(f"{raw!r}: invalid repository name component {comp!r}")
    return ImageRef(raw=raw, registry=registry, repository="/".join(path), tag=tag, digest=digest)


def digest_problem(digest: str) -> str:
    """Why a digest is not a valid pin (for messages)."""
    algo, sep, hexpart = digest.partition(":")
    if not sep or not hexpart:
        return "a digest is sha256: followed by 64 hex digits"
    if algo != "sha256":
        return f"hardpin accepts sha256 digests, not {algo!r}"
    if any(c not in "0123456789abcdefABCDEF" for c in hexpart):
        return "the hash contains characters that are not hex digits"
    if hexpart != hexpart.lower():
        return "the hex digits must be lower case"
    return f"a sha256 digest has 64 hex digits, this one has {len(hexpart)}"


def registry_problem(registry: str) -> str | None:
    """Why `registry` (the host part of a reference) cannot be contacted, or None."""
    if not registry.isascii():
        return (
            f"the registry name {_shown(registry)} is not ASCII "
            "(write an internationalised host name in its xn-- form)"
        )
    if _REGISTRY_HOST.fullmatch(registry) is None:
        return f"the registry name {_shown(registry)} is not a host name with an optional port"
    _host, sep, port = registry.rpartition(":")
    if sep and port.isdigit() and not _host.endswith(":") and not 0 < int(port) < 65536:
        return f"the registry name {_shown(registry)} has an invalid port"
    return None
