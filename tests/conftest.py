from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"


def run_cli(*args: str, cwd: str | Path | None = None, stdin: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed command line as a user would (python -m hardpin)."""
    e = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "hardpin", *args],
        cwd=cwd, input=stdin, capture_output=True, text=True, env=e, timeout=120,
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def example(tmp_path: Path) -> Path:
    dst = tmp_path / "example"
    shutil.copytree(FIXTURES / "example", dst)
    return dst
