"""Suppression comments: `# hardpin: ignore=HP101,HP102 reason` and `# hardpin: ignore-file=HP401`.

In Dockerfiles a comment applies to the next instruction (all its lines,
continuations and heredoc bodies included); it may sit anywhere in the block
of comment lines directly above that instruction. In pip requirements files a
trailing comment applies to its whole requirement (all its continuation lines),
a comment on a line of its own to the next requirement. `ignore-file` applies to
the whole file wherever it is. Suppressions that suppress nothing become HP002.
"""

from __future__ import annotations

import re

from hardpin._lazy import lazy_re
from hardpin._record import field, record
from hardpin.model import Finding, Source

_COMMENT_RE = lazy_re(
    r"#\s*hardpin:\s*(ignore|ignore-file)\s*=\s*([A-Za-z0-9]+(?:\s*,\s*[A-Za-z0-9]+)*)"
)


@record
class Suppression:
    line: int
    start: int  # source offsets of the `hardpin: ...` comment
    end: int
    codes: tuple[str, ...]
    first_line: int  # lines it covers; 0..0 for nothing, whole file for ignore-file
    last_line: int
    used: set[str] = field(default_factory=set)


def _scan(source: Source) -> list[tuple[int, re.Match[str], int]]:
    """(line number, match, line start offset) for every suppression comment line."""
    text = source.text
    if "hardpin:" not in text:
        return []
    out = []
    for line in range(1, source.line_count + 1):
        start = source.line_start(line)
        content = source.line_text(line)
        stripped = content.lstrip(" \t\ufeff")
        if not stripped.startswith("#"):
            continue
        m = _COMMENT_RE.match(stripped)
        if m:
            out.append((line, m, start + len(content) - len(stripped)))
    return out


def dockerfile_suppressions(
    source: Source, instruction_lines: list[tuple[int, int]]
) -> list[Suppression]:
    """`instruction_lines`: (first line, last line) of every instruction, in order."""
    found = _scan(source)
    if not found:
        return []
    starts = {first: last for first, last in instruction_lines}
    covered = set()
    for first, last in instruction_lines:
        covered.update(range(first + 1, last + 1))
    sups = []
    for line, m, off in found:
        codes = tuple(c.strip().upper() for c in m.group(2).split(","))
        if m.group(1) == "ignore-file":
            first, last = 1, source.line_count
        else:
            first = last = 0
            nxt = line + 1
            # skip further comment lines of the same block
            while nxt <= source.line_count and nxt not in starts:
                t = source.line_text(nxt).strip()
                if not t.startswith("#") or nxt in covered:
                    break
                nxt += 1
            if nxt in starts:
                first, last = nxt, starts[nxt]
        sups.append(Suppression(line, off, off + m.end(), codes, first, last))
    return sups


_TRAILING_RE = lazy_re(
    r"(?:^|\s)#\s*hardpin:\s*(ignore|ignore-file)\s*=\s*([A-Za-z0-9]+(?:\s*,\s*[A-Za-z0-9]+)*)"
)


def line_suppressions(source: Source) -> list[Suppression]:
    """Scripts and line-based files: a trailing `# hardpin: ignore=...` covers its own line;
    on a line of its own it covers the next line that is not a comment."""
    if "hardpin:" not in source.text:
        return []
    sups = []
    n = source.line_count
    for line in range(1, n + 1):
        content = source.line_text(line)
        if "hardpin:" not in content:
            continue
        m = _TRAILING_RE.search(content)
        if not m:
            continue
        start = source.line_start(line) + m.start() + (1 if content[m.start()] != "#" else 0)
        codes = tuple(c.strip().upper() for c in m.group(2).split(","))
        if m.group(1) == "ignore-file":
            first, last = 1, n
        elif content.lstrip().startswith("#"):
            nxt = line + 1
            while nxt <= n and source.line_text(nxt).lstrip().startswith("#"):
                nxt += 1
            first = last = nxt if nxt <= n else 0
        else:
            first = last = line
        sups.append(Suppression(line, start, source.line_start(line) + m.end(), codes, first, last))
    return sups


def _requirement_groups(source: Source) -> tuple[list[int], list[int]]:
    """(first line, last line) of the logical line holding each physical line (1-based
    lists, index 0 unused), joined like pip: a line ending in `\\` continues on the next,
    unless it is a comment line; a comment line ends a continuation and belongs to it."""
    n = source.line_count
    first = [0] * (n + 1)
    last = [0] * (n + 1)
    start = 1
    for line in range(1, n + 1):
        t = source.line_text(line)
        if line == 1:
            t = t.lstrip("\ufeff")
        if t.endswith("\\") and not t.lstrip().startswith("#") and line < n:
            continue
        for ln in range(start, line + 1):
            first[ln], last[ln] = start, line
        start = line + 1
    return first, last


def requirements_suppressions(source: Source) -> list[Suppression]:
    """pip requirements files: as `line_suppressions`, but a suppression covers the whole
    logical line (a requirement and its `--hash` continuation lines). pip ends a
    continuation at a comment, so the comment goes on the last line of the requirement
    (`    --hash=sha256:... # hardpin: ignore=HP303`); on a line of its own it covers
    the next requirement."""
    sups = line_suppressions(source)
    if not sups:
        return sups
    first, last = _requirement_groups(source)
    n = source.line_count
    for s in sups:
        if s.first_line == 1 and s.last_line == n:
            continue  # ignore-file
        if first[s.line] != last[s.line]:
            # on a line of a continued requirement (a comment line there ends it)
            s.first_line, s.last_line = first[s.line], last[s.line]
        elif s.first_line > 0:
            s.first_line, s.last_line = first[s.first_line], last[s.last_line]
    return sups


def apply(findings: list[Finding], sups: list[Suppression]) -> list[Finding]:
    """Drop suppressed findings, recording which suppression codes were used."""
    if not sups:
        return findings
    kept = []
    for f in findings:
        hit = False
        for s in sups:
            if f.code in s.codes and s.first_line <= f.line <= s.last_line:
                s.used.add(f.code)
                hit = True
        if not hit:
            kept.append(f)
    return kept
