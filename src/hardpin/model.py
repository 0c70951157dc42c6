"""Core data types: severities, fixes, findings, and the source text they point into."""

from __future__ import annotations

from enum import StrEnum

from hardpin._record import field, record

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import ClassVar


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class FixAvailability(StrEnum):
    """What a rule can do about its findings (shown by `hardpin rules` and in output)."""

    SAFE = "safe"  # an offline edit that keeps the exact meaning
    UNSAFE = "unsafe"  # an offline edit that may change behaviour (--unsafe-fixes)
    NETWORK = "network"  # needs an online lookup (registry, index, git)
    NONE = "none"


class Applicability(StrEnum):
    SAFE = "safe"
    UNSAFE = "unsafe"


@record(frozen=True)
class Edit:
    """Replace text[start:end] (character offsets into the decoded file) with `text`."""

    start: int
    end: int
    text: str


@record(frozen=True)
class Fix:
    edits: tuple[Edit, ...]
    applicability: Applicability
    description: str = ""


class Source:
    """A decoded file with a line index, so offsets map to 1-based (line, column)."""

    __slots__ = ("path", "text", "newline", "_line_starts")

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.newline = "\r\n" if "\r\n" in text else "\n"
        starts = [0]
        find = text.find
        i = find("\n")
        while i != -1:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self._line_starts = starts

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def line_start(self, line: int) -> int:
        """Offset of the first character of 1-based `line`."""
        return self._line_starts[line - 1]

    def line_end(self, line: int) -> int:
        """Offset just past the content of `line`, before its line break."""
        if line < len(self._line_starts):
            end = self._line_starts[line] - 1
        else:
            end = len(self.text)
        if end > 0 and end <= len(self.text) and self.text[end - 1 : end] == "\r":
            end -= 1
        return end

    def line_text(self, line: int) -> str:
        return self.text[self.line_start(line) : self.line_end(line)]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        from bisect import bisect_right

        idx = bisect_right(self._line_starts, offset) - 1
        return idx + 1, offset - self._line_starts[idx] + 1


class PendingKind(StrEnum):
    """What a pending item asks the network (the one spelling of these names)."""

    IMAGE = "image"  # tag -> digest to pin
    IMAGE_UPDATE = "image-update"  # pinned tag -> digest to pin now (online check, `update`)
    IMAGE_EXISTS = "image-exists"  # does a pinned digest exist (online check)
    PIP_HASHES = "pip-hashes"  # the files' hashes of a released version
    LOCK = "lock"  # a pip-tools input re-locked into its .txt
    GIT_REF = "git-ref"  # a tag or branch of a git repository -> the commit to pin
    GIT_UPDATE = "git-update"  # pinned commit -> the commit its tag names now (`update`)


@record(frozen=True)
class ImageKey:
    """Resolve `name` (`registry/repository:tag`) to the digest to pin."""

    name: str
    kind: ClassVar[PendingKind] = PendingKind.IMAGE


@record(frozen=True)
class ImageUpdateKey:
    """The digest `name` (`registry/repository:tag`, pinned to `digest`) should pin now."""

    name: str
    digest: str
    kind: ClassVar[PendingKind] = PendingKind.IMAGE_UPDATE


@record(frozen=True)
class ImageExistsKey:
    """Whether `digest` exists in `repository` (`registry/repository`)."""

    repository: str
    digest: str
    kind: ClassVar[PendingKind] = PendingKind.IMAGE_EXISTS


@record(frozen=True)
class PipHashesKey:
    """The hashes of every file of `project` (canonical name) at `version`.

    `index_urls`: the file's own indexes as `analysis.requirements.index_urls` gives
    them (a leading None: only extra indexes; the primary one comes from the run)."""

    index_urls: tuple[str | None, ...]
    project: str
    version: str
    kind: ClassVar[PendingKind] = PendingKind.PIP_HASHES


@record(frozen=True)
class LockKey:
    """Re-lock the pip-tools input `input_path` into `output_path` (the new text)."""

    input_path: str
    output_path: str
    index_urls: tuple[str | None, ...]
    kind: ClassVar[PendingKind] = PendingKind.LOCK


@record(frozen=True)
class GitRefKey:
    """The commit `ref` (a tag, peeled, or a branch) of the git repository at `url` names.

    The answer is (40-hex commit,) or, with `comment`, (commit, the most specific tag
    naming that commit — `v4.1.1` for `v4` — or `ref` itself when no tag does)."""

    url: str
    ref: str
    comment: bool = False
    kind: ClassVar[PendingKind] = PendingKind.GIT_REF


@record(frozen=True)
class GitUpdateKey:
    """The commit tag `ref` of the repository at `url` names now (pinned to `sha`)."""

    url: str
    ref: str
    sha: str
    kind: ClassVar[PendingKind] = PendingKind.GIT_UPDATE


PendingKey = (
    ImageKey | ImageUpdateKey | ImageExistsKey | PipHashesKey | LockKey | GitRefKey | GitUpdateKey
)
# questions whose answer is a verdict on a candidate finding, not a fix
ONLINE_CHECKS = frozenset(
    {PendingKind.IMAGE_EXISTS, PendingKind.IMAGE_UPDATE, PendingKind.GIT_UPDATE}
)


@record(frozen=True)
class Pending:
    """A fix that needs a network answer (a digest, a list of hashes).

    Rules stay offline: they describe the question (`key`, whose type says its
    kind) and where the answer goes. The online layer looks every distinct key of a
    run up once and gets a tuple of strings; the edit replaces source[start:end] with
    prefix + sep.join(values) + suffix.
    """

    key: PendingKey
    start: int
    end: int
    prefix: str = ""
    sep: str = ""
    suffix: str = ""

    @property
    def kind(self) -> PendingKind:
        return self.key.kind

    def edit(self, values: tuple[str, ...]) -> Edit:
        return Edit(self.start, self.end, self.prefix + self.sep.join(values) + self.suffix)


@record(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    fix_availability: FixAvailability = FixAvailability.NONE
    # The text the finding is about; with (code, path) it identifies the finding
    # for baselines independently of line numbers.
    subject: str = ""
    fix: Fix | None = field(default=None, compare=False)
    pending: Pending | None = field(default=None, compare=False)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)

    def to_dict(self) -> dict[str, object]:
        """The documented JSON shape of a finding (see docs/output-formats.md)."""
        return {
            "code": self.code,
            "name": self.name,
            "severity": str(self.severity),
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "fix": (
                None
                if self.fix_availability is FixAvailability.NONE
                else str(self.fix_availability)
            ),
        }


class HardpinError(Exception):
    """The base of hardpin's errors: the message is one line that says what to do next.

    Raised to the command line, it ends the run with exit code 2; subclasses that a
    caller handles (a parse error, a failed lookup) carry more detail."""
