"""Command line: the only module that prints and chooses exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from hardpin import __version__
from hardpin._record import replace
from hardpin.model import HardpinError, Severity

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    # argparse (and the help formatter it brings) is imported only when the full
    # parser is built: `hardpin check PATH ...` is read by hardpin._fastcli
    import argparse
    from collections.abc import Callable
    from types import SimpleNamespace
    from typing import Any

    from hardpin.engine import NetworkOptions, RunRequest, RunResult
    from hardpin.rules.base import Rule

    Args = argparse.Namespace | SimpleNamespace

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _csv(value: str) -> tuple[str, ...]:
    return tuple(v.strip().upper() for v in value.split(",") if v.strip())


def _severity(value: str) -> Severity:
    try:
        return Severity(value.lower())
    except ValueError:
        import argparse

        raise argparse.ArgumentTypeError("expected error, warning or info") from None


OUTPUT_FORMATS = ("text", "concise", "full", "json", "sarif", "github")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line. A subcommand is an entry in `SUBCOMMANDS`: a function
    that adds its parser and one that runs it (with the parsed namespace)."""
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            # prog is "hardpin" for the top level and "hardpin check" for a subcommand
            raise HardpinError(f"usage: {message} (see `{self.prog} --help`)")

        def parse_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def]
            # argparse reports a subcommand's unknown options from the top level: name
            # the subcommand's help instead
            ns, extra = self.parse_known_args(args, namespace)
            if extra:
                command = getattr(ns, "command", None)
                prog = f"hardpin {command}" if command else self.prog
                raise HardpinError(
                    f"usage: unrecognized arguments: {' '.join(extra)} (see `{prog} --help`)"
                )
            return ns

    p = _Parser(
        prog="hardpin", description="Pin and verify the supply-chain inputs of a repository."
    )
    p.add_argument(
        "--version", action="version", version=f"hardpin {__version__}", help="show the version"
    )
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    for add, _run in SUBCOMMANDS.values():
        add(sub)
    return p


def _add_check(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    c = sub.add_parser("check", help="lint files (offline) and optionally fix them")
    c.add_argument(
        "paths",
        nargs="*",
        default=[],
        metavar="PATH",
        help="files and directories to lint (default: the current directory)",
    )
    c.add_argument(
        "--format",
        "--output-format",
        dest="format",
        choices=OUTPUT_FORMATS,
        default="text",
        help="output format: text (= concise: one line per finding), full (each finding "
        "with its source line), json, sarif, github (default: text)",
    )
    c.add_argument(
        "--show-source",
        action="store_true",
        help="show the source line under each finding (text output; as --output-format full)",
    )
    c.add_argument(
        "--fail-on",
        type=_severity,
        default=None,
        metavar="SEVERITY",
        help="lowest severity that makes the exit code 1 (default: warning)",
    )
    g = c.add_argument_group("rule selection (as ruff: the command line over the config file)")
    g.add_argument(
        "--select",
        type=_csv,
        default=None,
        metavar="CODES",
        help="comma-separated rule codes or prefixes to enable, replacing the config's "
        "selection (ALL: every rule)",
    )
    g.add_argument(
        "--extend-select",
        type=_csv,
        default=None,
        metavar="CODES",
        help="rule codes or prefixes to enable on top of the selection",
    )
    g.add_argument(
        "--ignore",
        type=_csv,
        default=None,
        metavar="CODES",
        help="rule codes or prefixes to disable",
    )
    g.add_argument(
        "--extend-ignore",
        type=_csv,
        default=None,
        metavar="CODES",
        help="rule codes or prefixes to disable, as well as --ignore",
    )
    c.add_argument(
        "--config",
        default=None,
        metavar="FILE",
        help="configuration file for every path (default: the nearest .hardpin.toml, "
        "hardpin.toml or pyproject.toml with [tool.hardpin])",
    )
    c.add_argument("--fix", action="store_true", help="apply safe fixes")
    c.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
    c.add_argument("--diff", action="store_true", help="print the fixes as a diff; write nothing")
    c.add_argument(
        "--stdin-filename",
        default=None,
        metavar="NAME",
        help="read the file from stdin; NAME decides its kind and its config",
    )
    c.add_argument(
        "--baseline", default=None, metavar="FILE", help="report only findings not in FILE"
    )
    c.add_argument(
        "--write-baseline",
        default=None,
        metavar="FILE",
        help="record the current findings in FILE (for --baseline)",
    )
    c.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour text output (default: auto, a terminal without NO_COLOR)",
    )
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
    c.add_argument(
        "--sarif-srcroot",
        action="store_true",
        help="write the current directory's absolute file: URI as %%SRCROOT%% in SARIF "
        "(by default the log names no local path)",
    )
    c.add_argument(
        "--verify",
        action="store_true",
        help="verify signatures and SBOM attestations of pinned images ([tool.hardpin.verify])",
    )
    _network_flags(c)


