"""Hostile files: inputs that crashed a lexer, took quadratic time, blocked on a FIFO or
read a device forever, and control characters meant for the terminal.

Each case reproduces a defect of the parsers or of file reading; none may end in a
traceback, a hang or a crash of the whole run.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest
from conftest import run_cli

from hardpin import suppress
from hardpin.engine import lint_text
from hardpin.files import DEFAULT_MAX_FILE_SIZE, SkippedFile, parse_size, read_source
from hardpin.model import HardpinError
from hardpin.output.text import one_line
from hardpin.parsers.dockerfile import parse as parse_dockerfile
from hardpin.parsers.requirements import parse as parse_requirements
from hardpin.parsers.shell import MAX_NESTING, ShellSyntaxError, parse_commands
from hardpin.settings import Settings, load_settings

PINNED = "debian:12@sha256:" + "a" * 64


def codes(findings: list) -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in findings]


# --------------------------------------------------------------------------- crashes


@pytest.mark.parametrize("blank", ["\u00a0", "\f", "\v", " \f\t\u00a0 ", "\u3000"])
def test_a_line_of_unicode_whitespace_is_a_blank_line(blank: str) -> None:
    # BuildKit trims Go's unicode.IsSpace from the left of a line: such a line is blank
    text = f"FROM {PINNED}\n{blank}\nRUN echo a \\\n{blank}\n  && echo b\nUSER app\n"
    df = parse_dockerfile_text(text)
    run = df.instructions[1]
    assert run.keyword == "RUN" and (run.line, run.end_line) == (3, 5)
    assert "echo a" in run.args and "&& echo b" in run.args
    assert codes(lint_text("Dockerfile", "dockerfile", text, Settings())) == []


def parse_dockerfile_text(text: str):
    from hardpin.model import Source

    return parse_dockerfile(Source("Dockerfile", text))


def test_odd_whitespace_before_an_instruction_is_hp001_not_a_crash() -> None:
    text = f"FROM {PINNED}\n\f\u00a0RUN echo\n"
    found = lint_text("Dockerfile", "dockerfile", text, Settings())
    [f] = [f for f in found if f.code == "HP001"]
    assert f.line == 2 and "expected an instruction" in f.message
    # the rest of the file is still linted: the final stage sets no USER
    assert [g.code for g in found if g is not f] == ["HP401"]


def test_crashing_files_in_a_run_do_not_end_it_and_sarif_is_complete(tmp_path: Path) -> None:
    for i, blank in enumerate(["\u00a0", "\f", "\v"]):
        (tmp_path / f"{i}.Dockerfile").write_text(f"FROM {PINNED}\n{blank}\nUSER app\n")
    (tmp_path / "bad.Dockerfile").write_text("FROM ubuntu:latest\nUSER app\n")
    r = run_cli("check", "--format", "sarif", ".", cwd=tmp_path)
    assert "Traceback" not in r.stderr and r.returncode == 1, r.stderr
    results = json.loads(r.stdout)["runs"][0]["results"]
    assert {res["ruleId"] for res in results} == {"HP101", "HP102"}


@pytest.mark.parametrize(
    ("opener", "closer"), [("$(", ")"), ("(", ")"), ('"$(', ')"'), ("`echo ", "`"), ("<(", ")")]
)
def test_deep_nesting_in_run_is_hp001(opener: str, closer: str) -> None:
    deep = opener * 500 + "x" + closer * 500
    text = f"FROM {PINNED}\nRUN echo {deep}\nUSER app\n"
    found = lint_text("Dockerfile", "dockerfile", text, Settings())
    if opener.startswith("`"):
        assert codes(found) == []  # backquotes do not nest without escapes: one level
        return
    [f] = found
    assert (f.code, f.line) == ("HP001", 2)
    assert f"nested more than {MAX_NESTING} deep" in f.message


@pytest.mark.parametrize("keyword", ["RUN", "CMD", "SHELL"])
def test_deeply_nested_json_is_not_a_crash(keyword: str) -> None:
    # json.loads raises RecursionError (not ValueError) on `[[[[…`
    text = f"FROM {PINNED}\n{keyword} " + "[" * 100000 + "]" * 100000 + "\nUSER app\n"
    found = codes(lint_text("Dockerfile", "dockerfile", text, Settings()))
    assert found == ([("HP001", 2)] if keyword == "SHELL" else [])


def test_nesting_up_to_the_limit_is_parsed() -> None:
    ok = "$(" * MAX_NESTING + "curl x" + ")" * MAX_NESTING
    cmds = parse_commands(f"echo {ok}")
    assert "curl" in [c.argv[0] for c in cmds] and max(c.depth for c in cmds) == MAX_NESTING
    with pytest.raises(ShellSyntaxError):
        parse_commands("echo " + "(" * (MAX_NESTING + 1) + ")" * (MAX_NESTING + 1))


def test_deep_nesting_in_a_shell_script_is_hp001() -> None:
    text = "#!/bin/sh\necho " + "$(" * 600 + "x" + ")" * 600 + "\n"
    [f] = lint_text("x.sh", "shell", text, Settings())
    assert (f.code, f.line) == ("HP001", 2) and "nested more than" in f.message


@pytest.mark.parametrize("opt", ["-r", "-c"])
def test_nul_byte_in_an_include_path(tmp_path: Path, opt: str) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text(f"{opt} other\x00.txt\nalpha==1.0\n")
    found = lint_text(str(req), "requirements", req.read_text(), Settings())
    assert ("HP302", 2) in codes(found)
    r = run_cli("check", str(req))
    assert "Traceback" not in r.stderr and r.returncode == 1, r.stderr


# --------------------------------------------------------------------------- linear time


def _timed(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def test_nested_default_expansion_is_linear() -> None:
    # 120 KB of nested ${A:-…} in FROM took 23 s (a regex rescan from every `$`)
    text = "FROM " + "${A:-" * 20000 + "x" + "}" * 20000 + "\n"
    took = _timed(lambda: lint_text("Dockerfile", "dockerfile", text, Settings()))
    assert took < 3, took


def test_one_requirement_with_32k_hash_lines_is_linear() -> None:
    hashes = "".join(
        f" \\\n    --hash=sha256:{hashlib.sha256(str(i).encode()).hexdigest()}"
        for i in range(32000)
    )
    text = f"requests==2.31.0{hashes}\n"
    parsed: list = []
    took = _timed(lambda: parsed.append(parse_requirements(text)))
    [req] = parsed[0].requirements
    assert len(req.hashes) == 32000 and req.end_line == 32001
    assert took < 5, took


def test_expansion_results_are_unchanged() -> None:
    from hardpin.parsers.dockerfile import expand

    env: dict[str, str | None] = {"A": "a", "E": ""}
    assert expand("${A}-${B:-d}-${E:-e}-${E-f}-$A}x${B:-", env) == ("a-d-e--a}x${B:-", [])
    assert expand("${B:-${A}}", env) == ("${A}", [])  # the word ends at the first }
    assert expand("x${B:-y $A $C", env) == ("x${B:-y a ", ["C"])


# --------------------------------------------------------------------------- file reading


def test_read_source_reads_regular_files_up_to_the_cap(tmp_path: Path) -> None:
    p = tmp_path / "Dockerfile"
    p.write_bytes(b"FROM a\xff\n")
    assert read_source(str(p)) == "FROM a\udcff\n"
    assert read_source(str(p), 8) == "FROM a\udcff\n"
    with pytest.raises(SkippedFile, match="larger than max-file-size"):
        read_source(str(p), 7)
    with pytest.raises(SkippedFile, match="a directory"):
        read_source(str(tmp_path))
    with pytest.raises(HardpinError, match="NUL byte"):
        read_source(str(tmp_path / "a\x00b"))
    with pytest.raises(HardpinError, match="cannot read"):
        read_source(str(tmp_path / "missing"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_never_blocks(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "Dockerfile")
    with pytest.raises(SkippedFile, match="named pipe"):
        read_source(str(tmp_path / "Dockerfile"))
    (tmp_path / "requirements.txt").write_text("-r Dockerfile\nalpha==1.0\n")
    (tmp_path / "b.Dockerfile").write_text("FROM ubuntu:latest\n")
    r = run_cli("check", "Dockerfile", "requirements.txt", "b.Dockerfile", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "Dockerfile: skipped: a named pipe, not a regular file" in r.stderr
    assert "b.Dockerfile:1:6: HP102" in r.stdout and "requirements.txt:2:1: HP302" in r.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_without_extension_is_not_sniffed(tmp_path: Path) -> None:
    # a file without an extension is read for a shebang: never a FIFO's
    os.mkfifo(tmp_path / "build")
    (tmp_path / "run").write_text("#!/bin/sh\ncurl -s https://x.example/i | sh\n")
    r = run_cli("check", "build", "run", cwd=tmp_path)
    assert "Traceback" not in r.stderr and r.returncode == 1, r.stderr
    assert "build: skipped: a named pipe" in r.stderr and "run:2:" in r.stdout


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_device_named_dockerfile_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").symlink_to("/dev/zero")
    r = run_cli("check", "Dockerfile", cwd=tmp_path)
    assert r.returncode == 0 and "Dockerfile: skipped: a device" in r.stderr, r.stderr


def test_files_over_max_file_size_are_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / ".hardpin.toml").write_text('max-file-size = "1 KiB"\n')
    (tmp_path / "big.Dockerfile").write_text("FROM ubuntu:latest\n" + "# pad\n" * 200)
    (tmp_path / "small.Dockerfile").write_text("FROM ubuntu:latest\n")
    r = run_cli("check", ".", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    [note] = r.stderr.splitlines()
    assert note == "big.Dockerfile: skipped: 1.2 KiB is larger than max-file-size (1 KiB)"
    assert "small.Dockerfile:1:6: HP102" in r.stdout and "big.Dockerfile:" not in r.stdout


def test_max_file_size_setting(tmp_path: Path) -> None:
    assert DEFAULT_MAX_FILE_SIZE == 4 * 1024 * 1024
    assert [parse_size(v) for v in (1, "2k", "3 MiB", "1MB", " 5 gib ")] == [
        1, 2048, 3 * 1024**2, 1000**2, 5 * 1024**3,
    ]  # fmt: skip
    cfg = tmp_path / ".hardpin.toml"
    cfg.write_text('max-file-size = "8 MiB"\n')
    assert load_settings(cfg).get("max-file-size") == 8 * 1024 * 1024
    for bad in ("0", '"lots"', "true", '"-1k"', "[1]"):
        cfg.write_text(f"max-file-size = {bad}\n")
        with pytest.raises(HardpinError, match="max-file-size"):
            load_settings(cfg)


# --------------------------------------------------------------------------- terminals


def test_control_characters_are_escaped_in_text_output(tmp_path: Path) -> None:
    evil = "\x1b]0;owned\x07\x1b[2J\u009b31m\x00\x7f"
    (tmp_path / "Dockerfile").write_text(f"FROM ubuntu:latest{evil}\n")
    (tmp_path / f"x{evil[:4]}.Dockerfile").write_text("FROM ubuntu:latest\n")
    r = run_cli("check", ".", cwd=tmp_path)
    assert r.returncode == 1 and "HP101" in r.stdout, r.stderr
    for c in ("\x1b", "\x07", "\u009b", "\x00", "\x7f"):
        assert c not in r.stdout and c not in r.stderr
    assert "\\x1b]0;owned\\x07\\x1b[2J\\u009b31m\\x00\\x7f" in r.stdout
    assert "x\\x1b]0;.Dockerfile:1:6: HP102" in r.stdout


def test_control_characters_are_escaped_in_github_annotations(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM ubuntu:latest\x1b]8;;http://x\x07\x9b\n")
    r = run_cli("check", "--format", "github", ".", cwd=tmp_path)
    assert r.returncode == 1 and "::error" in r.stdout, r.stderr
    assert not any(c in r.stdout for c in "\x1b\x07\x9b")
    assert "::FROM ubuntu:latest\\x1b]8;;http://x\\x07\\u009b is not a valid" in r.stdout


def test_one_line_escapes_c0_c1_but_keeps_tab_and_text() -> None:
    assert one_line("a\tb é ✓") == "a\tb é ✓"
    assert one_line("a\nb\rc\x1bd\x07\x85\udcff") == "a\\nb\\rc\\x1bd\\x07\\u0085\ufffd"


def test_errors_on_stderr_are_escaped(tmp_path: Path) -> None:
    r = run_cli("check", "no\x1b[31mfile")
    assert r.returncode == 2 and "\x1b" not in r.stderr and "\\x1b[31m" in r.stderr


# --------------------------------------------------------------------------- suppressions


def test_suppression_covers_a_finding_on_a_continuation_line() -> None:
    text = (
        f"FROM {PINNED}\n"
        "# hardpin: ignore=HP404 the build needs it\n"
        "RUN apt-get update \\\n"
        "    && sudo make install\n"
        "RUN sudo make check\n"
        "USER app\n"
    )
    found = lint_text("Dockerfile", "dockerfile", text, Settings())
    # the suppressed sudo is on line 4, the second line of the RUN of line 3
    assert codes(found) == [("HP404", 5)]
    unsuppressed = lint_text("Dockerfile", "dockerfile", text.replace("HP404", "HP999"), Settings())
    assert ("HP404", 4) in codes(unsuppressed)
    df = parse_dockerfile_text(text)
    [sup] = suppress.dockerfile_suppressions(
        df.source, [(i.line, i.end_line) for i in df.instructions]
    )
    assert (sup.first_line, sup.last_line) == (3, 4)
