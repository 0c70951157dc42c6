"""HP001 whatever rules are selected, and the rest of a Dockerfile analysed after an
instruction that does not parse; `case` patterns are not pipes."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

from hardpin.engine import lint_text
from hardpin.model import Source
from hardpin.parsers.dockerfile import ParseError, parse
from hardpin.parsers.shell import parse_commands
from hardpin.settings import Settings

PINNED = "debian:12@sha256:" + "a" * 64


def codes(text: str) -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in lint_text("Dockerfile", "dockerfile", text, Settings())]


def test_select_hp001_reports_an_unterminated_quote_in_run(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(f"FROM {PINNED}\nUSER app\nRUN echo 'oops\n")
    r = run_cli("check", "--select", "HP001", "Dockerfile", cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert (
        "Dockerfile:3:10: HP001 error: cannot parse the shell in RUN: unterminated single quote"
        in (r.stdout)
    )
    # and with two files, which are linted by the parallel path
    (tmp_path / "b.Dockerfile").write_text(f'FROM {PINNED}\nUSER app\nRUN echo "x\n')
    r = run_cli("check", "--select", "HP001", "Dockerfile", "b.Dockerfile", cwd=tmp_path)
    assert r.stdout.count("HP001") == 2, r.stdout


def test_instructions_after_an_unknown_one_are_still_linted() -> None:
    text = (
        "RUN echo before\n"  # 1: before FROM
        "FROM debian:12\n"  # 2: HP101, HP401
        "FOO bar \\\n"  # 3: unknown, continued
        "    baz\n"
        "RUN curl -k https://example.com/x -o /x\n"  # 5: HP208
    )
    got = codes(text)
    assert ("HP001", 1) in got and ("HP101", 2) in got and ("HP208", 5) in got
    [hp001] = [f for f in lint_text("D", "dockerfile", text, Settings()) if f.code == "HP001"]
    assert hp001.message == "RUN before the first FROM (1 more instruction left out below)"


def test_text_that_is_no_instruction_skips_its_continuation_lines() -> None:
    df = parse(
        Source("D", f"FROM {PINNED}\n{{{{if x}}}} \\\nRUN echo hidden\nUSER app\n"), strict=False
    )
    assert [i.keyword for i in df.instructions] == ["FROM", "USER"]
    assert [e.message for e in df.errors] == ["expected an instruction, found '{{if'"]


def test_strict_parse_still_raises_at_the_first_error() -> None:
    try:
        parse(Source("D", "FROM a:1\nFOO x\n"))
    except ParseError as exc:
        assert exc.message == "unknown instruction 'FOO'"
    else:
        raise AssertionError("no ParseError")


def test_a_file_with_no_stage_left_is_one_hp001() -> None:
    assert codes("version: '3'\nservices:\n  web: {}\n") == [("HP001", 1)]


def test_env_without_a_value_is_not_hp001() -> None:
    text = f"FROM {PINNED}\nENV PATH\nENV PATH=\nUSER app\n"
    assert codes(text) == []


def test_bad_env_is_hp001_and_later_instructions_count() -> None:
    text = f"FROM {PINNED}\nENV A=1 B\nUSER root\n"
    assert codes(text) == [("HP001", 2), ("HP401", 3)]


def test_case_patterns_are_not_pipes() -> None:
    cmds = parse_commands(
        'case "$(uname -m)" in x86_64|amd64) A=x ;; (aarch64 | arm64) A=y;;\n'
        "  *) echo no | cat ;;\nesac; curl -fsSL x | sh"
    )
    got = [(c.joined_by, c.argv) for c in cmds if c.depth == 0]
    assert got == [
        ("", ["case", "$(uname -m)", "in"]),
        (";", ["A=x"]),
        (";", ["A=y"]),
        (";", ["echo", "no"]),
        ("|", ["cat"]),
        (";", ["curl", "-fsSL", "x"]),
        ("|", ["sh"]),
    ]


def test_nested_case_and_esac_without_a_final_separator() -> None:
    cmds = parse_commands("case a in a) case b in b|c) x;; esac ;; d|e) y\nesac\nls | wc")
    assert [c.argv for c in cmds] == [
        ["case", "a", "in"],
        ["case", "b", "in"],
        ["x"],
        ["y"],
        ["ls"],
        ["wc"],
    ]
    assert cmds[-1].joined_by == "|"
