"""The fix engine: apply span edits, re-check until nothing changes, write atomically."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from hardpin.model import Applicability, Edit, Finding, HardpinError

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from hardpin.engine import FileStamp

MAX_PASSES = 10


def applicable(f: Finding, unsafe: bool) -> bool:
    fx = f.fix
    if fx is None or not fx.edits:
        return False
    if fx.applicability is Applicability.SAFE:
        return True
    return unsafe and fx.applicability is Applicability.UNSAFE


def apply_edits(
    text: str, findings: Sequence[Finding], unsafe: bool, applied: list[Finding] | None = None
) -> tuple[str, int]:
    """Apply the fixes of `findings` that do not overlap; returns (new text, fixes applied).
    The findings whose fixes were applied are appended to `applied`."""
    chosen: list[Edit] = []
    taken: list[tuple[int, int]] = []
    count = 0
    for f in sorted(findings, key=lambda f: f.sort_key):
        if not applicable(f, unsafe):
            continue
        assert f.fix is not None
        spans = [(e.start, e.end) for e in f.fix.edits]
        if any(s < te and ts < e or (s == e == ts) for s, e in spans for ts, te in taken):
            continue
        taken.extend(spans)
        chosen.extend(f.fix.edits)
        count += 1
        if applied is not None:
            applied.append(f)
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
    applied: list[Finding] | None = None,
) -> tuple[str, int, list[Finding]]:
    """Fix, re-lint, repeat until no applicable fix is left. Returns (text, fixes, findings).

    `findings`: what `lint(text)` gives, when the caller has it already; `applied`
    collects the findings whose fixes were applied."""
    total = 0
    if findings is None:
        findings = lint(text)
    for _ in range(MAX_PASSES):
        new, n = apply_edits(text, findings, unsafe, applied)
        if n == 0 or new == text:
            break
        total += n
        text = new
        findings = lint(text)
    return text, total, findings


class WriteRefused(HardpinError):
    """A fixed file was not written (changed since it was read, not writable, an I/O
    error); the message names the file and says what to do."""


def _unchanged(path: str, expect: FileStamp) -> bool:
    """Whether `path` still holds the bytes `expect` describes (size, mtime, sha256)."""
    import hashlib

    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if st.st_size != expect.size or st.st_mtime_ns != expect.mtime_ns:
                return False
            data = fh.read(expect.size + 1)
    except OSError:
        return False
    return hashlib.sha256(data).hexdigest() == expect.sha256


def _temporary_beside(directory: str) -> tuple[int, str]:
    """A new file of mode 0600 in `directory`, opened for writing: as tempfile.mkstemp
    (exclusive creation, no symlink followed), without importing tempfile (and the
    shutil, random and compression modules it loads, a tenth of a `--fix` run's
    imports)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".hardpin-{os.urandom(6).hex()}")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {directory}")


def write_atomic(
    path: str, data: bytes, *, expect: FileStamp | None = None, shown: str | None = None
) -> None:
    """Replace (or create) `path` with `data`, atomically: through a temporary file in
    the same directory and a rename, so a reader sees the old file or the new one,
    never a part.

    A symbolic link is written through (its target is replaced; the link stays). An
    existing file keeps its mode, and its owner and group when running as root; a
    file without write permission is refused, never replaced. With `expect`, the
    file must still hold the bytes that were read (checked just before the rename):
    an edit saved meanwhile is never lost. Raises WriteRefused, whose message names
    the file as `shown` (default: `path`)."""
    name = path if shown is None else shown

    target = os.path.realpath(path)
    d = os.path.dirname(target)
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise WriteRefused(f"{name}: cannot write the fixed file: {exc.strerror or exc}") from exc
    if st is not None:
        mode = st.st_mode & 0o7777
        if not os.access(target, os.W_OK) or not mode & 0o222:
            raise WriteRefused(f"{name}: not fixed: the file is not writable")
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, tmp = _temporary_beside(d)
    except OSError as exc:
        raise WriteRefused(f"{name}: cannot write the fixed file: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if st is not None and hasattr(os, "geteuid") and os.geteuid() == 0:
            os.chown(tmp, st.st_uid, st.st_gid)
        if expect is not None and not _unchanged(target, expect):
            raise WriteRefused(f"{name}: changed while hardpin was running; run again")
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise WriteRefused(
                f"{name}: cannot write the fixed file: {exc.strerror or exc}"
            ) from exc
        raise


def unified_diff(path: str, old: str, new: str) -> str:
    import difflib

    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, fromfile=f"a/{path}", tofile=f"b/{path}")
    out = []
    for ln in lines:
        out.append(ln if ln.endswith("\n") else ln + "\n\\ No newline at end of file\n")
    return "".join(out)
