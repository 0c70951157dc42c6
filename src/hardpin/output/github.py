"""GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` line per finding.

Escaping follows @actions/toolkit (packages/core/src/command.ts): the message
(data) escapes `%`, CR and LF; property values also escape `:` and `,`.
Columns are only sent when the finding starts and ends on the same line: the
toolkit documents that startColumn/endColumn "cannot be sent when startLine
and endLine are different values".
"""

from __future__ import annotations

from collections.abc import Sequence

from hardpin.model import Severity
from hardpin.output import relative_path

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import TextIO

    from hardpin.model import Finding

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def command(f: Finding, root: str) -> str:
    path = relative_path(f.path, root)
    if path is None:
        path = f.path.replace("\\", "/")
    from hardpin.output.text import escape_controls  # ESC, OSC, BEL: not for the log viewer

    props = [("file", escape_controls(path)), ("line", str(f.line))]
    if f.end_line == f.line:
        props += [
            ("col", str(f.column)),
            ("endLine", str(f.end_line)),
            ("endColumn", str(max(f.end_column, f.column))),
        ]
    else:
        props.append(("endLine", str(max(f.end_line, f.line))))
    props.append(("title", f"{f.code} {f.name}"))
    joined = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    return f"::{COMMAND[f.severity]} {joined}::{escape_data(escape_controls(f.message))}"


def render(findings: Sequence[Finding], *, stream: TextIO, root: str) -> None:
    if findings:
        stream.write("".join(command(f, root) + "\n" for f in findings))
