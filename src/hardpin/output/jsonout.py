"""Machine-readable output with a stable, versioned schema (docs/output-formats.md).

Named `jsonout` so it cannot shadow the standard library's `json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from hardpin import __version__
from hardpin.model import Severity
from hardpin.output import clean

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import TextIO

    from hardpin.model import Finding

SCHEMA_VERSION = 1


def document(findings: Sequence[Finding], *, files_checked: int, fixed: int) -> dict[str, object]:
    by_severity = {str(s): 0 for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)}
    items = []
    for f in findings:
        by_severity[str(f.severity)] += 1
        d = f.to_dict()
        d["message"] = clean(f.message)
        d["path"] = clean(f.path)
        items.append(d)
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "hardpin", "version": __version__},
        "findings": items,
        "summary": {
            "files": files_checked,
            "findings": len(items),
            "by_severity": by_severity,
            "fixed": fixed,
        },
    }


def render(findings: Sequence[Finding], *, stream: TextIO, files_checked: int, fixed: int) -> None:
    doc = document(findings, files_checked=files_checked, fixed=fixed)
    # ensure_ascii keeps the output pure ASCII, so no console encoding can reject it.
    stream.write(json.dumps(doc, indent=2) + "\n")
