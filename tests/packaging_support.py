"""Helpers for the tests that build, install and run hardpin as a user gets it.

They never ask a package index: hardpin's dependencies (and its build backend) come from
the wheels `scripts/install.sh` downloads into `<venv>/wheels`, and pip reads no
configuration file of the machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

WHEELHOUSE = Path(sys.prefix) / "wheels"


def require_wheelhouse() -> Path:
    if not any(WHEELHOUSE.glob("*.whl")):
        pytest.skip(f"no dependency wheels in {WHEELHOUSE}: run scripts/install.sh")
    return WHEELHOUSE


def offline_pip_env(**extra: str) -> dict[str, str]:
    """The environment for pip runs that may only use the wheelhouse."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUALENV_", "UV_"))}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(require_wheelhouse()),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
    )
    env.pop("PYTHONPATH", None)
    env.update(extra)
    return env


def source_files() -> list[str]:
    """The repository's files as a commit of the work tree would hold them: tracked files
    and new ones git does not ignore (so the tests see uncommitted work too)."""
    r = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if r.returncode != 0:
        pytest.skip("not a git work tree: cannot tell the repository's files")
    # a tracked file deleted in the work tree is left out, as a commit would
    return sorted({p for p in r.stdout.decode().split("\0") if p and (ROOT / p).is_file()})


def snapshot(dst: Path, *, commit: bool = False) -> Path:
    """A copy of the repository's files at `dst`; with `commit`, a git repository holding
    them in one commit (what pre-commit clones)."""
    for rel in source_files():
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    if commit:
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
        subprocess.run([*git, "init", "-q", str(dst)], check=True)
        subprocess.run([*git, "add", "-A"], cwd=dst, check=True)
        subprocess.run([*git, "commit", "-q", "-m", "snapshot"], cwd=dst, check=True)
    return dst


def venv_bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name
