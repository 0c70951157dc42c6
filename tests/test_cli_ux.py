"""The command line as ruff users expect it: selection, config files, help, output."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest
from conftest import run_cli

from hardpin.cli import SUBCOMMANDS, build_parser

DOCKERFILE = "FROM python:3.12\nUSER app\nRUN pip install requests\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def codes(r: object) -> list[str]:
    out = r.stdout  # type: ignore[attr-defined]
    return sorted({f["code"] for f in json.loads(out)["findings"]})


# ---------------------------------------------------------------- help


def walk(parser: argparse.ArgumentParser, prog: str = "hardpin"):  # type: ignore[no-untyped-def]
    yield prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from walk(sub, f"{prog} {name}")


def test_every_flag_and_argument_has_help_text() -> None:
    seen = set()
    for prog, parser in walk(build_parser()):
        seen.add(prog)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    assert choice.help, (prog, choice.dest)
                continue
            assert action.help and action.help != argparse.SUPPRESS, (prog, action.option_strings)
    # (nested subcommands, such as `hardpin policy kyverno`, are walked as well)
    assert {p for p in seen if p.count(" ") < 2} == {"hardpin"} | {
        f"hardpin {n}" for n in SUBCOMMANDS
    }
    # and every help text renders (a stray % would break argparse's formatting)
    for _prog, parser in walk(build_parser()):
        assert parser.format_help()


def test_an_unknown_command_names_the_program_once() -> None:
    r = run_cli("foo")
    assert r.returncode == 2 and r.stdout == ""
    assert "hardpin hardpin" not in r.stderr
    assert r.stderr.startswith("hardpin: error: usage: ")
    assert "'foo'" in r.stderr and "(see `hardpin --help`)" in r.stderr
    r = run_cli("check", "--no-such-flag")
    assert r.returncode == 2 and "(see `hardpin check --help`)" in r.stderr


def test_rules_sorted_by_code_in_text_and_json() -> None:
    lines = run_cli("rules").stdout.splitlines()[1:]
    listed = [ln.split()[0] for ln in lines]
    assert listed == sorted(listed) and len(listed) >= 25
    data = json.loads(run_cli("rules", "--format", "json").stdout)
    assert [d["code"] for d in data] == listed
    assert sorted(data[0]) == ["code", "fix", "name", "online", "severity", "summary"]


def test_a_path_with_nothing_to_lint_says_so(tmp_path: Path) -> None:
    write(tmp_path / "empty" / "README.md", "hello\n")
    write(tmp_path / "full" / "Dockerfile", DOCKERFILE)
    r = run_cli("check", "empty", "full", cwd=tmp_path)
    assert r.stderr.splitlines() == [
        "hardpin: warning: empty: nothing to lint (no Dockerfile, requirements file or "
        "shell script found, or all of them excluded)"
    ]
    r = run_cli("check", "full", cwd=tmp_path)
    assert "nothing to lint" not in r.stderr
    r = run_cli("check", cwd=tmp_path / "empty")
    assert r.returncode == 0 and "hardpin: warning: .: nothing to lint" in r.stderr


# ---------------------------------------------------------------- selection


def test_command_line_selection_wins_over_the_config(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", "FROM python:3.12\nRUN apk add curl\n")
    write(tmp_path / ".hardpin.toml", "ignore = ['HP209']\n")
    assert "HP209" not in codes(run_cli("check", "--format", "json", ".", cwd=tmp_path))
    r = run_cli("check", "--format", "json", "--select", "HP209", ".", cwd=tmp_path)
    assert codes(r) == ["HP209"]
    r = run_cli("check", "--format", "json", "--extend-select", "HP209", ".", cwd=tmp_path)
    assert "HP209" in codes(r) and "HP101" in codes(r)
    r = run_cli(
        "check", "--format", "json", "--extend-ignore", "HP1", "--ignore", "HP4", ".",
        cwd=tmp_path,
    )  # fmt: skip
    assert not [c for c in codes(r) if c.startswith(("HP1", "HP4", "HP209"))]
    r = run_cli("check", "--format", "json", "--select", "all", "--ignore", "HP", ".", cwd=tmp_path)
    assert codes(r) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--select", "HP999"],
        ["--ignore", "HP9"],
        ["--extend-select", "hp95"],
        ["--extend-ignore", "HP1,HP199"],
    ],
)
def test_unknown_codes_are_errors_not_all_checks_passed(tmp_path: Path, args: list[str]) -> None:
    write(tmp_path / "Dockerfile", DOCKERFILE)
    r = run_cli("check", *args, ".", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    bad = args[1].upper().split(",")[-1]
    assert re.fullmatch(
        rf"hardpin: error: {args[0]}: unknown (rule code|prefix) '{bad}': no rule has it "
        r"\(`hardpin rules` lists them\)\n",
        r.stderr,
    ), r.stderr


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (".hardpin.toml", "select = ['HP1', 'HP999']\n"),
        ("hardpin.toml", "[severity]\nHP9 = 'info'\n"),
        ("pyproject.toml", "[tool.hardpin]\nignore = ['HP90']\n"),
    ],
)
def test_unknown_codes_in_config_files_are_errors(tmp_path: Path, name: str, text: str) -> None:
    write(tmp_path / "Dockerfile", DOCKERFILE)
    write(tmp_path / name, text)
    r = run_cli("check", ".", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith(f"hardpin: error: {name}: ") and "no rule has it" in r.stderr


def test_hardpin_toml_and_per_file_ignores(tmp_path: Path) -> None:
    write(tmp_path / "docker" / "base.Dockerfile", DOCKERFILE)
    write(tmp_path / "Dockerfile", DOCKERFILE)
    write(tmp_path / "hardpin.toml", "[per-file-ignores]\n'docker/*' = ['HP101']\n")
    r = run_cli("check", "--format", "json", ".", cwd=tmp_path)
    found = {(f["path"], f["code"]) for f in json.loads(r.stdout)["findings"]}
    assert ("Dockerfile", "HP101") in found
    assert ("docker/base.Dockerfile", "HP101") not in found
    assert ("docker/base.Dockerfile", "HP201") in found
    # [tool.hardpin] belongs in pyproject.toml
    write(tmp_path / "hardpin.toml", "[tool.hardpin]\nselect = ['HP1']\n")
    r = run_cli("check", ".", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == (
        "hardpin: error: hardpin.toml: [tool.hardpin] is the table of pyproject.toml; in "
        "hardpin.toml write the settings at the top level, without the [tool.hardpin] header\n"
    )


# ---------------------------------------------------------------- output


def test_text_lines_carry_the_severity_and_one_fix_tag(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DOCKERFILE)
    write(tmp_path / "requirements.txt", "flask==3.0.3\n")
    r = run_cli("check", "--color", "never", ".", cwd=tmp_path)
    lines = r.stdout.splitlines()
    assert lines[0] == (
        "Dockerfile:1:6: HP101 error: FROM image python:3.12 is not pinned by digest; pin it "
        "as python:3.12@sha256:<digest> [fix: network]"
    )
    assert lines[-2].startswith("requirements.txt:1:1: HP302 warning: `flask==3.0.3` is pinned")
    for line in lines[:-1]:
        assert re.match(r"\S+:\d+:\d+: HP\d{3} (error|warning|info): ", line), line
        assert "fixable with" not in line and line.count("[fix:") <= 1


def test_a_failed_lookup_is_reported_once(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DOCKERFILE)
    r = run_cli("check", "--fix", "Dockerfile", cwd=tmp_path)  # offline, empty cache
    assert r.returncode == 1
    both = r.stdout + r.stderr
    assert both.count("not in the cache") == 1
    assert (
        r.stderr == "Dockerfile:1:6: HP101 cannot fix: python:3.12: not in the cache (--offline)\n"
    )
    for fmt in ("json", "sarif"):
        r = run_cli("check", "--fix", "--format", fmt, "Dockerfile", cwd=tmp_path)
        assert "cannot fix" not in r.stdout and r.stderr.count("cannot fix") == 1


def test_full_output_and_show_source(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DOCKERFILE)
    full = run_cli("check", "--output-format", "full", "Dockerfile", cwd=tmp_path).stdout
    assert full == run_cli("check", "--show-source", "Dockerfile", cwd=tmp_path).stdout
    assert full == run_cli("check", "--format", "full", "Dockerfile", cwd=tmp_path).stdout
    assert full.startswith(
        "Dockerfile:1:6: HP101 error: FROM image python:3.12 is not pinned by digest; pin it "
        "as python:3.12@sha256:<digest> [fix: network]\n"
        "  |\n"
        "1 | FROM python:3.12\n"
        "  |      ^^^^^^^^^^^ HP101\n"
        "  |\n"
        "\n"
    )
    concise = run_cli("check", "--output-format", "concise", "Dockerfile", cwd=tmp_path).stdout
    assert concise == run_cli("check", "Dockerfile", cwd=tmp_path).stdout
    assert "  |" not in concise
    # stdin: the source shown is the text read from stdin
    r = run_cli(
        "check", "--show-source", "--stdin-filename", "Dockerfile", stdin="FROM alpine:3\n",
        cwd=tmp_path,
    )  # fmt: skip
    assert "1 | FROM alpine:3\n  |      ^^^^^^^^ HP101\n" in r.stdout


def test_sarif_from_the_command_line_has_fixes_and_no_local_path(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", "FROM python:3.12\nUSER app\nADD app.py /app/\n")
    r = run_cli("check", "--format", "sarif", ".", cwd=tmp_path)
    log = json.loads(r.stdout)
    run = log["runs"][0]
    assert "originalUriBaseIds" not in run and str(tmp_path) not in r.stdout
    add = next(x for x in run["results"] if x["ruleId"] == "HP402")
    (change,) = add["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"}
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 4},
            "insertedContent": {"text": "COPY"},
        }
    ]
    pinned = next(x for x in run["results"] if x["ruleId"] == "HP101")
    assert "fixes" not in pinned  # needs the registry: not known offline
    r = run_cli("check", "--format", "sarif", "--sarif-srcroot", ".", cwd=tmp_path)
    uri = json.loads(r.stdout)["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert uri == tmp_path.resolve().as_uri() + "/"


def test_the_baseline_says_how_many_findings_it_hid(tmp_path: Path) -> None:
    write(tmp_path / "Dockerfile", DOCKERFILE)
    r = run_cli("check", "--write-baseline", "b.json", ".", cwd=tmp_path)
    assert r.returncode == 0
    n = int(re.search(r"wrote (\d+) findings", r.stderr).group(1))  # type: ignore[union-attr]
    r = run_cli("check", "--baseline", "b.json", ".", cwd=tmp_path)
    assert r.returncode == 0
    assert n == 2 and r.stderr == "hardpin: 2 findings hidden by the baseline b.json\n"
    write(tmp_path / "Dockerfile", "FROM python:3.12\nUSER app\nRUN apk add curl\n")
    r = run_cli("check", "--baseline", "b.json", ".", cwd=tmp_path)
    assert "HP209" in r.stdout and "HP201" not in r.stdout
    assert r.stderr == "hardpin: 1 finding hidden by the baseline b.json\n"
