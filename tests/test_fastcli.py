"""The argparse-free pre-dispatch of `hardpin check` gives argparse's namespace or
declines."""

from __future__ import annotations

import itertools

import pytest

from hardpin._fastcli import CHECK_DEFAULTS, parse_check
from hardpin.cli import build_parser


def argparse_view(argv: list[str]) -> dict[str, object]:
    return vars(build_parser().parse_args(argv))


def test_the_defaults_are_argparse_defaults() -> None:
    assert argparse_view(["check"]) == CHECK_DEFAULTS
    got = parse_check(["check"])
    assert got is not None and vars(got) == CHECK_DEFAULTS


FLAGS = ["--fix", "--unsafe-fixes", "--diff", "--exit-zero", "--online", "--offline",
         "--refresh", "--verbose", "--show-source", "--sarif-srcroot"]  # fmt: skip
PATHS = [["Dockerfile"], ["a", "b/requirements.txt"], ["", "x y"], ["check"], []]


def test_every_shape_it_reads_equals_argparse() -> None:
    n = 0
    for paths in PATHS:
        for k in range(3):
            for flags in itertools.permutations(FLAGS, k):
                for cut in range(len(flags) + 1):  # flags before and after the paths
                    argv = ["check", *flags[:cut], *paths, *flags[cut:]]
                    got = parse_check(argv)
                    assert got is not None, argv
                    assert vars(got) == argparse_view(argv), argv
                    n += 1
    assert n > 1400


VALUED = [
    ["--format", "json"], ["--format", "sarif"], ["--select", "hp101, HP2"],
    ["--extend-select", "HP3"], ["--ignore", "hp401,"], ["--config", "x.toml"],
    ["--baseline", "b.json"], ["--write-baseline", "w.json"], ["--color", "never"],
    ["--index-url", "http://127.0.0.1:1/simple"], ["--cache-dir", "c d"],
    ["--output-format", "full"], ["--format", "concise"], ["--extend-ignore", "HP4,hp101"],
]  # fmt: skip


def test_options_with_values_equal_argparse() -> None:
    n = 0
    for paths in PATHS:
        for k in range(3):
            for opts in itertools.permutations(VALUED, k):
                if len({o[0].replace("--output-", "--") for o in opts}) < k:
                    continue  # the same option twice: declined (see below)
                for flag in ([], ["--fix"]):
                    words = [w for o in opts for w in o] + flag
                    for cut in (0, len(words)):
                        argv = ["check", *words[:cut], *paths, *words[cut:]]
                        got = parse_check(argv)
                        assert got is not None, argv
                        assert vars(got) == argparse_view(argv), argv
                        n += 1
    assert n > 3000


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--format", "xml", "Dockerfile"],  # argparse: invalid choice
        ["check", "--format"],
        ["check", "--select", "", "Dockerfile"],
        ["check", "--select", "--fix", "Dockerfile"],
        ["check", "--select", "HP1", "--select", "HP2"],
        ["check", "--format", "json", "--output-format", "sarif"],  # one destination twice
        ["check", "--output-format", "xml"],
        ["check", "--output-format=full"],
        ["check", "a", "--select", "HP1", "b"],
        ["check", "--fail-on", "error"],
        ["check", "--jobs", "2"],
        [],
        ["rules"],
        ["update", "Dockerfile"],
        ["check", "--format=json", "Dockerfile"],
        ["check", "--fi", "Dockerfile"],  # an abbreviation: argparse's business
        ["check", "-h"],
        ["check", "--help"],
        ["check", "--", "-Dockerfile"],
        ["check", "-", "Dockerfile"],
        ["check", "--fix", "--fix", "Dockerfile"],
        ["check", "a", "--fix", "b"],  # argparse: unrecognized arguments: b
        ["check", "--version"],
        ["--version"],
    ],
)
def test_anything_else_goes_to_argparse(argv: list[str]) -> None:
    assert parse_check(argv) is None


def test_the_fast_path_knows_only_real_options_and_declines_the_rest() -> None:
    from hardpin import _fastcli

    parser = build_parser()
    check = parser._subparsers._group_actions[0].choices["check"]  # type: ignore[union-attr]
    options = {o: a for a in check._actions for o in a.option_strings}
    for flag, dest in _fastcli._FLAGS.items():
        assert options[flag].dest == dest and options[flag].nargs == 0, flag
    for opt, (dest, _convert, allowed) in _fastcli._VALUED.items():
        assert options[opt].dest == dest, opt
        assert allowed is None or tuple(allowed) == tuple(options[opt].choices), opt
    unknown = set(options) - set(_fastcli._FLAGS) - set(_fastcli._VALUED)
    assert unknown == {
        "-h", "--help", "--fail-on", "--jobs", "--concurrency", "--stdin-filename", "--verify",
    }  # fmt: skip
    for opt in unknown:  # argparse reads them (with their checks and errors)
        assert parse_check(["check", opt, "2", "Dockerfile"]) is None
    # every destination of `check` has its argparse default in CHECK_DEFAULTS
    assert {a.dest for a in check._actions if a.dest != "help"} | {"command"} == set(CHECK_DEFAULTS)
