"""The command line, end to end, as users run it."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, run_cli

EXPECTED_EXAMPLE = FIXTURES / "example.expected.json"
SECRET = "s3cr3t-value"


def pairs(out: str) -> list[list[object]]:
    data = json.loads(out)
    assert data["version"] == 1
    return [[f["path"], f["code"], f["line"]] for f in data["findings"]]


def test_example_reports_exactly_the_expected_findings(example: Path) -> None:
    r = run_cli("check", "--format", "json", ".", cwd=example)
    assert r.returncode == 1, r.stderr
    assert pairs(r.stdout) == json.loads(EXPECTED_EXAMPLE.read_text())


def test_example_from_the_repository_root_honours_gitignore_and_vendor() -> None:
    r = run_cli("check", "--format", "json", "fixtures/example", cwd=ROOT)
    paths = {p for p, _c, _l in pairs(r.stdout)}
    assert not any("vendor/" in p or "ignored/" in p for p in paths)
    assert "fixtures/example/Dockerfile" in paths


def test_findings_json_items_have_exactly_the_documented_fields(example: Path) -> None:
    r = run_cli("check", "--format", "json", "Dockerfile", cwd=example)
    for f in json.loads(r.stdout)["findings"]:
        assert sorted(f) == sorted(
            [
                "code",
                "name",
                "severity",
                "message",
                "path",
                "line",
                "column",
                "end_line",
                "end_column",
                "fix",
            ]
        )
        assert f["severity"] in ("error", "warning", "info")
        assert f["fix"] in ("safe", "unsafe", "network", None)


def test_secrets_are_never_printed(example: Path) -> None:
    for fmt in ("text", "json", "sarif", "github"):
        r = run_cli("check", "--format", fmt, ".", cwd=example)
        assert SECRET not in r.stdout + r.stderr, fmt
    base = example / "baseline.json"
    run_cli("check", "--write-baseline", str(base), ".", cwd=example)
    assert SECRET not in base.read_text()


def test_text_output_lines_and_summary(example: Path) -> None:
    r = run_cli("check", "services/api/Dockerfile.prod", cwd=example)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("services/api/Dockerfile.prod:1:6: HP101 ")
    assert lines[0].endswith("[fix: network]")
    assert any(ln.startswith("services/api/Dockerfile.prod:1:6: HP102 ") for ln in lines)
    assert "\x1b[" not in r.stdout
    assert r.returncode == 1


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["check", "clean.Dockerfile"], 0),
        (["check", "dirty.Dockerfile"], 1),
        (["check", "--fail-on", "error", "warn-only.Dockerfile"], 0),
        (["check", "--fail-on", "warning", "warn-only.Dockerfile"], 1),
        (["check", "--fail-on", "info", "warn-only.Dockerfile"], 1),
        (["check", "--ignore", "HP4", "warn-only.Dockerfile"], 0),
        (["check", "--select", "HP401", "dirty.Dockerfile"], 0),
        (["check", "--select", "HP1", "--ignore", "HP101", "dirty.Dockerfile"], 1),
        (["check", "--exit-zero", "dirty.Dockerfile"], 0),
        (["check", "missing.Dockerfile"], 2),
        (["check", "--format", "xml", "clean.Dockerfile"], 2),
        (["check", "--fail-on", "fatal", "clean.Dockerfile"], 2),
        (["frobnicate"], 2),
        (["rule", "HP999"], 2),
    ],
)
def test_exit_codes(tmp_path: Path, args: list[str], code: int) -> None:
    pinned = "alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d"
    (tmp_path / "clean.Dockerfile").write_text(f"FROM {pinned}\nUSER 10001\n")
    (tmp_path / "dirty.Dockerfile").write_text("FROM ubuntu\nUSER 10001\n")
    (tmp_path / "warn-only.Dockerfile").write_text(f"FROM {pinned}\n")
    r = run_cli(*args, cwd=tmp_path)
    assert r.returncode == code, r.stdout + r.stderr
    if code == 2:
        err = r.stderr.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("hardpin: error:"), r.stderr
        assert "Traceback" not in r.stderr


def test_bad_input_gives_one_line_and_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(b"\x00\xff\xfeFROM\x00 \xc3\x28\n")
    (tmp_path / "Dockerfile.heredoc").write_text("FROM a:1\nRUN <<EOF\nnever closed\n")
    r = run_cli("check", "--format", "text", ".", cwd=tmp_path)
    assert "Traceback" not in r.stderr
    assert r.returncode == 1
    assert "Dockerfile:1:1: HP001 " in r.stdout
    assert "Dockerfile.heredoc:2:5: HP001 error: heredoc <<EOF is never terminated" in r.stdout


def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / ".hardpin.toml").write_text('selectt = ["HP1"]\n')
    (tmp_path / "Dockerfile").write_text("FROM ubuntu\n")
    r = run_cli("check", ".", cwd=tmp_path)
    assert r.returncode == 2
    assert "selectt" in r.stderr and ".hardpin.toml" in r.stderr
    assert "Traceback" not in r.stderr


def test_config_allowed_registries_and_per_file_ignores(example: Path) -> None:
    r = run_cli("check", "--format", "json", "--select", "HP103", ".", cwd=example)
    assert pairs(r.stdout) == [["services/api/Dockerfile.prod", "HP103", 1]]


def test_stdin_filename(tmp_path: Path) -> None:
    r = run_cli(
        "check",
        "--stdin-filename",
        "sub/Dockerfile",
        "--format",
        "json",
        cwd=tmp_path,
        stdin="FROM ubuntu:24.04\nUSER 1\n",
    )
    assert pairs(r.stdout) == [["sub/Dockerfile", "HP101", 1]]
    r = run_cli(
        "check",
        "--stdin-filename",
        "Dockerfile",
        "--fix",
        cwd=tmp_path,
        stdin="FROM a:1@sha256:" + "0" * 64 + "\nADD x /x\nUSER 1\n",
    )
    assert r.stdout == "FROM a:1@sha256:" + "0" * 64 + "\nCOPY x /x\nUSER 1\n"


def test_fix_writes_atomically_keeps_mode_crlf_and_converges(tmp_path: Path) -> None:
    f = tmp_path / "Dockerfile"
    original = (
        b"# comment\r\nFROM alpine:3.20\r\n\r\nadd  --chown=1:1 a.txt /a.txt\r\nADD b.tar.gz /\r\n"
    )
    f.write_bytes(original)
    os.chmod(f, 0o640)
    r = run_cli("check", "--diff", "Dockerfile", cwd=tmp_path)
    assert r.returncode == 1
    assert (
        "-add  --chown=1:1 a.txt /a.txt" in r.stdout
        and "+copy  --chown=1:1 a.txt /a.txt" in r.stdout
    )
    assert f.read_bytes() == original  # --diff writes nothing
    r = run_cli("check", "--fix", "Dockerfile", cwd=tmp_path)
    assert f.read_bytes() == original.replace(b"add  --chown", b"copy  --chown")
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]  # no temp files left
    again = run_cli("check", "--fix", "Dockerfile", cwd=tmp_path)
    assert f.read_bytes() == original.replace(b"add  --chown", b"copy  --chown")
    assert again.returncode == r.returncode
    r = run_cli("check", "--diff", "Dockerfile", cwd=tmp_path)
    # nothing left to change offline; the digest pin needs the registry, which this run
    # may not ask (HARDPIN_OFFLINE, empty cache): one line says so and the exit code is 1
    assert r.stdout == "" and r.returncode == 1
    assert (
        r.stderr == "Dockerfile:2:6: HP101 cannot fix: alpine:3.20: not in the cache (--offline)\n"
    )


def test_unsafe_fixes_need_the_flag(tmp_path: Path) -> None:
    f = tmp_path / "Dockerfile"
    f.write_text("FROM a:1@sha256:" + "0" * 64 + "\nADD dist/* /w/\nUSER 1\n")
    run_cli("check", "--fix", "Dockerfile", cwd=tmp_path)
    assert "ADD dist/*" in f.read_text()
    run_cli("check", "--fix", "--unsafe-fixes", "Dockerfile", cwd=tmp_path)
    assert "COPY dist/*" in f.read_text()


def test_baseline_ignores_line_moves_and_reports_new_findings(tmp_path: Path) -> None:
    f = tmp_path / "Dockerfile"
    f.write_text("FROM ubuntu:24.04\nUSER 1\n")
    r = run_cli("check", "--write-baseline", "base.json", "Dockerfile", cwd=tmp_path)
    assert r.returncode == 0
    r = run_cli("check", "--baseline", "base.json", "Dockerfile", cwd=tmp_path)
    assert r.returncode == 0, r.stdout
    f.write_text("# moved down\n\nFROM ubuntu:24.04\nUSER 1\n")
    r = run_cli("check", "--baseline", "base.json", "--format", "json", "Dockerfile", cwd=tmp_path)
    assert pairs(r.stdout) == []
    f.write_text("# moved down\n\nFROM ubuntu:24.04\nFROM debian:12\nUSER 1\n")
    r = run_cli("check", "--baseline", "base.json", "--format", "json", "Dockerfile", cwd=tmp_path)
    assert pairs(r.stdout) == [["Dockerfile", "HP101", 4]]
    (tmp_path / "bad.json").write_text("{")
    r = run_cli("check", "--baseline", "bad.json", "Dockerfile", cwd=tmp_path)
    assert r.returncode == 2 and "bad.json" in r.stderr


def test_rule_and_rules_commands() -> None:
    r = run_cli("rule", "hp101")
    assert r.returncode == 0
    assert r.stdout.startswith("# HP101 unpinned-image\n")
    for section in (
        "## What it does",
        "## Why it matters",
        "## Example",
        "## Use instead",
        "## Fix safety",
    ):
        assert section in r.stdout
    r = run_cli("rules")
    lines = r.stdout.splitlines()
    assert lines[0].split()[:5] == ["CODE", "NAME", "SEVERITY", "FIX", "ONLINE"]
    row = next(ln for ln in lines if ln.startswith("HP402"))
    assert row.split()[:5] == ["HP402", "add-instead-of-copy", "warning", "safe", "no"]
    data = json.loads(run_cli("rules", "--format", "json").stdout)
    assert {d["code"] for d in data} >= {"HP001", "HP002", "HP101", "HP405"}


def test_python_dash_m_and_version() -> None:
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("hardpin ")


def test_plain_output_does_not_import_rich_or_network_modules(example: Path) -> None:
    import subprocess

    code = (
        "import sys, io; sys.argv=['hardpin','check','Dockerfile'];"
        "from hardpin.cli import main; rc=main();"
        "bad=[m for m in ('rich','requests','urllib3','subprocess') if m in sys.modules];"
        "print('LOADED=' + ','.join(bad))"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        cwd=example,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert r.stdout.strip().splitlines()[-1] == "LOADED=", r.stdout


def test_generated_rule_docs_are_current() -> None:
    import subprocess

    r = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_rule_docs.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr


def test_only_the_online_package_imports_network_or_subprocess_modules() -> None:
    import ast

    offenders = []
    for path in (ROOT / "src" / "hardpin").rglob("*.py"):
        if "online" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for n in names:
                if n.split(".")[0] in ("requests", "subprocess", "urllib3", "httpx"):
                    offenders.append(f"{path.relative_to(ROOT)}: {n}")
    assert offenders == []


def test_parallel_run_reports_the_same_as_serial() -> None:
    serial = run_cli("check", "--format", "json", "--jobs", "1", "fixtures/rules", cwd=ROOT)
    parallel = run_cli("check", "--format", "json", "--jobs", "2", "fixtures/rules", cwd=ROOT)
    assert serial.returncode == parallel.returncode == 1
    assert len(json.loads(serial.stdout)["findings"]) > 200
    assert parallel.stdout == serial.stdout
