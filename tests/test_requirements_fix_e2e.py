"""`hardpin check --fix` / `--diff` and `hardpin lock` on requirements files, against a
real PEP 503/691 index served on loopback (tests/index_support.py).

Every fix here runs inside `stays_installable`: pip (`install --dry-run --no-deps -r`)
reads each file before and after the fix from the same index, and a file pip
installed before must still install after."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli
from index_support import (
    IndexModel,
    LocalIndex,
    index_server,
    local_index,
    pip_dry_run,
    start_index,
    stays_installable,
    unreachable_url,
)
from test_lock import HAVE_PIP_COMPILE, HAVE_UV

needs_a_locker = pytest.mark.skipif(
    not (HAVE_PIP_COMPILE or HAVE_UV), reason="needs pip-tools or uv"
)


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "HARDPIN_OFFLINE": "",
        "HARDPIN_CACHE_DIR": str(tmp_path / "cache"),
        "PIP_INDEX_URL": "",
        "PIP_EXTRA_INDEX_URL": "",
    }


def _fix(
    index_url: str, files: list[Path], *args: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """`hardpin ARGS` (a fix) with pip reading each of `files` before and after it."""
    with stays_installable(index_url, *files):
        return run_cli(*args, cwd=cwd, env=env)


def _hash_lines(index: LocalIndex, name: str, version: str) -> str:
    return "".join(f" \\\n    --hash={h}" for h in index.model.hashes(name, version))


def test_fix_fills_hashes_only_when_every_lookup_succeeds(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    req = tmp_path / "requirements.txt"
    text = (
        "# pinned by hand\n"
        "alpha==1.1  # the one we test\n"
        "beta==1.0 ; python_version >= '3.8'\n"
        "alpha-missing==9.9\n"
        "gamma==0.3\n"
    )
    req.write_text(text)
    args = ("check", "--fix", "--select", "HP302", "--index-url", local_index.url)
    r = _fix(local_index.url, [req], *args, "requirements.txt", cwd=tmp_path, env=_env(tmp_path))
    assert r.returncode == 1
    # one line for the one requirement that cannot be fixed
    assert r.stderr == (
        f"requirements.txt:4:1: HP302 cannot fix: alpha-missing: no such project "
        f"on the package index {local_index.url}\n"
    )
    # hashes on the three others would make pip refuse the whole file: none is added
    assert req.read_text() == text
    why = (
        "[not hashed: adding hashes would make pip refuse the 1 requirement(s) left without "
        "a hash (alpha-missing==9.9); make every requirement pinned and hashed or lock the "
        "file with pip-compile --generate-hashes]"
    )
    lines = r.stdout.splitlines()
    assert [ln.split(": ")[0] for ln in lines[:-1]] == [
        f"requirements.txt:{n}:1" for n in (2, 3, 4, 5)
    ]
    assert all(" HP302 " in ln for ln in lines[:-1])
    assert all(why in lines[i] for i in (0, 1, 3)) and why not in lines[2], r.stdout
    # without it, every pin gets its hashes, and pip installs the file in hash mode
    text = text.replace("alpha-missing==9.9\n", "")
    req.write_text(text)
    with stays_installable(local_index.url, req):
        r = run_cli(*args, "requirements.txt", cwd=tmp_path, env=_env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert req.read_text() == (
        "# pinned by hand\n"
        f"alpha==1.1{_hash_lines(local_index, 'alpha', '1.1')}  # the one we test\n"
        f"beta==1.0 ; python_version >= '3.8'{_hash_lines(local_index, 'beta', '1.0')}\n"
        f"gamma==0.3{_hash_lines(local_index, 'gamma', '0.3')}\n"
    )
    # a version the index does not have: named, with the versions it does have
    req.write_text("alpha==1.5\n")
    with stays_installable(local_index.url, req) as before:
        r = run_cli(
            "check",
            "--fix",
            "--index-url",
            local_index.url,
            "requirements.txt",
            cwd=tmp_path,
            env=_env(tmp_path),
        )
    assert before[str(req)].returncode != 0  # pip cannot install it either
    assert r.returncode == 1 and req.read_text() == "alpha==1.5\n"
    assert re.fullmatch(
        r"requirements\.txt:1:1: HP302 cannot fix: alpha has no version 1\.5 on the "
        r"package index \S+ \(nearby versions: [^)]*1\.1[^)]*\)\n",
        r.stderr,
    ), r.stderr


def test_the_file_index_wins_and_a_second_run_changes_nothing(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    req = tmp_path / "requirements.txt"
    req.write_bytes(f"--index-url {local_index.url}\r\nbeta==1.0\r\n".encode())
    # the command line names an index nobody serves: the file's own index is used
    r = _fix(
        local_index.url,
        [req],
        "check",
        "--fix",
        "--select",
        "HP302",
        "--index-url",
        unreachable_url(),
        "requirements.txt",
        cwd=tmp_path,
        env=_env(tmp_path),
    )
    assert r.returncode == 0, r.stderr
    hashes = local_index.model.hashes("beta", "1.0")
    want = (
        f"--index-url {local_index.url}\r\nbeta==1.0"
        + "".join(f" \\\r\n    --hash={h}" for h in hashes)
        + "\r\n"
    )
    assert req.read_bytes().decode() == want
    again = _fix(
        local_index.url,
        [req],
        "check",
        "--fix",
        "--select",
        "HP302,HP303",
        "requirements.txt",
        cwd=tmp_path,
        env=_env(tmp_path),
    )
    assert again.returncode == 0 and req.read_bytes().decode() == want


def test_unreachable_index_diff_reports_each_line_and_writes_nothing(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    text = "alpha==1.1\nbeta==1.0\n"
    req.write_text(text)
    dead = unreachable_url()
    r = _fix(
        dead,
        [req],
        "check",
        "--fix",
        "--diff",
        "--index-url",
        dead,
        "requirements.txt",
        cwd=tmp_path,
        env=_env(tmp_path),
    )
    assert r.returncode == 1 and r.stdout == "" and req.read_text() == text
    lines = r.stderr.splitlines()
    assert [ln.split(" cannot fix: ")[0] for ln in lines] == [
        "requirements.txt:1:1: HP302",
        "requirements.txt:2:1: HP302",
    ]
    assert all(
        "cannot reach the package index" in ln and "connection refused" in ln for ln in lines
    )


@needs_a_locker
def test_unsafe_fix_relocks_from_the_sibling_input(local_index: LocalIndex, tmp_path: Path) -> None:
    (tmp_path / "requirements.in").write_text("gamma\n")
    out = tmp_path / "requirements.txt"
    out.write_text("gamma>=0.1\n")
    env = _env(tmp_path)
    # without --unsafe-fixes nothing is written; --diff always shows the lock
    plain = _fix(
        local_index.url,
        [out],
        "check",
        "--fix",
        "--ignore",
        "HP305",
        "--index-url",
        local_index.url,
        "requirements.txt",
        cwd=tmp_path,
        env=env,
    )
    assert out.read_text() == "gamma>=0.1\n" and plain.returncode == 1
    # the hash edits alone would leave the unpinned gamma: HP301 says the lock fixes it
    assert "`--fix --unsafe-fixes` re-locks it from requirements.in" in plain.stdout
    diff = _fix(
        local_index.url,
        [out],
        "check",
        "--diff",
        "--ignore",
        "HP305",
        "--index-url",
        local_index.url,
        "requirements.txt",
        cwd=tmp_path,
        env=env,
    )
    assert diff.returncode == 1 and "-gamma>=0.1" in diff.stdout and "+gamma==0.3 \\" in diff.stdout
    assert out.read_text() == "gamma>=0.1\n"
    fixed = _fix(
        local_index.url,
        [out],
        "check",
        "--fix",
        "--unsafe-fixes",
        "--ignore",
        "HP305",
        "--index-url",
        local_index.url,
        "requirements.txt",
        cwd=tmp_path,
        env=env,
    )
    text = out.read_text()
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert pip_dry_run(out, local_index.url).returncode == 0  # installable, hashes and all
    assert "gamma==0.3 \\\n    --hash=sha256:" in text and "alpha==1.1 \\\n" in text
    for name, version in [
        ("alpha", "1.1"),
        ("beta", "1.0"),
        ("gamma", "0.3"),
        ("multi-plat", "1.0.0"),
    ]:
        for h in local_index.model.hashes(name, version):
            assert f"--hash={h}" in text
    again = _fix(
        local_index.url,
        [out],
        "check",
        "--fix",
        "--unsafe-fixes",
        "--ignore",
        "HP305",
        "--index-url",
        local_index.url,
        "requirements.txt",
        cwd=tmp_path,
        env=env,
    )
    assert again.returncode == 0 and out.read_text() == text


@needs_a_locker
def test_lock_command_writes_and_is_stable(local_index: LocalIndex, tmp_path: Path) -> None:
    src = tmp_path / "requirements.in"
    src.write_text("gamma\n")
    env = _env(tmp_path)
    r = run_cli("lock", "requirements.in", "--index-url", local_index.url, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "requirements.txt"
    text = out.read_text()
    assert "gamma==0.3 \\\n    --hash=sha256:" in text and "# via -r requirements.in" in text
    dry = pip_dry_run(out, local_index.url)
    assert dry.returncode == 0, dry.stderr
    # the lock it wrote passes hardpin's own requirement rules (but for the test index
    # being plain http, which HP305 points out)
    lint = run_cli(
        "check", "--select", "HP3", "--format", "json", "requirements.txt", cwd=tmp_path, env=env
    )
    assert [f["code"] for f in json.loads(lint.stdout)["findings"]] == ["HP305"]
    again = run_cli(
        "lock", "requirements.in", "--index-url", local_index.url, cwd=tmp_path, env=env
    )
    assert again.returncode == 0 and "is up to date" in again.stderr and out.read_text() == text
    bad = run_cli("lock", "missing.in", cwd=tmp_path, env=env)
    assert bad.returncode == 2 and bad.stderr == "hardpin: error: missing.in: no such file\n"
