"""Network work lives here (registry, package index, git refs, signatures, cache).

Nothing outside this package imports `requests` or `subprocess`.
"""

from __future__ import annotations

import sys


class Log:
    """The `logging.Logger` of a name, looked up when a message is emitted, so that
    importing a network module does not import `logging` (~4 ms). A debug message
    while nothing has imported `logging` is dropped without importing it: nothing can
    have configured a handler or level that would show it."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def debug(self, msg: str, *args: object) -> None:
        logging = sys.modules.get("logging")
        if logging is not None:
            logging.getLogger(self.name).debug(msg, *args)

    def warning(self, msg: str, *args: object) -> None:
        import logging

        logging.getLogger(self.name).warning(msg, *args)
