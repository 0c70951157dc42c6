"""Lint one document: parse, run the enabled rules, apply suppressions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hardpin.model import Finding, HardpinError, Source
from hardpin.registry import RULES
from hardpin.rules.base import Rule, RuleContext
from hardpin.rules.meta import HP001, HP002
from hardpin.urls import redact_text

if TYPE_CHECKING:
    from hardpin.settings import Settings
    from hardpin.suppress import Suppression


def read_text(path: str) -> str:
    """Read a file as text without losing a byte: invalid UTF-8 survives as surrogates."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise HardpinError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return data.decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def rules_for(
    kind: str, settings: Settings, path: str | None, online: bool = False
) -> list[type[Rule]]:
    """The enabled rules for a kind of file; online rules (HP6xx) only with `online`."""
    return [
        r
        for r in RULES
        if (kind in r.kinds or "*" in r.kinds)
        and (online or not r.online)
        and settings.is_enabled(r.code, path)
    ]


def _parse(kind: str, source: Source) -> tuple[object | None, tuple[str, int] | None]:
    """(document, None) or (None, (error message, offset))."""
    if kind == "dockerfile":
        from hardpin.parsers.dockerfile import ParseError, parse

        try:
            return parse(source), None
        except ParseError as exc:
            return None, (exc.message, exc.offset)
    if kind == "shell":
        from hardpin.analysis.shell import parse_script
        from hardpin.parsers.shell import ShellSyntaxError

        try:
            return parse_script(source.text), None
        except ShellSyntaxError as exc:
            return None, (f"cannot parse the shell script: {exc.message}", exc.offset)
    if kind == "requirements":
        from hardpin.parsers.requirements import parse as parse_requirements

        # never raises with strict=False: the lines pip would reject are kept in
        # `errors`, reported as HP001 in lint_text (analysis.requirements), and the
        # rest of the file is still linted
        return parse_requirements(source.text, strict=False), None
    raise HardpinError(f"{source.path}: no linter for files of kind {kind!r}")


def _suppressions(kind: str, source: Source, doc: object | None) -> list[Suppression]:
    from hardpin import suppress

    if kind == "dockerfile":
        lines = [(i.line, i.end_line) for i in doc.instructions] if doc is not None else []  # type: ignore[attr-defined]
        return suppress.dockerfile_suppressions(source, lines)
    if kind == "requirements":
        return suppress.requirements_suppressions(source)
    return suppress.line_suppressions(source)


def lint_text(
    path: str,
    kind: str,
    text: str,
    settings: Settings,
    *,
    base_dir: str | None = None,
    online: bool = False,
) -> list[Finding]:
    """All findings for one document, suppressions applied, sorted.

    `base_dir` is the document's directory on disk (for rules that read files it names);
    by default the directory of `path` when that exists. With `online`, the online
    rules run too: their findings are candidates that carry a pending question, and
    `hardpin.online.resolve.complete` keeps or drops them.
    """
    import os

    if base_dir is None:
        d = os.path.dirname(os.path.abspath(path))
        base_dir = d if os.path.isdir(d) else None
    source = Source(path, text)
    doc, error = _parse(kind, source)
    ctx = RuleContext(source, doc, settings, kind, base_dir)
    if error is not None:
        message, offset = error
        message = redact_text(message)  # it may quote a URL with its password
        line_end = source.line_end(source.position(offset)[0])
        ctx.report(HP001, offset, max(offset, line_end), message, subject=message)
    else:
        if kind == "requirements":
            # lines pip would reject are HP001 whichever HP3xx rules are enabled
            from hardpin.analysis.requirements import report_parse_errors

            report_parse_errors(ctx)
        for rule in rules_for(kind, settings, path, online):
            rule().check(ctx)
    sups = _suppressions(kind, source, doc)
    ctx_findings = ctx.findings

    findings = [f for f in ctx_findings if settings.is_enabled(f.code, path)]
    if sups:
        from hardpin import suppress
        from hardpin.registry import BY_CODE

        findings = suppress.apply(findings, sups)
        if settings.is_enabled(HP002.code, path):
            ctx = RuleContext(source, None, settings, kind)
            for s in sups:
                for code in s.codes:
                    if code in s.used:
                        continue
                    rule = BY_CODE.get(code)
                    if rule is None:
                        msg = f"suppression names {code}, which is not a hardpin rule"
                    elif not settings.is_enabled(code, path):
                        continue
                    elif s.first_line == 0:
                        msg = f"suppression of {code} is not directly above an instruction"
                    else:
                        msg = f"suppression of {code} suppresses nothing: remove it"
                    ctx.report(HP002, s.start, s.end, msg, subject=f"{code} {s.line}")
            findings.extend(ctx.findings)
    findings.sort(key=lambda f: f.sort_key)
    return findings


def _lint_chunk(items: list[tuple[str, str, str, Settings]]) -> list[Finding]:
    out: list[Finding] = []
    for path, shown, kind, settings in items:
        out.extend(lint_text(shown, kind, read_text(path), settings))
    return out


PARALLEL_MIN_FILES = 64


def lint_many(
    items: list[tuple[str, str, str, Settings]], jobs: int | None = None
) -> list[Finding]:
    """Lint many files: (path, shown path, kind, settings) each. Uses worker processes
    (forked, so nothing is imported twice) when there are enough files and cores."""
    import os

    if jobs is None:
        jobs = min(os.cpu_count() or 1, 8)
    if jobs <= 1 or len(items) < PARALLEL_MIN_FILES or not hasattr(os, "fork"):
        return _lint_chunk(items)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # small interleaved chunks balance big and small files across workers
    size = max(8, len(items) // (jobs * 8))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        results = list(pool.map(_lint_chunk, chunks))
    return [f for r in results for f in r]
