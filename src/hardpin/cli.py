"""Command line: the only module that prints and chooses exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from hardpin import __version__
from hardpin.model import Finding, HardpinError, Severity

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise HardpinError(f"usage: {message} (see `hardpin {self.prog.split()[-1]} --help`)")


def _csv(value: str) -> tuple[str, ...]:
    return tuple(v.strip().upper() for v in value.split(",") if v.strip())


def _severity(value: str) -> Severity:
    try:
        return Severity(value.lower())
    except ValueError:
        raise argparse.ArgumentTypeError("expected error, warning or info") from None


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="hardpin", description="Pin and verify the supply-chain inputs of a repository.")
    p.add_argument("--version", action="version", version=f"hardpin {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    c = sub.add_parser("check", help="lint files (offline) and optionally fix them")
    c.add_argument("paths", nargs="*", default=[], metavar="PATH")
    c.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    c.add_argument("--fail-on", type=_severity, default=None, metavar="SEVERITY",
                   help="lowest severity that makes the exit code 1 (default: warning)")
    c.add_argument("--select", type=_csv, default=None, metavar="CODES")
    c.add_argument("--extend-select", type=_csv, default=None, metavar="CODES")
    c.add_argument("--ignore", type=_csv, default=None, metavar="CODES")
    c.add_argument("--config", default=None, metavar="FILE")
    c.add_argument("--fix", action="store_true", help="apply safe fixes")
    c.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
    c.add_argument("--diff", action="store_true", help="print the fixes as a diff; write nothing")
    c.add_argument("--stdin-filename", default=None, metavar="NAME", help="read the file from stdin")
    c.add_argument("--baseline", default=None, metavar="FILE", help="report only findings not in FILE")
    c.add_argument("--write-baseline", default=None, metavar="FILE", help="record current findings")
    c.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    c.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    c.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes for large runs (default: number of cores)")

    r = sub.add_parser("rule", help="show one rule's documentation")
    r.add_argument("code")
    rs = sub.add_parser("rules", help="list all rules")
    rs.add_argument("--format", choices=("text", "json"), default="text")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "check":
            return _check(args)
        if args.command == "rule":
            return _rule(args.code)
        if args.command == "rules":
            return _rules(args.format)
        build_parser().print_help(sys.stderr)
        return EXIT_ERROR
    except HardpinError as exc:
        print(f"hardpin: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_ERROR


def _rule(code: str) -> int:
    from hardpin.registry import BY_CODE

    rule = BY_CODE.get(code.upper())
    if rule is None:
        raise HardpinError(f"unknown rule {code!r}: `hardpin rules` lists them")
    from hardpin.docs import rule_markdown

    sys.stdout.write(rule_markdown(rule))
    return EXIT_OK


def _rules(fmt: str) -> int:
    from hardpin.registry import RULES

    if fmt == "json":
        import json

        data = [
            {"code": r.code, "name": r.name, "severity": str(r.severity), "fix": str(r.fix),
             "online": r.online, "summary": r.summary()}
            for r in RULES
        ]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return EXIT_OK
    w = max(len(r.name) for r in RULES)
    sys.stdout.write(f"{'CODE':<6} {'NAME':<{w}} {'SEVERITY':<8} {'FIX':<7} {'ONLINE':<6} SUMMARY\n")
    for r in RULES:
        sys.stdout.write(
            f"{r.code:<6} {r.name:<{w}} {str(r.severity):<8} {str(r.fix):<7} "
            f"{'yes' if r.online else 'no':<6} {r.summary()}\n"
        )
    return EXIT_OK


def _display_path(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel.replace(os.sep, "/")


def _check(args: argparse.Namespace) -> int:
    from hardpin.engine import encode, lint_text, read_text
    from hardpin.settings import Overrides, settings_for

    overrides = Overrides(
        select=args.select, extend_select=args.extend_select, ignore=args.ignore, fail_on=args.fail_on
    )
    fixing = args.fix or args.unsafe_fixes or args.diff
    unsafe = args.unsafe_fixes
    findings: list[Finding] = []
    fixed_total = 0
    would_change = False
    diffs: list[str] = []

    if args.stdin_filename is not None:
        if args.paths:
            raise HardpinError("--stdin-filename reads stdin: do not name paths as well")
        from hardpin.discovery import kind_of

        name = args.stdin_filename
        settings = settings_for(os.path.dirname(os.path.abspath(name)) or ".", config=args.config,
                                overrides=overrides)
        kind = kind_of(name) or "dockerfile"
        text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
        files = [(name, kind, settings)]
        texts = {name: text}
    else:
        from pathlib import Path

        from hardpin.discovery import discover

        paths = args.paths or ["."]

        def sf(p: Path):  # noqa: ANN202
            return settings_for(p, config=args.config, overrides=overrides)

        found = discover(paths, settings_for=sf)
        files = [(str(p), kind, sf(p)) for p, kind in found]
        texts = {}

    fail_on = overrides.fail_on
    if not fixing and args.stdin_filename is None and len(files) >= 2:
        from hardpin.engine import lint_many

        findings = lint_many([(p, _display_path(p), k, s) for p, k, s in files], args.jobs)
        files_to_walk: list = []
        if fail_on is None and files:
            fail_on = files[0][2].fail_on
    else:
        files_to_walk = files
    for path, kind, settings in files_to_walk:
        shown = _display_path(path) if args.stdin_filename is None else path
        text = texts[path] if path in texts else read_text(path)
        if fail_on is None:
            fail_on = settings.fail_on

        def lint(t: str, shown: str = shown, kind: str = kind, settings=settings) -> list[Finding]:  # noqa: ANN001
            return lint_text(shown, kind, t, settings)

        if fixing:
            from hardpin.fixer import converge, unified_diff, write_atomic

            new, n, result = converge(text, lint, unsafe)
            if new != text:
                would_change = True
                if args.diff:
                    diffs.append(unified_diff(shown, text, new))
                elif args.stdin_filename is not None:
                    sys.stdout.buffer.write(encode(new))
                else:
                    write_atomic(path, encode(new))
                    fixed_total += n
            elif args.stdin_filename is not None and not args.diff:
                sys.stdout.buffer.write(encode(new))
            findings.extend(result)
        else:
            findings.extend(lint(text))

    if fail_on is None:
        fail_on = Severity.WARNING
    findings.sort(key=lambda f: f.sort_key)
    if args.write_baseline:
        from hardpin import baseline

        baseline.write(args.write_baseline, findings)
        print(f"hardpin: wrote {len(findings)} findings to {args.write_baseline}", file=sys.stderr)
        return EXIT_OK
    if args.baseline:
        from hardpin import baseline

        findings = baseline.filter_new(findings, baseline.load(args.baseline))

    if args.diff:
        sys.stdout.write("".join(diffs))
        return EXIT_FINDINGS if would_change and not args.exit_zero else EXIT_OK

    from hardpin.output import render
    from hardpin.registry import RULES

    out = sys.stderr if (args.stdin_filename is not None and fixing) else sys.stdout
    enabled = [r for r in RULES if any(s.is_enabled(r.code) for _p, _k, s in files[:1])] if files else list(RULES)
    color = None if args.color == "auto" else args.color == "always"
    render(args.format, findings, stream=out, rules=enabled or list(RULES), color=color,
           root=os.getcwd(), files_checked=len(files), fixed=fixed_total)
    if args.exit_zero:
        return EXIT_OK
    return EXIT_FINDINGS if any(f.severity.rank >= fail_on.rank for f in findings) else EXIT_OK
