"""Human-readable output: one line per finding, then a one-line summary.

A line is `path:line:column: CODE severity: message [fix: how]`, so it reads the
same without colour. The full format (`--output-format full`, `--show-source`)
follows each line with the source lines it points at and carets under the span,
laid out as ruff's full format.

Plain output is written with `stream.write` and must never import rich
(importing it costs ~90 ms of the start-up budget); rich is imported only to
colour the same text.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from hardpin._lazy import lazy_re
from hardpin.model import FixAvailability, Severity
from hardpin.output import clean

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    import re
    from typing import TextIO

    from hardpin.model import Finding, Source
    from hardpin.output import SourceCache

_FIX_PHRASE = {
    FixAvailability.SAFE: "fixable with --fix",
    FixAvailability.UNSAFE: "fixable with --unsafe-fixes",
    FixAvailability.NETWORK: "fixable with network",
}
_CODE_STYLE = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "bold yellow",
    Severity.INFO: "bold cyan",
}


def use_color(stream: TextIO, color: bool | None) -> bool:
    """An explicit choice wins; otherwise colour only a terminal, unless NO_COLOR or TERM=dumb."""
    if color is not None:
        return color
    isatty = getattr(stream, "isatty", None)
    try:
        tty = bool(isatty is not None and isatty())
    except (ValueError, OSError):  # closed or detached stream
        tty = False
    if not tty:
        return False
    if os.environ.get("NO_COLOR", ""):
        return False
    return os.environ.get("TERM", "") != "dumb"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def finding_parts(f: Finding) -> tuple[str, str, str, str, str]:
    """(location, code, severity, message, fix suffix) of one line; `finding_line`
    joins them."""
    avail = f.fix_availability
    fix = "" if avail is FixAvailability.NONE else f" [fix: {avail}]"
    loc = f"{one_line(f.path)}:{f.line}:{f.column}:"
    return loc, f.code, f"{f.severity}:", one_line(f.message), fix


def one_line(s: str) -> str:
    """Text from files and servers made safe for one line of a terminal: line breaks shown
    as \\r and \\n, other control characters (C0 but tab, DEL, C1: ESC sequences, OSC,
    BEL) as \\xNN or \\u00NN, undecodable bytes as U+FFFD."""
    s = clean(s)
    if _CONTROL.search(s) is None:
        return s
    escaped: str = _CONTROL.sub(_escape, s)
    return escaped


def escape_controls(s: str) -> str:
    """As `one_line`, but line breaks stay (for formats that encode them themselves)."""
    s = clean(s)
    if _CONTROL_NOT_BREAKS.search(s) is None:
        return s
    escaped: str = _CONTROL_NOT_BREAKS.sub(_escape, s)
    return escaped


_CONTROL = lazy_re("[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_CONTROL_NOT_BREAKS = lazy_re("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    return _NAMED.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x80 else f"\\u{ord(c):04x}")


def finding_line(f: Finding) -> str:
    loc, code, sev, message, fix = finding_parts(f)
    return f"{loc} {code} {sev} {message}{fix}"


MAX_SNIPPET_LINES = 6  # a span over more lines shows its first ones and `...`


def snippet(f: Finding, source: Source | None) -> list[tuple[str, str]]:
    """The lines under a finding in the full format, as (gutter, text) pairs: the
    source lines of its span, each followed by a caret line under the part it covers.

    Carets line up under the text as shown: a tab in the source stays a tab before
    the carets, an escaped control character counts as the characters shown."""
    if source is None or not 1 <= f.line <= source.line_count:
        return []
    last = min(max(f.end_line, f.line), source.line_count)
    shown_last = min(last, f.line + MAX_SNIPPET_LINES - 1)
    width = len(str(shown_last))
    blank = " " * width
    out = [(blank, "")]
    for n in range(f.line, shown_last + 1):
        raw = source.line_text(n)
        start = f.column - 1 if n == f.line else len(raw) - len(raw.lstrip(" \t"))
        end = f.end_column - 1 if n == last else len(raw)
        if n == 1 and raw.startswith("\ufeff"):
            # columns count the BOM, a terminal shows nothing for it
            raw, start, end = raw[1:], start - 1, end - 1
        start = min(max(start, 0), len(raw))
        end = min(max(end, start), len(raw))
        head = one_line(raw[:start])
        pad = "".join("\t" if c == "\t" else " " for c in head)
        carets = "^" * max(len(one_line(raw[start:end])), 1)
        out.append((str(n).rjust(width), one_line(raw)))
        out.append((blank, f"{pad}{carets}" + (f" {f.code}" if n == shown_last else "")))
    if shown_last < last:
        out.append(("." * width, ""))
    out.append((blank, ""))
    return out


def _snippet_text(f: Finding, source: Source | None) -> str:
    """The snippet lines and a blank line that ends the finding's block."""
    rows = snippet(f, source)
    return "".join(f"{gutter} |{' ' + text if text else ''}\n" for gutter, text in rows) + "\n"


