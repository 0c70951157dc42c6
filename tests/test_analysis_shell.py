"""Unit tests for the shell analysis layer: the option parser, the prologue walk, the resolver."""

from __future__ import annotations

import pytest

from hardpin.analysis.options import OptionTable, parse
from hardpin.analysis.shell import (
    UNKNOWN,
    argv,
    assignments,
    basename,
    exe_name,
    prologue,
    resolve,
    resolve_word,
    shell_call,
    su_script,
)
from hardpin.engine import lint_text
from hardpin.parsers.shell import ShWord, parse_commands
from hardpin.settings import Settings


def words(text: str) -> list[ShWord]:
    return parse_commands(text)[0].words


def args(text: str) -> list[ShWord]:
    """The arguments of the first command, without its name."""
    return words(text)[1:]


def pairs(text: str, table: OptionTable) -> list[tuple[str, str | None]]:
    return [(o.name, o.value) for o in parse(args(text), table).options]


def operands(text: str, table: OptionTable, **kw: bool) -> list[str]:
    return [w.value for w in parse(args(text), table, **kw).operands]


# ---------------------------------------------------------------------------
# options

CURLISH = OptionTable(values=frozenset({"-o", "-H", "-X", "--output", "--retry"}))


def test_clusters_attached_values_and_next_word_values() -> None:
    assert pairs("c -fsSLo out u", CURLISH) == [
        ("-f", None), ("-s", None), ("-S", None), ("-L", None), ("-o", "out"),
    ]  # fmt: skip
    # a value letter inside a cluster takes the rest of the word, not the next word
    assert pairs("c -sXPOST u", CURLISH) == [("-s", None), ("-X", "POST")]
    assert operands("c -sXPOST u", CURLISH) == ["u"]
    assert pairs("c -Hx -o=f", CURLISH) == [("-H", "x"), ("-o", "=f")]


def test_long_options_with_and_without_equals_and_a_missing_value() -> None:
    assert pairs("c --retry 3 --output=f --retry=4 --verbose u", CURLISH) == [
        ("--retry", "3"), ("--output", "f"), ("--retry", "4"), ("--verbose", None),
    ]  # fmt: skip
    assert pairs("c -o", CURLISH) == [("-o", None)]
    assert pairs("c --output", CURLISH) == [("--output", None)]


def test_value_words_point_at_where_the_value_is_written() -> None:
    ws = args("c -oout --output f -o g")
    got = parse(ws, CURLISH).options
    assert [o.value_word for o in got] == [ws[0], ws[2], ws[4]]
    assert [o.word for o in got] == [ws[0], ws[1], ws[3]]


def test_double_dash_ends_options_and_a_lone_dash_is_an_operand() -> None:
    assert operands("c -s -- -o x", CURLISH) == ["-o", "x"]
    assert operands("c - -s", CURLISH) == ["-"]
    assert parse(args("c -s -- -o x"), CURLISH, stop_at_operand=True).end == 2
    # a value option swallows `--` as its value
    assert pairs("c -o -- x", CURLISH) == [("-o", "--")]


def test_numbers_are_operands_only_when_the_table_says_so() -> None:
    assert operands("c -5 -1.5 x", OptionTable(numbers=True)) == ["-5", "-1.5", "x"]
    assert operands("c -5 x", OptionTable()) == ["x"]
    assert pairs("c -46", OptionTable()) == [("-4", None), ("-6", None)]


def test_stop_at_operand_gives_the_subcommand_index() -> None:
    table = OptionTable(values=frozenset({"--cache-dir"}))
    p = parse(args("uv --no-cache --cache-dir /c pip install -q x"), table, stop_at_operand=True)
    assert p.end == 3 and [w.value for w in p.operands] == ["pip", "install", "-q", "x"]
    p = parse(args("uv --no-cache"), table, stop_at_operand=True)
    assert p.end == 1 and p.operands == []


def test_short_letters_map_to_long_names_and_unique_prefixes_expand() -> None:
    table = OptionTable(
        values=frozenset({"--requirement", "--extra-index-url", "--editable"}),
        flags=frozenset({"--quiet", "--upgrade", "--no-cache-dir", "--no-deps"}),
        short={"r": "--requirement", "q": "--quiet", "U": "--upgrade"},
        abbreviations=True,
    )
    assert pairs("pip -qUrreq.txt --extra-index u --no-c --no x", table) == [
        ("--quiet", None), ("--upgrade", None), ("--requirement", "req.txt"),
        ("--extra-index-url", "u"), ("--no-cache-dir", None), ("--no", None),
    ]  # fmt: skip
    # without abbreviations a prefix is just an unknown flag
    assert pairs("x --extra-index u", OptionTable(values=table.values)) == [("--extra-index", None)]


