"""Output formats: text (default; also called concise), full, json, sarif, github.

Every formatter module is imported lazily by `render`, so a run pays only for
the format it prints (plain text never imports rich, json/sarif pull in `json`
only when chosen). The formats are documented in docs/output-formats.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import TextIO

    from hardpin.model import Finding, Source
    from hardpin.rules.base import Rule

FORMATS = ("text", "concise", "full", "json", "sarif", "github")


def render(
    fmt: str,
    findings: Sequence[Finding],
    *,
    stream: TextIO,
    rules: Sequence[type[Rule]],
    color: bool | None = None,
    root: str = ".",
    files_checked: int = 0,
    fixed: int = 0,
    sources: Mapping[str, str] | None = None,
    srcroot_uri: bool = False,
) -> None:
    """Write `findings` (already sorted) to `stream` in format `fmt`.

    `rules` are the rule classes enabled for the run (SARIF lists all of them);
    `color` applies to text only (None: decide from the stream and NO_COLOR/TERM);
    `root` is the directory SARIF and GitHub paths are made relative to;
    `files_checked` and `fixed` feed the summaries; `sources` holds the text of files
    the findings point into that is not (or no longer) on disk, by finding path (full
    text shows source lines, SARIF turns fix offsets into regions); `srcroot_uri`
    writes the absolute URI of `root` into SARIF's `originalUriBaseIds`.
    """
    if fmt in ("text", "concise", "full"):
        from hardpin.output import text

        text.render(
            findings,
            stream=stream,
            color=color,
            files_checked=files_checked,
            fixed=fixed,
            sources=SourceCache(sources) if fmt == "full" else None,
        )
    elif fmt == "json":
        from hardpin.output import jsonout

        jsonout.render(findings, stream=stream, files_checked=files_checked, fixed=fixed)
    elif fmt == "sarif":
        from hardpin.output import sarif

        sarif.render(
            findings,
            stream=stream,
            rules=rules,
            root=root,
            sources=SourceCache(sources),
            srcroot_uri=srcroot_uri,
        )
    elif fmt == "github":
        from hardpin.output import github

        github.render(findings, stream=stream, root=root)
    else:
        from hardpin.model import HardpinError

        raise HardpinError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")


class SourceCache:
    """The text of the files findings point into: from the run when it holds it, else
    read from disk once (None when it cannot be read)."""

    def __init__(self, known: Mapping[str, str] | None = None) -> None:
        self._texts: dict[str, Source | None] = {}
        self._known = known or {}

    def get(self, path: str) -> Source | None:
        if path in self._texts:
            return self._texts[path]
        from hardpin.model import HardpinError, Source

        text = self._known.get(path)
        if text is None:
            from hardpin.files import read_source

            try:
                text = read_source(path)
            except (OSError, HardpinError):  # gone, unreadable, not a regular file, too large
                text = None
        src = self._texts[path] = None if text is None else Source(path, text)
        return src


def clean(s: str) -> str:
    """`s` with lone surrogates (undecodable bytes kept by surrogateescape) as U+FFFD.

    File text is decoded with surrogateescape, so a message or path can carry
    lone surrogates that no UTF-8 writer or strict JSON consumer accepts.
    """
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def relative_path(path: str, root: str) -> str | None:
    """`path` relative to `root` with forward slashes, or None when it lies outside.

    A relative `path` is taken relative to the current directory (as the
    engine opened it), like `root` itself.
    """
    import os

    try:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    except ValueError:  # another drive on Windows
        return None
    rel = rel.replace(os.sep, "/")
    if rel == ".." or rel.startswith("../"):
        return None
    return rel
