from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"


_EMPTY_CACHE = os.path.join(tempfile.mkdtemp(prefix="hardpin-test-cache-"), "cache")


def run_cli(
    *args: str,
    cwd: str | Path | None = None,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the installed command line as a user would (python -m hardpin)."""
    src = str(ROOT / "src")
    pp = os.environ.get("PYTHONPATH")
    # Tests never reach the internet: network fixes answer from an empty cache unless a
    # test that runs a local registry or index says otherwise (HARDPIN_OFFLINE="").
    e = {
        **os.environ,
        "NO_COLOR": "1",
        "PYTHONPATH": src + (os.pathsep + pp if pp else ""),
        "HARDPIN_OFFLINE": "1",
        "HARDPIN_CACHE_DIR": _EMPTY_CACHE,
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "hardpin", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=e,
        timeout=120,
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the example project in its own git work tree (so .gitignore applies)."""
    dst = tmp_path / "example"
    shutil.copytree(FIXTURES / "example", dst)
    subprocess.run(["git", "init", "-q", str(dst)], check=True)
    return dst