def _add_update(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    u = sub.add_parser("update", help="move pinned image digests to where their tags point now")
    u.add_argument(
        "paths",
        nargs="*",
        default=[],
        metavar="PATH",
        help="files and directories to update (default: the current directory)",
    )
    u.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 when any digest is stale (for CI)",
    )
    u.add_argument("--diff", action="store_true", help="print the changes as a diff; write nothing")
    u.add_argument(
        "--config",
        default=None,
        metavar="FILE",
        help="configuration file for every path (default: the nearest one)",
    )
    _network_flags(u)


def _add_lock(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lk = sub.add_parser("lock", help="lock a pip-tools input (X.in) into X.txt with hashes")
    lk.add_argument("inputs", nargs="+", metavar="FILE.in", help="pip-tools input files")
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


def _add_verify(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`verify`, `sbom` and `policy` (hardpin.verify.command adds all three)."""
    from hardpin.verify.command import add_parsers

    add_parsers(sub, _network_flags)


def _noop_add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Added with `verify` (see `_add_verify`)."""


def _run_verify(args: Args) -> int:
    from hardpin.verify.command import run

    return run(args)  # type: ignore[arg-type]


def _add_rule(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    r = sub.add_parser("rule", help="show one rule's documentation")
    r.add_argument("code", help="the rule's code, e.g. HP101")


def _add_rules(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rs = sub.add_parser("rules", help="list all rules, sorted by code")
    rs.add_argument(
        "--format",
        "--output-format",
        dest="format",
        choices=("text", "json"),
        default="text",
        help="a table (text) or a JSON array (default: text)",
    )


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
        from hardpin._fastcli import parse_check

        args: Args | None = parse_check(sys.argv[1:] if argv is None else argv)
        if args is None:
            args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help(sys.stderr)
            return EXIT_ERROR
        rc: int = SUBCOMMANDS[args.command][1](args)
        return rc
    except HardpinError as exc:
        _note(f"hardpin: error: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_ERROR
    finally:
        if argv is None:
            # the command line (console script, `python -m hardpin`): the process
            # exits next, and the collector's last full pass over every object at
            # exit (~6% of a one-file check) would free nothing it needs freed
            import gc

            gc.freeze()


def _rule(code: str) -> int:
    from hardpin.registry import BY_CODE

    rule = BY_CODE.get(code.upper())
    if rule is None:
        raise HardpinError(f"unknown rule {code!r}: `hardpin rules` lists them")
    from hardpin.docs import rule_markdown

    sys.stdout.write(rule_markdown(rule))
    return EXIT_OK


def _rules(fmt: str) -> int:
    from hardpin.registry import RULES as ALL_RULES

    RULES = sorted(ALL_RULES, key=lambda r: r.code)

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


def _network(args: Args, tag_ttl: float = 3600.0) -> NetworkOptions:
    """The network options from the flags (checked when the network is asked)."""
    from hardpin.engine import NetworkOptions

    offline = bool(args.offline) or os.environ.get("HARDPIN_OFFLINE", "") not in ("", "0")
    return NetworkOptions(
        offline=offline,
        refresh=args.refresh,
        concurrency=args.concurrency,
        index_url=getattr(args, "index_url", None),
        cache_dir=args.cache_dir,
        tag_ttl=tag_ttl,
    )


def _run(request: RunRequest) -> RunResult:
    """Run the engine with a progress bar on stderr (drawn only on a terminal)."""
    from hardpin.engine import run
    from hardpin.output.progress import LookupProgress

    progress = LookupProgress(sys.stderr)
    try:
        return run(replace(request, progress=progress))
    finally:
        progress.close()


def _report_run_errors(args: Args, result: RunResult) -> None:
    """stderr lines: network statistics (--verbose), failed lookups, files not written."""
    if getattr(args, "verbose", False) and result.stats is not None:
        st = result.stats
        print(
            f"hardpin: {st.lookups} lookups ({st.failed} failed), {st.requests} requests, "
            f"{st.cache_hits} cache hits",
            file=sys.stderr,
        )
    for note in result.skipped:
        _note(note)
    for e in result.lookup_failures:
        _note(f"{e.path}:{e.line}:{e.column}: {e.code} {e.verb}: {e.message}")
    for msg in result.write_errors:
        _note(f"hardpin: {msg}")


def _note(message: str) -> None:
    """One line on stderr; control characters from files and servers are escaped."""
    from hardpin.output.text import one_line

    sys.stderr.write(one_line(message) + "\n")


def _check(args: Args) -> int:
    from hardpin.engine import RunRequest, StdinInput
    from hardpin.settings import Overrides

    overrides = Overrides(
        select=args.select,
        extend_select=args.extend_select,
        ignore=args.ignore,
        fail_on=args.fail_on,
        extend_ignore=args.extend_ignore,
    )
    fixing = args.fix or args.unsafe_fixes or args.diff
    stdin = None
    if args.stdin_filename is not None:
        if args.paths:
            raise HardpinError("--stdin-filename reads stdin: do not name paths as well")
        stdin = StdinInput(
            args.stdin_filename, sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
        )
    network = _network(args) if fixing or args.online else None
    request = RunRequest(
        paths=tuple(args.paths),
        config=args.config,
        overrides=overrides,
        stdin=stdin,
        fix=args.fix,
        unsafe=args.unsafe_fixes,
        diff=args.diff,
        online=args.online,
        jobs=args.jobs,
        baseline=args.baseline,
        write_baseline=args.write_baseline,
    )
    if network is not None:
        request = replace(request, network=network)
    result = _run(request)
    if getattr(args, "verify", False):
        from hardpin.verify.command import verify_pinned

        verified = verify_pinned(args, result)
        if verified:
            result = replace(result, findings=sorted(result.findings + verified, key=_sort_key))

    if stdin is not None and fixing and not args.diff and result.files:
        from hardpin.engine import encode

        r = result.files[0]
        sys.stdout.buffer.write(encode(r.new_text if r.new_text is not None else r.text))
        sys.stdout.flush()
    _report_run_errors(args, result)
    for path in result.empty_paths:
        _note(
            f"hardpin: warning: {path}: nothing to lint (no Dockerfile, requirements file or "
            "shell script found, or all of them excluded)"
        )
    if args.baseline is not None:
        n = result.baseline_hidden
        _note(f"hardpin: {n} finding{'' if n == 1 else 's'} hidden by the baseline {args.baseline}")
    errors = bool(result.write_errors or result.internal_errors)
    if result.baseline_written is not None:
        print(
            f"hardpin: wrote {result.baseline_written} findings to {args.write_baseline}",
            file=sys.stderr,
        )
        return EXIT_ERROR if errors else EXIT_OK

    if args.diff:
        sys.stdout.write("".join(r.diff for r in result.files))
        if errors:
            return EXIT_ERROR
        changes = result.changed or result.lookup_failures
        return EXIT_FINDINGS if changes and not args.exit_zero else EXIT_OK

    from hardpin.output import render

    out = sys.stderr if (stdin is not None and fixing) else sys.stdout
    color = None if args.color == "auto" else args.color == "always"
    fmt = args.format
    if fmt in ("text", "concise") and args.show_source:
        fmt = "full"
    rules: list[type[Rule]] = []
    if fmt == "sarif":  # only SARIF lists the rules: import their classes for it
        from hardpin.registry import rule_class

        rules = [rule_class(code) for code in result.rules]
    render(
        fmt,
        result.findings,
        stream=out,
        rules=rules,
        color=color,
        root=os.getcwd(),
        files_checked=result.files_checked,
        fixed=result.fixed,
        sources=_sources(result),
        srcroot_uri=args.sarif_srcroot,
    )
    if errors:
        return EXIT_ERROR
    if args.exit_zero:
        return EXIT_OK
    if result.lookup_failures:
        return EXIT_FINDINGS
    return EXIT_FINDINGS if result.failing() else EXIT_OK


def _sources(result: RunResult) -> dict[str, str]:
    """The text the findings point into, for the files the run holds in memory (the
    fixed text when fixing, stdin); the output reads any other file itself."""
    return {
        r.file.shown: r.new_text if r.new_text is not None and r.error is None else r.text
        for r in result.files
    }


def _sort_key(f: object) -> tuple[str, int, int, str]:
    return f.sort_key  # type: ignore[attr-defined, no-any-return]


def _update(args: Args) -> int:
    """Re-resolve the tag of every pinned `name:tag@sha256:…` and move stale digests."""
    from hardpin.engine import RunRequest
    from hardpin.settings import Overrides

    # `update` asks for every tag again (tag_ttl 0); content-addressed answers stay cached
    network = _network(args, tag_ttl=0.0)
    network.check()  # contradictory flags are an error even with nothing to update
    request = RunRequest(
        paths=tuple(args.paths),
        config=args.config,
        overrides=Overrides(select=("HP602",), extend_select=None, ignore=None, fail_on=None),
        update=True,
        diff=args.diff and not args.check,  # --check changes nothing, shows nothing
        write=not args.check,
        network=network,
    )
    result = _run(request)
    for m in result.moves:
        # with --diff, stdout is the patch alone
        print(
            f"{m.path}:{m.line}: {m.name} {m.old} -> {m.new}",
            file=sys.stderr if args.diff else sys.stdout,
        )
    if args.diff:
        sys.stdout.write("".join(r.diff for r in result.files))
    _report_run_errors(args, result)
    if not result.moves and not result.lookup_failures:
        print("hardpin: every pinned digest is current", file=sys.stderr)
    if result.lookup_failures or result.write_errors or result.internal_errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if result.moves and (args.check or args.diff) else EXIT_OK


def _lock(args: Args) -> int:
    """`hardpin lock X.in`: resolve and hash with pip-compile or uv, write X.txt."""
    from hardpin.analysis.requirements import index_urls
    from hardpin.engine import display_path, encode, read_file, read_text
    from hardpin.fixer import WriteRefused, unified_diff, write_atomic
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
        # the resolver runs for seconds: what X.txt holds now is what may be replaced
        old, stamp = read_file(out) if os.path.exists(out) else ("", None)
        try:
            new = lock(src, out, index_urls=urls, backend=args.backend)
        except LockError as exc:
            print(f"{src}: cannot lock: {exc}", file=sys.stderr)
            rc = EXIT_ERROR
            continue
        if new == old:
            print(f"hardpin: {out} is up to date", file=sys.stderr)
            continue
        if args.diff:
            sys.stdout.write(unified_diff(display_path(out), old, new))
            rc = max(rc, EXIT_FINDINGS)
            continue
        try:
            write_atomic(out, encode(new), expect=stamp)
        except WriteRefused as exc:
            print(f"hardpin: {exc}", file=sys.stderr)
            rc = EXIT_ERROR
            continue
        print(f"hardpin: wrote {out}", file=sys.stderr)
    return rc


# name -> (adds its parser to the subparsers, runs it and returns the exit code)
SUBCOMMANDS: dict[str, tuple[Callable[[Any], None], Callable[[Args], int]]] = {
    "check": (_add_check, _check),
    "update": (_add_update, _update),
    "lock": (_add_lock, _lock),
    "rule": (_add_rule, lambda args: _rule(args.code)),
    "rules": (_add_rules, lambda args: _rules(args.format)),
    "verify": (_add_verify, _run_verify),
    "sbom": (_noop_add, _run_verify),
    "policy": (_noop_add, _run_verify),
}
