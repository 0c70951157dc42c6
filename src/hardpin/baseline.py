"""Baselines: record today's findings, report only new ones later.

A finding's identity is (code, path, subject): the flagged text, not its line,
so edits elsewhere in the file do not bring a baselined finding back. Identical
identities are counted, so a second copy of a baselined problem is new.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from hardpin.model import Finding, HardpinError

VERSION = 1


def _key(f: Finding) -> tuple[str, str, str]:
    return (f.code, f.path.replace("\\", "/"), f.subject)


def write(path: str, findings: Sequence[Finding]) -> None:
    from hardpin.fixer import write_atomic

    counts = Counter(_key(f) for f in findings)
    items = [
        {"code": c, "path": p, "subject": s, "count": n} for (c, p, s), n in sorted(counts.items())
    ]
    data = json.dumps({"version": VERSION, "findings": items}, indent=2) + "\n"
    try:
        open(path, "ab").close()
    except OSError as exc:
        raise HardpinError(f"{path}: cannot write the baseline: {exc.strerror}") from exc
    write_atomic(path, data.encode())


def load(path: str) -> Counter[tuple[str, str, str]]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise HardpinError(f"{path}: cannot read the baseline: {exc.strerror}") from exc
    except ValueError as exc:
        raise HardpinError(f"{path}: the baseline is not valid JSON: {exc}") from exc
    if (
        not isinstance(data, dict)
        or data.get("version") != VERSION
        or not isinstance(data.get("findings"), list)
    ):
        raise HardpinError(
            f"{path}: not a hardpin baseline (expected version {VERSION} and a findings list)"
        )
    out: Counter[tuple[str, str, str]] = Counter()
    for i, item in enumerate(data["findings"]):
        try:
            out[(str(item["code"]), str(item["path"]), str(item["subject"]))] += int(
                item.get("count", 1)
            )
        except (KeyError, TypeError, ValueError):
            raise HardpinError(f"{path}: baseline entry {i} lacks code, path or subject") from None
    return out


def filter_new(findings: Sequence[Finding], base: Counter[tuple[str, str, str]]) -> list[Finding]:
    left = Counter(base)
    out = []
    for f in findings:
        k = _key(f)
        if left[k] > 0:
            left[k] -= 1
        else:
            out.append(f)
    return out
