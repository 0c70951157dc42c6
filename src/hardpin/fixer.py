"""The fix engine: apply span edits, re-check until nothing changes, write atomically."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from hardpin.model import Applicability, Edit, Finding, HardpinError

MAX_PASSES = 10


def applicable(f: Finding, unsafe: bool) -> bool:
    fx = f.edits
    if fx is None or not fx.edits:
        return False
    if fx.applicability is Applicability.SAFE:
        return True
    return unsafe and fx.applicability is Applicability.UNSAFE


def apply_edits(text: str, findings: Sequence[Finding], unsafe: bool) -> tuple[str, int]:
    """Apply the fixes of `findings` that do not overlap; returns (new text, fixes applied)."""
    chosen: list[Edit] = []
    taken: list[tuple[int, int]] = []
    count = 0
    for f in sorted(findings, key=lambda f: f.sort_key):
        if not applicable(f, unsafe):
            continue
        assert f.edits is not None
        spans = [(e.start, e.end) for e in f.edits.edits]
        if any(s < te and ts < e or (s == e == ts) for s, e in spans for ts, te in taken):
            continue
        taken.extend(spans)
        chosen.extend(f.edits.edits)
        count += 1
    if not chosen:
        return text, 0
    out = []
    pos = 0
    for e in sorted(chosen, key=lambda e: (e.start, e.end)):
        out.append(text[pos : e.start])
        out.append(e.text)
        pos = e.end
    out.append(text[pos:])
    return "".join(out), count


def converge(
    text: str,
    lint: Callable[[str], list[Finding]],
    unsafe: bool,
    findings: list[Finding] | None = None,
) -> tuple[str, int, list[Finding]]:
    """Fix, re-lint, repeat until no applicable fix is left. Returns (text, fixes, findings).

    `findings`: what `lint(text)` gives, when the caller has it already."""
    total = 0
    if findings is None:
        findings = lint(text)
    for _ in range(MAX_PASSES):
        new, n = apply_edits(text, findings, unsafe)
        if n == 0 or new == text:
            break
        total += n
        text = new
        findings = lint(text)
    return text, total, findings


def write_atomic(path: str, data: bytes) -> None:
    """Replace (or create) `path` with `data` via a temporary file in the same directory;
    an existing file keeps its mode."""
    import tempfile

    d = os.path.dirname(os.path.abspath(path))
    try:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        fd, tmp = tempfile.mkstemp(prefix=".hardpin-", dir=d)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError as exc:
        raise HardpinError(f"{path}: cannot write the fixed file: {exc.strerror or exc}") from exc


def unified_diff(path: str, old: str, new: str) -> str:
    import difflib

    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, fromfile=f"a/{path}", tofile=f"b/{path}")
    out = []
    for ln in lines:
        out.append(ln if ln.endswith("\n") else ln + "\n\\ No newline at end of file\n")
    return "".join(out)
