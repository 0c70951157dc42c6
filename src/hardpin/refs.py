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
_DIGEST_SHAPE = lazy_re(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")


class InvalidReference(HardpinError, ValueError):
    pass


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