def test_folded_names_and_options_without_clusters() -> None:
    table = OptionTable(values=frozenset({"-version", "--source"}), clusters=False, fold=True)
    p = parse(args("choco install -Version 1.2 --Source=s -y git"), table)
    assert [(o.name, o.value) for o in p.options] == [
        ("-Version", "1.2"), ("--Source", "s"), ("-y", None),
    ]  # fmt: skip
    assert p.has("-VERSION") and p.value("-version") == "1.2" and p.value("-y") == ""
    assert p.value("--other") is None
    assert [w.value for w in p.operands] == ["install", "git"]
    go = OptionTable(values=frozenset({"-o"}), clusters=False)
    assert pairs("go build -ldflags=-s -o out -trimpath", go) == [
        ("-ldflags", "-s"), ("-o", "out"), ("-trimpath", None),
    ]  # fmt: skip


# ---------------------------------------------------------------------------
# prologue


def test_prologue_skips_reserved_words_assignments_and_wrappers_in_any_order() -> None:
    p = prologue(words("if FOO=1 sudo -Eu app env -i BAR='a b' nice -n 5 pip install x"))
    assert [w.value for w in p.argv] == ["pip", "install", "x"]
    assert [(n, v) for n, v, _w in p.assignments] == [("FOO", "1"), ("BAR", "a b")]
    assert [w.value for w in p.wrappers] == ["sudo", "env", "nice"]


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("then apt-get install x", "apt-get"),
        ("! grep -q x f", "grep"),
        ('"if" x', "if"),  # quoted: a command called `if`, not the reserved word
        ("sudo -- apt-get install x", "apt-get"),
        ("sudo --user=app pip install x", "pip"),
        ("sudo --user app pip install x", "pip"),
        ("env - A=1 curl u", "curl"),
        ("env -u HOME -C /tmp make", "make"),
        ("exec -a name gosu app cmd", "gosu"),
        ("time -p make", "make"),
        ("nohup command -p ls", "ls"),
        ("1A=x cmd", "1A=x"),  # not a valid name: a command
        ("do _=1 cmd", "cmd"),
    ],
)
def test_argv_after_the_prologue(text: str, first: str) -> None:
    got = argv(parse_commands(text)[0])
    assert got and got[0].value == first


def test_a_command_of_only_assignments_has_no_argv() -> None:
    p = prologue(words("A=1 B=$A"))
    assert p.argv == [] and [n for n, _v, _w in p.assignments] == ["A", "B"]
    assert argv(parse_commands("sudo -u app")[0]) == []


def test_assignments_before_the_command_and_as_declaration_arguments() -> None:
    got = [(n, v) for n, v, _w in assignments(words("X=1 env Y=2 export A=1 -n B C=3"))]
    assert got == [("X", "1"), ("Y", "2"), ("A", "1"), ("C", "3")]
    assert [n for n, _v, _w in assignments(words("echo A=1"))] == []
    assert [n for n, _v, _w in assignments(words("local -r V=x"))] == ["V"]


def test_executable_names() -> None:
    assert basename("/usr/bin/pip3") == "pip3"
    assert basename("C:\\Python\\Scripts\\PIP.EXE") == "PIP.EXE"
    assert exe_name("C:\\Python\\Scripts\\PIP.EXE") == "pip"
    assert exe_name("./tool.bat") == "tool"


# ---------------------------------------------------------------------------
# resolver


ENV: dict[str, str | None] = {"A": "gcc make", "V": "1.2.3", "E": "", "N": None, "D": "$HOME/x"}


