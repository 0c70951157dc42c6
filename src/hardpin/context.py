"""What a rule sees: the source, the parsed document, the settings, and `report`.

Its own module (not `rules.base`) so that `analysis/`, which rules build on, can name
it without importing anything from `rules/`.
"""

from __future__ import annotations

from collections.abc import Callable

from hardpin.model import Finding, Fix, FixAvailability, Pending, Severity, Source
from hardpin.urls import redact_text

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Protocol, TypeVar

    from hardpin.settings import Settings

    T = TypeVar("T")

    class RuleInfo(Protocol):
        """What `report` reads from a rule (class or instance)."""

        @property
        def code(self) -> str: ...
        @property
        def name(self) -> str: ...
        @property
        def severity(self) -> Severity: ...
        @property
        def fix(self) -> FixAvailability: ...


class RuleContext:
    """What a rule sees: the source, the parsed document, the settings; and `report`."""

    __slots__ = (
        "source",
        "doc",
        "settings",
        "findings",
        "kind",
        "base_dir",
        "overlay",
        "reads",
        "_cache",
    )

    def __init__(
        self,
        source: Source,
        doc: object,
        settings: Settings,
        kind: str,
        base_dir: str | None = None,
        overlay: Mapping[str, str] | None = None,
    ) -> None:
        self.source = source
        # Directory of the document on disk (None for stdin): rules that must look at a file
        # the document names (a COPY'd requirements file) read it through `read_related`.
        self.base_dir = base_dir
        self.doc = doc
        self.settings = settings
        self.kind = kind
        self.findings: list[Finding] = []
        # texts that stand for files on disk (by normalised absolute path): what a fix
        # of the same run has made of them, so findings are computed on the fixed files
        self.overlay = overlay
        self.reads: set[str] = set()  # the related files asked for (normalised paths)
        self._cache: dict[str, object] = {}

    def read_related(self, relpath: str) -> str | None:
        """Text of a file named relative to the document's directory, or None.

        The only file access a rule may make; results are cached per document.
        """
        if self.base_dir is None:
            return None
        import os

        path = os.path.normpath(os.path.join(self.base_dir, relpath))
        self.reads.add(path)
        if self.overlay:
            text = self.overlay.get(path)
            if text is None and os.path.exists(path):
                text = self.overlay.get(os.path.realpath(path))
            if text is not None:
                return text

        def load() -> str | None:
            # regular files only, never blocking on a FIFO, up to max-file-size; a path
            # that cannot be read (missing, a NUL byte, too large) counts as not found
            from hardpin.files import max_file_size, read_source
            from hardpin.model import HardpinError

            try:
                return read_source(path, max_file_size(self.settings))
            except HardpinError:
                return None

        return self.cached(f"file:{path}", load)

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """Compute a per-document analysis once and share it between rules."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]  # type: ignore[return-value]

    def report(
        self,
        rule: RuleInfo,
        start: int,
        end: int,
        message: str,
        *,
        subject: str | None = None,
        fix: Fix | None = None,
        availability: FixAvailability | None = None,
        severity: Severity | None = None,
        pending: Pending | None = None,
    ) -> None:
        """Report a finding over character offsets [start, end) of the source.

        `severity` overrides the rule's default for this finding (a configured
        severity for the rule still wins). `pending` is a fix that needs a network
        answer; the online layer completes it (`hardpin check --fix`).
        """
        src = self.source
        line, col = src.position(start)
        end_line, end_col = src.position(max(start, end))
        avail = availability if availability is not None else rule.fix
        if fix is None and avail in (FixAvailability.SAFE, FixAvailability.UNSAFE):
            avail = FixAvailability.NONE
        self.findings.append(
            Finding(
                code=rule.code,
                name=rule.name,
                severity=self.settings.severity_for(rule.code, severity or rule.severity),
                message=message,
                path=src.path,
                line=line,
                column=col,
                end_line=end_line,
                end_column=end_col,
                fix_availability=avail,
                # the subject is written into baselines: never a password from a URL
                subject=redact_text(subject if subject is not None else src.text[start:end]),
                fix=fix,
                pending=pending,
            )
        )
