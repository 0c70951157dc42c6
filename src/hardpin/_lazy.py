"""Regular expressions compiled on first use.

Compiling a pattern costs 50-500 µs; the rules hold over a hundred of them,
most of which a given file never needs. Start-up (a single-file check well
under 70 ms) cannot pay for all of them up front.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import Any


class LazyRe:
    __slots__ = ("_args", "_re")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._re: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        r = self._re
        if r is None:
            r = self._re = re.compile(*self._args)
        return getattr(r, name)


def lazy_re(pattern: str, flags: int = 0) -> Any:
    """A stand-in for `re.compile(pattern, flags)` that compiles when first used."""
    return LazyRe(pattern, flags)