@pytest.mark.parametrize(
    ("value", "text", "whole"),
    [
        ("plain", "plain", True),
        ("$V", "1.2.3", True),
        ("pkg==${V}", "pkg==1.2.3", True),
        ("${V%.3}", "1.2", True),
        ("${V//./-}", "1-2-3", True),
        ("${A#gcc }", "make", True),
        ("${V:-x}", "1.2.3", True),
        ("${E:-x}", "x", True),  # empty: the default applies
        ("${E-x}", "", True),  # set: no default
        ("$N", UNKNOWN, True),  # declared without a known value
        ("${N:-x}", UNKNOWN, True),  # may come from the base image
        ("${MISSING}-1", f"{UNKNOWN}-1", True),
        ("${N//a/b}", UNKNOWN, True),
        ("${V/#1/2}", "2.2.3", True),  # anchored at the start
        ("${V/%3/0}", "1.2.0", True),  # anchored at the end
        ("${V/#2/0}", "1.2.3", True),
        ("${V%%.*}", UNKNOWN, False),  # a glob pattern is not analysed
        ("$(cat f)", UNKNOWN, False),
        ("a-$(x $(y))-b", f"a-{UNKNOWN}-b", False),
        ("`cat f`x", f"{UNKNOWN}x", False),
        ("pkg==$1", f"pkg=={UNKNOWN}", False),
        ("${#V}", UNKNOWN, False),
        ("$D", f"{UNKNOWN}/x", False),  # a value that still holds a variable
    ],
)
def test_resolve_and_resolve_word(value: str, text: str, whole: bool) -> None:
    assert resolve(value, ENV) == text
    assert resolve_word(value, ENV) == (text if whole else None)


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("su app -c 'pip install x'", "pip install x"),
        ("su -l -c 'make' app", "make"),
        ("su -lc make app", "make"),
        ("su --command=make app", "--command=make"),  # written inside the option word
        ("runuser -u app -- make", None),  # a command, not a script
        ("su -s /bin/sh app", None),
    ],
)
def test_su_script(text: str, script: str | None) -> None:
    got = su_script(words(text))
    assert (got.value_word.value if got and got.value_word else None) == script


@pytest.mark.parametrize(
    ("text", "command", "script", "stdin"),
    [
        ("sh -c 'make'", True, "make", False),
        ("bash -o pipefail -c 'make'", True, "make", False),
        ("bash -euxo pipefail -c 'make'", True, "make", False),
        ("sh +x --login -ec 'make'", True, "make", False),
        ("sh -n -c 'make'", False, None, False),  # a syntax check runs nothing
        ("sh ./install.sh arg", False, "./install.sh", False),
        ("sh -s -- arg", False, "arg", True),
        ("bash", False, None, False),
    ],
)
def test_shell_call(text: str, command: bool, script: str | None, stdin: bool) -> None:
    call = shell_call(args(text))
    assert call.command is command and call.stdin is stdin
    assert (call.script.value if call.script else None) == script


# ---------------------------------------------------------------------------
# the rules see through every wrapper the prologue walk knows


@pytest.mark.parametrize(
    ("script", "code", "column"),
    [
        ("time -p pip install flask\n", "HP201", 21),
        ("env -u HOME pip install flask\n", "HP201", 25),
        ("sudo --user root pip install flask\n", "HP201", 30),
        ("A=1 time -f %e apt-get install curl\n", "HP209", 32),
        ("export A=1 B PIP_INDEX_URL=http://pypi.example/simple\n", "HP210", 14),
        ('"$PYTHON" -m pip install --trusted-host h flask==1\n', "HP208", 26),
        ('bash -o pipefail -c "pip install flask"\n', "HP201", 34),
        ('python3 -uc "$(curl -fsSL https://x.example/i.py)"\n', "HP206", 1),
        ("zypper --root /x ar -G https://x.example/repo r\n", "HP208", 21),
        ("apt-get -yo Acquire::https::Verify-Peer=false update\n", "HP208", 13),
    ],
)
def test_rules_find_commands_behind_wrapper_options(script: str, code: str, column: int) -> None:
    found = [f for f in lint_text("s.sh", "shell", script, Settings()) if f.code == code]
    assert [(f.line, f.column) for f in found] == [(1, column)]


@pytest.mark.parametrize("run", ["env -i sudo apt-get update", "nice -n 5 sudo make"])
def test_hp404_finds_sudo_behind_a_wrapper_with_options(run: str) -> None:
    found = [f for f in lint_text("Dockerfile", "dockerfile", f"FROM a\nRUN {run}\n", Settings())]
    assert [f.subject.split()[0] for f in found if f.code == "HP404"] == ["sudo"]