def summary(findings: Sequence[Finding], files_checked: int, fixed: int) -> str:
    if not findings:
        line = f"All checks passed ({_plural(files_checked, 'file')})."
    else:
        by_sev = {s: 0 for s in Severity}
        by_fix = {a: 0 for a in FixAvailability}
        paths = set()
        for f in findings:
            by_sev[f.severity] += 1
            by_fix[f.fix_availability] += 1
            paths.add(f.path)
        counts = (
            f"{_plural(by_sev[Severity.ERROR], 'error')}, "
            f"{_plural(by_sev[Severity.WARNING], 'warning')}, "
            f"{by_sev[Severity.INFO]} info"
        )
        found = _plural(len(findings), "finding")
        line = f"Found {found} ({counts}) in {_plural(len(paths), 'file')}"
        fixable = [f"{by_fix[a]} {phrase}" for a, phrase in _FIX_PHRASE.items() if by_fix[a]]
        line += ("; " + ", ".join(fixable) + ".") if fixable else "."
    if fixed:
        line += f" Fixed {fixed}."
    return line


def render(
    findings: Sequence[Finding],
    *,
    stream: TextIO,
    color: bool | None,
    files_checked: int,
    fixed: int,
    sources: SourceCache | None = None,
) -> None:
    """Concise output, or full output (source lines under each finding) with `sources`."""
    if use_color(stream, color):
        _render_rich(findings, stream, files_checked, fixed, sources)
        return
    if sources is None:
        lines = [finding_line(f) + "\n" for f in findings]
    else:
        lines = [finding_line(f) + "\n" + _snippet_text(f, sources.get(f.path)) for f in findings]
    lines.append(summary(findings, files_checked, fixed) + "\n")
    _write(stream, "".join(lines))


def _write(stream: TextIO, text: str) -> None:
    try:
        stream.write(text)
    except UnicodeEncodeError:  # a legacy console encoding cannot show some character
        enc = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(enc, "replace").decode(enc))


def _render_rich(
    findings: Sequence[Finding],
    stream: TextIO,
    files_checked: int,
    fixed: int,
    sources: SourceCache | None,
) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(
        file=stream,
        force_terminal=True,
        color_system="standard",
        no_color=False,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    )
    for f in findings:
        loc, code, sev, message, fix = finding_parts(f)
        line = Text()
        line.append(loc, style="bold")
        line.append(" ")
        line.append(code, style=_CODE_STYLE[f.severity])
        line.append(" ")
        line.append(sev, style=_CODE_STYLE[f.severity])
        line.append(" ")
        line.append(message)
        if fix:
            line.append(fix, style="dim")
        console.print(line)
        if sources is not None:
            for i, (gutter, text) in enumerate(snippet(f, sources.get(f.path))):
                row = Text()
                row.append(f"{gutter} |", style="bold blue")
                if text:
                    # rows alternate after the first: a source line, then its carets
                    caret = i % 2 == 0
                    row.append(" " + text, style=_CODE_STYLE[f.severity] if caret else "")
                console.print(row)
            console.print()
    text = summary(findings, files_checked, fixed)
    console.print(Text(text, style="bold green" if not findings else "bold"))
