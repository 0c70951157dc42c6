"""The progress bar of a run's network lookups, drawn on a terminal's stderr.

The engine reports progress as events (`hardpin.engine.ProgressEvent`); this module
draws them. rich is imported only when a bar is actually shown: on a terminal, from
PROGRESS_MIN lookups.
"""

from __future__ import annotations

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import Any, TextIO

    from hardpin.engine import ProgressEvent

PROGRESS_MIN = 8  # show a bar from this many lookups


class LookupProgress:
    """A callable for `RunRequest.progress`; call `close()` when the run ends."""

    def __init__(self, stream: TextIO, enabled: bool | None = None) -> None:
        self._stream = stream
        self._enabled = enabled
        self._bar: Any = None
        self._task: Any = None

    def _wanted(self) -> bool:
        if self._enabled is not None:
            return self._enabled
        isatty = getattr(self._stream, "isatty", None)
        try:
            return bool(isatty is not None and isatty())
        except (ValueError, OSError):
            return False

    def __call__(self, event: ProgressEvent) -> None:
        if event.stage != "lookup":
            return
        if event.done == 0:
            self.close()
            if event.total >= PROGRESS_MIN and self._wanted():
                self._start(event.total)
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=event.done)
            if event.done >= event.total:
                self.close()

    def _start(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._bar = Progress(
            TextColumn("resolving"),
            BarColumn(),
            MofNCompleteColumn(),
            transient=True,
            console=Console(file=self._stream),
        )
        self._task = self._bar.add_task("resolve", total=total)
        self._bar.start()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
