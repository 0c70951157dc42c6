"""Reading the files hardpin lints, safely: regular files only, never blocking, with a cap.

A path named `Dockerfile` may be a FIFO (reading it waits for a writer forever), a
device (`/dev/zero` never ends), or a file of gigabytes. `read_source` opens the path
without blocking (`O_NONBLOCK`, so opening a FIFO returns at once), looks at what it
opened (`fstat` on the descriptor, so the check and the read concern the same file),
and reads it only when it is a regular file no larger than `max_bytes`. Anything
else raises `SkippedFile`, whose message is the one-line note to print before
linting the other files.
"""

from __future__ import annotations

import os
import stat

from hardpin.model import HardpinError

DEFAULT_MAX_FILE_SIZE = 4 * 1024 * 1024
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1024**2, "mb": 1000**2,
          "mib": 1024**2, "g": 1024**3, "gb": 1000**3, "gib": 1024**3}  # fmt: skip


class SkippedFile(HardpinError):
    """A file that is not linted: not a regular file, or larger than the cap."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bytes(path: str, max_bytes: int = DEFAULT_MAX_FILE_SIZE) -> bytes:
    """The bytes of the regular file `path`, at most `max_bytes` of them.

    Raises SkippedFile for anything that is not a regular file or is larger than
    `max_bytes`, HardpinError when the file cannot be opened or read (a NUL byte in
    the path included).
    """
    return read_bytes_stat(path, max_bytes)[0]


def read_bytes_stat(
    path: str, max_bytes: int = DEFAULT_MAX_FILE_SIZE, *, partial: bool = False
) -> tuple[bytes, os.stat_result]:
    """`read_bytes`, and the `fstat` of the file that was read. With `partial`, a larger
    file gives its first `max_bytes` bytes instead of SkippedFile."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except ValueError:  # an embedded NUL byte
        raise HardpinError(f"{path!r}: cannot read: the path holds a NUL byte") from None
    except OSError as exc:
        raise HardpinError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SkippedFile(f"{path}: skipped: {_kind(st.st_mode)}, not a regular file")
        if st.st_size > max_bytes and not partial:
            raise SkippedFile(_too_large(path, st.st_size, max_bytes))
        chunks: list[bytes] = []
        # one byte more tells a file that grew past the cap
        left = max_bytes if partial else max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            raise SkippedFile(_too_large(path, len(data), max_bytes))
        return data, st
    except OSError as exc:
        raise HardpinError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)


def read_head(path: str, n: int) -> bytes | None:
    """The first `n` bytes of the regular file `path`, or None (not a regular file, not
    readable): for sniffing a file's kind without blocking on a FIFO."""
    try:
        return read_bytes_stat(path, n, partial=True)[0]
    except HardpinError:
        return None


def read_source(path: str, max_bytes: int = DEFAULT_MAX_FILE_SIZE) -> str:
    """`read_bytes` decoded as UTF-8; invalid bytes survive as surrogates (surrogateescape),
    so a fix writes every byte it did not edit back unchanged."""
    return read_bytes(path, max_bytes).decode("utf-8", "surrogateescape")


def _too_large(path: str, size: int, max_bytes: int) -> str:
    return (
        f"{path}: skipped: {format_size(size)} is larger than max-file-size "
        f"({format_size(max_bytes)})"
    )


def format_size(n: int) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}".replace(".0 ", " ")
    return f"{n} bytes"


def parse_size(value: object) -> int:
    """A `max-file-size` setting: a whole number of bytes, or a string such as "4 MiB",
    "512k", "10MB" (k/m/g and KiB/MiB/GiB are powers of 1024, KB/MB/GB of 1000)."""
    if isinstance(value, bool):
        raise ValueError(f'expected a size such as 4194304 or "4 MiB", got {value!r}')
    if isinstance(value, int):
        n = value
    elif isinstance(value, str):
        s = value.strip().lower()
        digits = len(s) - len(s.lstrip("0123456789"))
        unit = s[digits:].strip()
        if not digits or unit not in _UNITS:
            raise ValueError(f'expected a size such as 4194304 or "4 MiB", got {value!r}')
        n = int(s[:digits]) * _UNITS[unit]
    else:
        raise ValueError(f'expected a size such as 4194304 or "4 MiB", got {value!r}')
    if n < 1:
        raise ValueError(f"expected a size of at least 1 byte, got {value!r}")
    return n


def max_file_size(settings: object) -> int:
    """The `max-file-size` setting of a Settings object (the default when unset)."""
    get = getattr(settings, "get", None)
    value = get("max-file-size") if get is not None else None
    return value if isinstance(value, int) else DEFAULT_MAX_FILE_SIZE
