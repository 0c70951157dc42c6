"""Regular expressions compiled on first use, from a cache kept between runs.

Compiling a pattern runs Python's own regex parser and compiler (pure Python):
50-500 µs a pattern, and a one-file check needs about fifty of them — a sixth of
its instructions. So a pattern is compiled only when first used (`lazy_re`),
and the compiled form (the `_sre` program the compiler produces) is kept in a
small file in hardpin's cache directory (`$HARDPIN_CACHE_DIR`, else
`$XDG_CACHE_HOME/hardpin`, else `~/.cache/hardpin`), one per interpreter
version and regex engine, so the next run builds the same pattern object
without the compiler. Nothing here can change a match: a cached program is used
only for the same pattern text, flags, interpreter and engine, the file is
replaced atomically, and any trouble (unreadable, unwritable, corrupt, an
interpreter without these internals) means compiling as `re.compile` does.
`HARDPIN_REGEX_CACHE=0` turns the file off.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

_Entry = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]
_MAX_ENTRIES = 2000

_cache: dict[tuple[str, int], _Entry] | None = None  # None: not read yet
_new = 0  # entries added since the file was read


def _engine() -> Any:
    """CPython's regex engine (`_sre`), which builds a pattern from a compiled program."""
    return __import__("_sre")


def _path() -> str | None:
    if os.environ.get("HARDPIN_REGEX_CACHE", "") in ("0", "no", "false"):
        return None
    try:
        engine = _engine()
        tag = f"{sys.implementation.cache_tag}-{engine.MAGIC}-{engine.CODESIZE}"
    except (ImportError, AttributeError):
        return None
    root = os.environ.get("HARDPIN_CACHE_DIR")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = os.path.join(xdg or os.path.join(os.path.expanduser("~"), ".cache"), "hardpin")
    return os.path.join(root, f"regex-{tag}.marshal")


def _load() -> dict[tuple[str, int], _Entry]:
    global _cache
    _cache = {}
    path = _path()
    if path is None:
        return _cache
    try:
        with open(path, "rb") as fh:
            import marshal

            data = marshal.loads(fh.read())
        if isinstance(data, dict):
            _cache = data
    except (OSError, ValueError, EOFError, TypeError):
        pass
    return _cache


def _save() -> None:
    path = _path()
    if path is None or not _new or _cache is None:
        return
    import marshal

    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(marshal.dumps(_cache))
        os.replace(tmp, path)
    except (OSError, ValueError):
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _build(pattern: str, flags: int) -> _Entry:
    """What the regex compiler makes of `pattern`: (flags, program, groups, groupindex,
    indexgroup), the arguments `_sre.compile` takes besides the pattern text."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern, flags)
    program = _compiler._code(parsed, flags)
    state = parsed.state
    groupindex = dict(state.groupdict)
    indexgroup: list[str | None] = [None] * state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    # plain ints: the compiler's opcodes are an int subclass marshal does not take
    return (
        int(flags | state.flags),
        [int(op) for op in program],
        int(state.groups - 1),
        {str(k): int(v) for k, v in groupindex.items()},
        tuple(indexgroup),
    )


def compile_cached(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, through the cache of compiled programs."""
    global _new
    cache = _cache if _cache is not None else _load()
    key = (pattern, int(flags))
    entry = cache.get(key)
    if entry is not None:
        try:
            compiled: re.Pattern[str] = _engine().compile(pattern, *entry)
            return compiled
        except Exception:  # a stale or damaged entry: compile it again
            del cache[key]
    try:
        entry = _build(pattern, int(flags))
        compiled = _engine().compile(pattern, *entry)
    except re.error:
        raise
    except Exception:  # no such internals on this interpreter
        return re.compile(pattern, flags)
    if len(cache) >= _MAX_ENTRIES:
        cache.clear()
    cache[key] = entry
    if not _new:
        import atexit

        atexit.register(_save)
    _new += 1
    return compiled


class LazyRe:
    __slots__ = ("_args", "_re")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._re: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        r = self._re
        if r is None:
            r = self._re = compile_cached(*self._args)
        return getattr(r, name)


def lazy_re(pattern: str, flags: int = 0) -> Any:
    """A stand-in for `re.compile(pattern, flags)` that compiles when first used."""
    return LazyRe(pattern, flags)
