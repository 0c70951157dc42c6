"""Command line: the only module that prints and chooses exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

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
    p = _Parser(
        prog="hardpin", description="Pin and verify the supply-chain inputs of a repository."
    )
    p.add_argument("--version", action="version", version=f"hardpin {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    c = sub.add_parser("check", help="lint files (offline) and optionally fix them")
    c.add_argument("paths", nargs="*", default=[], metavar="PATH")
    c.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    c.add_argument(
        "--fail-on",
        type=_severity,
        default=None,
        metavar="SEVERITY",
        help="lowest severity that makes the exit code 1 (default: warning)",
    )
    c.add_argument("--select", type=_csv, default=None, metavar="CODES")
    c.add_argument("--extend-select", type=_csv, default=None, metavar="CODES")
    c.add_argument("--ignore", type=_csv, default=None, metavar="CODES")
    c.add_argument("--config", default=None, metavar="FILE")
    c.add_argument("--fix", action="store_true", help="apply safe fixes")
    c.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
    c.add_argument("--diff", action="store_true", help="print the fixes as a diff; write nothing")
    c.add_argument(
        "--stdin-filename", default=None, metavar="NAME", help="read the file from stdin"
    )
    c.add_argument(
        "--baseline", default=None, metavar="FILE", help="report only findings not in FILE"
    )
    c.add_argument("--write-baseline", default=None, metavar="FILE", help="record current findings")
    c.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    c.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    c.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes for large runs (default: number of cores)",
    )
    c.add_argument(
        "--online",
        action="store_true",
        help="also run the online checks (HP6xx) against registries",
    )
    _network_flags(c)

    u = sub.add_parser("update", help="move pinned image digests to where their tags point now")
    u.add_argument("paths", nargs="*", default=[], metavar="PATH")
    u.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 when any digest is stale (for CI)",
    )
    u.add_argument("--diff", action="store_true", help="print the changes as a diff; write nothing")
    u.add_argument("--config", default=None, metavar="FILE")
    _network_flags(u)

    lk = sub.add_parser("lock", help="lock a pip-tools input (X.in) into X.txt with hashes")
    lk.add_argument("inputs", nargs="+", metavar="FILE.in")
    lk.add_argument(
        "-o",
        "--output-file",
        default=None,
        metavar="FILE",
        help="where to write (default: the input with .txt; one input only)",
    )
    lk.add_argument(
        "--backend",
        choices=("auto", "uv", "pip-compile"),
        default="auto",
        help="resolver to run (auto: uv when installed, else pip-compile)",
    )
    lk.add_argument("--diff", action="store_true", help="print the change as a diff; write nothing")
    lk.add_argument(
        "--index-url",
        default=None,
        metavar="URL",
        help="package index when neither the file nor PIP_INDEX_URL names one",
    )

    r = sub.add_parser("rule", help="show one rule's documentation")
    r.add_argument("code")
    rs = sub.add_parser("rules", help="list all rules")
    rs.add_argument("--format", choices=("text", "json"), default="text")
    return p


def _network_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("network (fixes and online checks)")
    g.add_argument("--offline", action="store_true", help="answer from the cache only; no request")
    g.add_argument("--refresh", action="store_true", help="ignore cached answers and ask again")
    g.add_argument(
        "--concurrency",
        type=int,
        default=None,
        metavar="N",
        help="concurrent lookups (default: 16, or `concurrency` in the config)",
    )
    g.add_argument(
        "--index-url",
        default=None,
        metavar="URL",
        help="package index when neither the file nor PIP_INDEX_URL names one",
    )
    g.add_argument(
        "--cache-dir",
        default=None,
        metavar="DIR",
        help="cache directory (default: $XDG_CACHE_HOME/hardpin)",
    )
    g.add_argument(
        "--verbose",
        action="store_true",
        help="say how many lookups, requests and cache hits the run made",
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "check":
            return _check(args)
        if args.command == "update":
            return _update(args)
        if args.command == "lock":
            return _lock(args)
        if args.command == "rule":
            return _rule(args.code)
        if args.command == "rules":
            return _rules(args.format)
        build_parser().print_help(sys.stderr)
        return EXIT_ERROR
    except HardpinError as exc:
        _note(f"hardpin: error: {exc}")
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
            {
                "code": r.code,
                "name": r.name,
                "severity": str(r.severity),
                "fix": str(r.fix),
                "online": r.online,
                "summary": r.summary(),
            }
            for r in RULES
        ]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return EXIT_OK
    w = max(len(r.name) for r in RULES)
    sys.stdout.write(
        f"{'CODE':<6} {'NAME':<{w}} {'SEVERITY':<8} {'FIX':<7} {'ONLINE':<6} SUMMARY\n"
    )
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


def _note(message: str) -> None:
    """One line on stderr; control characters from files and servers are escaped."""
    from hardpin.output.text import one_line

    sys.stderr.write(one_line(message) + "\n")


def _read_or_skip(path: str, settings: object) -> str | None:
    """The file's text, or None (with a note on stderr) for a file that is not a regular
    file or is larger than `max-file-size`."""
    from hardpin.engine import read_text
    from hardpin.files import SkippedFile, max_file_size

    try:
        return read_text(path, max_file_size(settings))
    except SkippedFile as exc:
        _note(str(exc))
        return None


def _check(args: argparse.Namespace) -> int:
    from hardpin.engine import encode, lint_text
    from hardpin.settings import Overrides, settings_for

    overrides = Overrides(
        select=args.select,
        extend_select=args.extend_select,
        ignore=args.ignore,
        fail_on=args.fail_on,
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
        settings = settings_for(
            os.path.dirname(os.path.abspath(name)) or ".", config=args.config, overrides=overrides
        )
        kind = kind_of(name) or "dockerfile"
        text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
        files = [(name, kind, settings)]
        texts = {name: text}
    else:
        from pathlib import Path

        from hardpin.discovery import discover

        paths = args.paths or ["."]

        def sf(p: Path):
            return settings_for(p, config=args.config, overrides=overrides)

        found = discover(paths, settings_for=sf)
        files = [(str(p), kind, sf(p)) for p, kind in found]
        texts = {}

    fail_on = overrides.fail_on
    online_checks = args.online
    if not fixing and not online_checks and args.stdin_filename is None and len(files) >= 2:
        from hardpin.engine import lint_many

        skipped: list[str] = []
        findings = lint_many([(p, _display_path(p), k, s) for p, k, s in files], args.jobs, skipped)
        for note in skipped:
            _note(note)
        files_to_walk: list = []
        if fail_on is None and files:
            fail_on = files[0][2].fail_on
    else:
        files_to_walk = files

    # First pass: lint every file; collect the questions that need the network.
    prepared = []
    for path, kind, settings in files_to_walk:
        shown = _display_path(path) if args.stdin_filename is None else path
        text = texts[path] if path in texts else _read_or_skip(path, settings)
        if text is None:
            continue
        if fail_on is None:
            fail_on = settings.fail_on
        prepared.append(
            (
                path,
                shown,
                kind,
                settings,
                text,
                lint_text(shown, kind, text, settings, online=online_checks),
            )
        )
    answers: dict = {}
    if fixing or online_checks:
        wanted = set()
        if fixing:
            wanted |= {"image", "pip-hashes"}
            if unsafe or args.diff:
                wanted.add("lock")
        if online_checks:
            wanted |= {"image-exists", "image-update"}
        answers = _ask(args, prepared, wanted)

    for path, shown, kind, settings, text, first in prepared:

        def lint(t: str, shown: str = shown, kind: str = kind, settings=settings) -> list[Finding]:
            fs = lint_text(shown, kind, t, settings, online=online_checks)
            return _completed(fs, answers, args.diff) if answers else fs

        if fixing:
            from hardpin.fixer import converge, unified_diff, write_atomic

            done = _completed(first, answers, args.diff) if answers else first
            new, n, result = converge(text, lint, unsafe, done)
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
            findings.extend(_completed(first, answers, False) if answers else first)

    # failed lookups, where they are now; one whose finding a fix turned into another
    # rule's (HP302 -> HP303 once its neighbours have hashes) where it was at first
    fix_errors = _report_lookup_errors(findings, answers, [f for *_x, fs in prepared for f in fs])
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
        return EXIT_FINDINGS if (would_change or fix_errors) and not args.exit_zero else EXIT_OK

    from hardpin.output import render
    from hardpin.registry import RULES

    out = sys.stderr if (args.stdin_filename is not None and fixing) else sys.stdout
    enabled = (
        [r for r in RULES if any(s.is_enabled(r.code) for _p, _k, s in files[:1])]
        if files
        else list(RULES)
    )
    color = None if args.color == "auto" else args.color == "always"
    render(
        args.format,
        findings,
        stream=out,
        rules=enabled or list(RULES),
        color=color,
        root=os.getcwd(),
        files_checked=len(files),
        fixed=fixed_total,
    )
    if args.exit_zero:
        return EXIT_OK
    if fix_errors:
        return EXIT_FINDINGS
    return EXIT_FINDINGS if any(f.severity.rank >= fail_on.rank for f in findings) else EXIT_OK


# -- network -------------------------------------------------------------------


def _online(args: argparse.Namespace, settings_list: Sequence, tag_ttl: float = 3600.0) -> object:
    """The run's network side, from the flags and the union of the files' settings."""
    from hardpin.online.resolve import Online, OnlineOptions

    insecure: dict[str, None] = {}
    concurrency = args.concurrency
    for st in settings_list:
        for host in st.get("insecure-registries", ()) or ():
            insecure[host] = None
        if concurrency is None and st.get("concurrency") is not None:
            concurrency = st.get("concurrency")
    offline = _offline(args)
    opts = OnlineOptions(
        cache_dir=args.cache_dir,
        refresh=args.refresh,
        offline=offline,
        concurrency=concurrency or 16,
        insecure_registries=tuple(insecure),
        index_url=getattr(args, "index_url", None),
        tag_ttl=tag_ttl,
    )
    return Online(opts)


def _offline(args: argparse.Namespace) -> bool:
    """Whether the run may use the cache only; checks the network flags."""
    if args.concurrency is not None and args.concurrency < 1:
        raise HardpinError("--concurrency must be at least 1")
    offline = bool(args.offline) or os.environ.get("HARDPIN_OFFLINE", "") not in ("", "0")
    if args.refresh and offline:
        raise HardpinError("--refresh and --offline contradict each other: choose one")
    return offline


def _ask(
    args: argparse.Namespace, prepared: list, kinds: set[str], tag_ttl: float = 3600.0
) -> dict:
    """Answer the pending items of `kinds` in the first-pass findings of `prepared`
    ((path, shown, kind, settings, text, findings) each) with one network run."""
    pending = [
        f.pending
        for *_x, fs in prepared
        for f in fs
        if f.pending is not None and f.pending.kind in kinds
    ]
    if not pending:
        return {}
    online = _online(args, [p[3] for p in prepared], tag_ttl=tag_ttl)
    answers = online.answer(pending)
    _summary(args, online, answers)  # type: ignore[arg-type]
    return answers


def _summary(args: argparse.Namespace, online: object, answers: dict) -> None:
    if getattr(args, "verbose", False):
        failed = sum(1 for v in answers.values() if isinstance(v, str))
        cache = online.cache  # type: ignore[attr-defined]
        print(
            f"hardpin: {len(answers)} lookups ({failed} failed), {online.requests} requests, "  # type: ignore[attr-defined]
            f"{cache.hits} cache hits",
            file=sys.stderr,
        )


def _completed(
    findings: list[Finding], answers: dict, diff: bool, updates: bool = False
) -> list[Finding]:
    from hardpin.online.resolve import complete

    out = complete(findings, answers, updates=updates)
    if not diff:
        return out
    # a lock is an unsafe whole-file fix, but --diff always shows it
    from hardpin._record import replace
    from hardpin.model import Applicability, Fix

    return [
        replace(f, edits=Fix(f.edits.edits, Applicability.SAFE, f.edits.description))
        if f.pending is not None and f.pending.kind == "lock" and f.edits is not None
        else f
        for f in out
    ]


def _report_lookup_errors(
    findings: Sequence[Finding], answers: dict, first: Sequence[Finding] = ()
) -> int:
    """One stderr line per finding whose network answer failed; returns how many.

    `first` are the findings of the first pass: a failed lookup none of `findings`
    carries any more is reported where it was found."""
    n = 0
    shown: set[tuple[str, str, tuple]] = set()
    for group in (findings, first):
        now: set[tuple[str, str, tuple]] = set()
        for f in sorted(group, key=lambda f: f.sort_key):
            p = f.pending
            if p is None or (f.path, p.kind, p.key) in shown:
                continue
            ans = answers.get((p.kind, p.key))
            if isinstance(ans, str):
                what = (
                    "cannot check" if p.kind in ("image-exists", "image-update") else "cannot fix"
                )
                _note(f"{f.path}:{f.line}:{f.column}: {f.code} {what}: {ans}")
                now.add((f.path, p.kind, p.key))
                n += 1
        shown |= now
    return n


def _update(args: argparse.Namespace) -> int:
    """Re-resolve the tag of every pinned `name:tag@sha256:…` and move stale digests."""
    from pathlib import Path

    from hardpin.discovery import discover
    from hardpin.engine import encode, lint_text
    from hardpin.fixer import converge, unified_diff, write_atomic
    from hardpin.settings import Overrides, settings_for

    _offline(args)  # contradictory network flags are an error even with nothing to update
    overrides = Overrides(select=("HP602",), extend_select=None, ignore=None, fail_on=None)

    def sf(p: Path):
        return settings_for(p, config=args.config, overrides=overrides)

    found = [(str(p), k, sf(p)) for p, k in discover(args.paths or ["."], settings_for=sf)]
    prepared = []
    for path, kind, settings in found:
        text = _read_or_skip(path, settings)
        if text is None:
            continue
        shown = _display_path(path)
        prepared.append(
            (path, shown, kind, settings, text, lint_text(shown, kind, text, settings, online=True))
        )
    # `update` asks for every tag again (tag_ttl 0); content-addressed answers stay cached
    answers = _ask(args, prepared, {"image-update"}, tag_ttl=0.0)
    stale = 0
    diffs = []
    for path, shown, kind, settings, text, first in prepared:
        done = _completed(first, answers, False, updates=True)
        for f in done:
            if f.edits is not None and f.pending is not None and f.pending.kind == "image-update":
                name, old = f.pending.key
                new = answers[(f.pending.kind, f.pending.key)][0]
                # with --diff, stdout is the patch alone
                print(
                    f"{f.path}:{f.line}: {name} {old} -> {new}",
                    file=sys.stderr if args.diff else sys.stdout,
                )
                stale += 1
        if args.check:
            continue

        def lint(t: str, shown: str = shown, kind: str = kind, settings=settings) -> list[Finding]:
            return _completed(
                lint_text(shown, kind, t, settings, online=True), answers, False, updates=True
            )

        new_text, _n, _rest = converge(text, lint, False, done)
        if new_text != text:
            if args.diff:
                diffs.append(unified_diff(shown, text, new_text))
            else:
                write_atomic(path, encode(new_text))
    if args.diff:
        sys.stdout.write("".join(diffs))
    errors = _report_lookup_errors([f for *_x, fs in prepared for f in fs], answers)
    if stale == 0 and not errors:
        print("hardpin: every pinned digest is current", file=sys.stderr)
    if errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if stale and (args.check or args.diff) else EXIT_OK


def _lock(args: argparse.Namespace) -> int:
    """`hardpin lock X.in`: resolve and hash with pip-compile or uv, write X.txt."""
    from hardpin.analysis.requirements import index_urls
    from hardpin.engine import encode, read_text
    from hardpin.fixer import unified_diff, write_atomic
    from hardpin.online.lock import LockError, lock
    from hardpin.online.resolve import index_urls_of
    from hardpin.parsers.requirements import ParseError, parse

    if args.output_file and len(args.inputs) > 1:
        raise HardpinError("--output-file takes one input file")
    for src in args.inputs:
        if not os.path.isfile(src):
            raise HardpinError(f"{src}: no such file")
    if os.environ.get("HARDPIN_OFFLINE", "") not in ("", "0"):
        raise HardpinError("locking needs the package index, and HARDPIN_OFFLINE is set")
    rc = EXIT_OK
    for src in args.inputs:
        if not os.path.isfile(src):
            raise HardpinError(f"{src}: no such file")
        out = args.output_file or (src[:-3] + ".txt" if src.endswith(".in") else src + ".txt")
        try:
            req = parse(read_text(src), strict=False)
        except ParseError as exc:
            raise HardpinError(f"{src}:{exc.line}: {exc}") from None
        urls = index_urls_of(index_urls(req) or (), os.environ, args.index_url)
        try:
            new = lock(src, out, index_urls=urls, backend=args.backend)
        except LockError as exc:
            print(f"{src}: cannot lock: {exc}", file=sys.stderr)
            rc = EXIT_ERROR
            continue
        old = read_text(out) if os.path.exists(out) else ""
        if new == old:
            print(f"hardpin: {out} is up to date", file=sys.stderr)
            continue
        if args.diff:
            sys.stdout.write(unified_diff(_display_path(out), old, new))
            rc = max(rc, EXIT_FINDINGS)
        else:
            write_atomic(out, encode(new))
            print(f"hardpin: wrote {out}", file=sys.stderr)
    return rc
