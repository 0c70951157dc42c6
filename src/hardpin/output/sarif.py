"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run; `tool.driver.rules` lists every rule enabled for the run (not only
those with results), and each result points at its rule by `ruleId` and
`ruleIndex`. Paths are URIs relative to `%SRCROOT%` (the `root` directory),
regions are 1-based with an exclusive `endColumn` (SARIF's "column of the
character following the end of the region", which is what a Finding holds),
and columns count Unicode code points (`columnKind`).

Results whose fix is known (the edits of an offline fix, or of a network fix the
run has answered) carry it as SARIF `fixes`: one `artifactChange` with a
`replacement` per edit, `deletedRegion` in lines and columns of the text the
finding points into (an insertion is an empty region) and `insertedContent`.

`originalUriBaseIds` names no local path unless asked (`srcroot_uri`, the
`--sarif-srcroot` flag): a log uploaded from CI should not record where the
checkout was, and viewers resolve `%SRCROOT%` themselves.

`partialFingerprints.primaryLocationLineHash` comes from (code, path, subject):
the flagged text, not its line, so an alert survives edits elsewhere in the
file (like hardpin's baselines). The subject itself is never written (it can
be a secret); only a hash of it, with a per-run occurrence counter so that
identical findings in one file stay distinct.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from hardpin import __version__
from hardpin.model import Severity
from hardpin.output import clean, relative_path

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import TextIO

    from hardpin.model import Finding, Source
    from hardpin.output import SourceCache
    from hardpin.rules.base import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/hardpin/hardpin"
HELP_URI = "https://github.com/hardpin/hardpin/blob/main/rules/{code}.md"
SRCROOT = "%SRCROOT%"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# GitHub shows security-severity as critical (>= 9.0), high (7.0-8.9), medium (4.0-6.9)
# or low (0.1-3.9).
SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.0", Severity.INFO: "2.0"}
TAGS = ["security", "supply-chain"]


def pascal_case(kebab: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in kebab.split("-") if part)


def rule_descriptor(rule: type[Rule]) -> dict[str, object]:
    summary = rule.summary()
    sections = rule.sections()
    markdown = "\n\n".join([summary] + [f"## {head}\n\n{body}" for head, body in sections.items()])
    text = "\n\n".join([summary] + [f"{head}\n\n{body}" for head, body in sections.items()])
    return {
        "id": rule.code,
        "name": pascal_case(rule.name),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": sections.get("What it does", summary) or summary},
        "help": {"text": text, "markdown": markdown},
        "helpUri": HELP_URI.format(code=rule.code),
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {
            "tags": list(TAGS),
            "precision": "high",
            "security-severity": SECURITY_SEVERITY[rule.severity],
        },
    }


def _fallback_descriptor(f: Finding) -> dict[str, object]:
    """A finding whose rule is not among the enabled ones (e.g. HP001 from the engine)."""
    from hardpin.registry import BY_CODE

    rule = BY_CODE.get(f.code)
    if rule is not None:
        return rule_descriptor(rule)
    return {
        "id": f.code,
        "name": pascal_case(f.name),
        "shortDescription": {"text": f.name},
        "helpUri": HELP_URI.format(code=f.code),
        "defaultConfiguration": {"level": LEVEL[f.severity]},
        "properties": {
            "tags": list(TAGS),
            "precision": "high",
            "security-severity": SECURITY_SEVERITY[f.severity],
        },
    }


def _uri_quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def artifact_location(path: str, root: str) -> tuple[dict[str, str], str]:
    """(artifactLocation, the path the fingerprint hashes)."""
    rel = relative_path(path, root)
    if rel is not None:
        rel = clean(rel)
        return {"uri": _uri_quote(rel), "uriBaseId": SRCROOT}, rel
    import os
    from pathlib import Path

    absolute = os.path.abspath(path)
    try:
        uri = Path(absolute).as_uri()
    except ValueError:
        uri = _uri_quote(clean(absolute.replace(os.sep, "/")))
    return {"uri": clean(uri)}, clean(absolute.replace(os.sep, "/"))


def fingerprint(code: str, path: str, subject: str) -> str:
    import hashlib

    data = "\0".join((code, path, subject)).encode("utf-8", "surrogateescape")
    return hashlib.sha256(data).hexdigest()[:32]


def region(f: Finding) -> dict[str, int]:
    start_line, start_col = max(f.line, 1), max(f.column, 1)
    end_line, end_col = f.end_line, f.end_column
    if end_line < start_line:
        end_line, end_col = start_line, start_col
    if end_line == start_line:
        end_col = max(end_col, start_col)
    return {
        "startLine": start_line,
        "startColumn": start_col,
        "endLine": end_line,
        "endColumn": max(end_col, 1),
    }


def fixes(f: Finding, location: dict[str, str], source: Source | None) -> list[dict[str, object]]:
    """SARIF `fixes` of a finding whose fix edits are known (empty when none are, or
    when the text they point into cannot be read)."""
    fix = f.fix
    if fix is None or not fix.edits or source is None:
        return []
    n = len(source.text)
    replacements = []
    for e in sorted(fix.edits, key=lambda e: (e.start, e.end)):
        if not 0 <= e.start <= e.end <= n:
            return []  # not this text's offsets: no fix rather than a wrong one
        start_line, start_col = source.position(e.start)
        end_line, end_col = source.position(e.end)
        replacements.append(
            {
                "deletedRegion": {
                    "startLine": start_line,
                    "startColumn": start_col,
                    "endLine": end_line,
                    "endColumn": end_col,
                },
                "insertedContent": {"text": clean(e.text)},
            }
        )
    safety = "safe fix" if str(fix.applicability) == "safe" else "unsafe fix (--unsafe-fixes)"
    what = clean(fix.description) if fix.description else f"{f.code} {f.name}"
    return [
        {
            "description": {"text": f"{what} ({safety})"},
            "artifactChanges": [{"artifactLocation": location, "replacements": replacements}],
        }
    ]


def _root_uri(root: str) -> str:
    import os
    from pathlib import Path

    uri = Path(os.path.abspath(root)).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def document(
    findings: Sequence[Finding],
    *,
    rules: Sequence[type[Rule]],
    root: str,
    sources: SourceCache | None = None,
    srcroot_uri: bool = False,
) -> dict[str, object]:
    descriptors = [rule_descriptor(r) for r in rules]
    index = {r.code: i for i, r in enumerate(rules)}
    results = []
    seen: dict[str, int] = {}
    for f in findings:
        if f.code not in index:
            index[f.code] = len(descriptors)
            descriptors.append(_fallback_descriptor(f))
        location, hashed_path = artifact_location(f.path, root)
        digest = fingerprint(f.code, hashed_path, f.subject)
        seen[digest] = seen.get(digest, 0) + 1
        result: dict[str, object] = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": LEVEL[f.severity],
            "message": {"text": clean(f.message)},
            "locations": [
                {"physicalLocation": {"artifactLocation": location, "region": region(f)}}
            ],
            "partialFingerprints": {"primaryLocationLineHash": f"{digest}:{seen[digest]}"},
        }
        if f.fix is not None and sources is not None:
            found = fixes(f, location, sources.get(f.path))
            if found:
                result["fixes"] = found
        results.append(result)
    run: dict[str, object] = {
        "tool": {
            "driver": {
                "name": "hardpin",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if srcroot_uri:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": _root_uri(root)}}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(
    findings: Sequence[Finding],
    *,
    stream: TextIO,
    rules: Sequence[type[Rule]],
    root: str,
    sources: SourceCache | None = None,
    srcroot_uri: bool = False,
) -> None:
    doc = document(findings, rules=rules, root=root, sources=sources, srcroot_uri=srcroot_uri)
    stream.write(json.dumps(doc, indent=2) + "\n")
