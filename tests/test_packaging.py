"""The release as a user gets it: the sdist and wheel `python -m build` makes from the
repository, the wheel installed in a fresh virtual environment, and the README's example
run with the installed command. No package index is asked (see packaging_support)."""

from __future__ import annotations

import email.parser
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from packaging.requirements import Requirement
from packaging_support import offline_pip_env, snapshot, source_files, venv_bin

import hardpin

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
README_EXAMPLE = "hardpin check --exit-zero fixtures/example/"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdist and wheel built from a copy of the repository's files (the wheel from the
    unpacked sdist, as `python -m build` does), with the build backend of this venv."""
    env = offline_pip_env()
    tmp = tmp_path_factory.mktemp("dist")
    src = snapshot(tmp / "src")
    out = tmp / "dist"
    r = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return out


def _one(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def _package_files() -> set[str]:
    """src/hardpin's files that belong in the package, relative to src/."""
    return {
        p.removeprefix("src/")
        for p in source_files()
        if p.startswith("src/hardpin/") and (p.endswith(".py") or p.endswith("/py.typed"))
    }


def test_sdist_holds_the_sources_the_wheel_is_built_from(dist: Path) -> None:
    version = PYPROJECT["project"]["version"]
    sdist = _one(dist, f"hardpin-{version}.tar.gz")
    with tarfile.open(sdist) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "PKG-INFO"} <= names
    missing = {f"src/{p}" for p in _package_files()} - names
    assert not missing, f"sdist lacks {sorted(missing)}"


def test_wheel_holds_every_module_and_declares_the_dependencies(dist: Path) -> None:
    version = PYPROJECT["project"]["version"]
    wheel = _one(dist, f"hardpin-{version}-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        info = f"hardpin-{version}.dist-info"
        meta = email.parser.Parser().parsestr(zf.read(f"{info}/METADATA").decode())
        entry_points = zf.read(f"{info}/entry_points.txt").decode()
    package = _package_files()
    assert package, "no package files found"
    assert package <= names, f"wheel lacks {sorted(package - names)}"
    # nothing but the package and its metadata
    assert all(n.startswith(("hardpin/", f"{info}/")) for n in names), sorted(names)
    assert meta["Name"] == "hardpin"
    assert meta["Version"] == version
    assert meta["Requires-Python"] == PYPROJECT["project"]["requires-python"]
    runtime = [
        r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r.replace("'", '"')
    ]
    assert sorted(str(Requirement(r)) for r in runtime) == sorted(
        str(Requirement(r)) for r in PYPROJECT["project"]["dependencies"]
    )
    assert not any(r.lower().startswith("tomli") for r in runtime)
    assert re.search(r"^hardpin\s*=\s*hardpin\.cli:main$", entry_points, re.M), entry_points


def test_wheel_in_a_fresh_venv_runs_the_readme_example(dist: Path, tmp_path: Path) -> None:
    assert README_EXAMPLE in (ROOT / "README.md").read_text(encoding="utf-8")
    env = offline_pip_env(NO_COLOR="1", HARDPIN_OFFLINE="1")
    venv = tmp_path / "venv"
    # an empty venv; this venv's pip installs into it (`pip --python`), which saves the
    # seconds ensurepip takes
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=env, timeout=120
    )
    py = venv_bin(venv, "python")
    wheel = _one(dist, "hardpin-*.whl")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "-q",
            "--no-compile",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]

    # the installed package, not the work tree's sources
    r = subprocess.run(
        [str(py), "-c", "import hardpin; print(hardpin.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert Path(r.stdout.strip()).resolve().is_relative_to(venv.resolve())

    exe = str(venv_bin(venv, "hardpin"))
    r = subprocess.run([exe, "--version"], capture_output=True, text=True, env=env)
    assert (r.returncode, r.stdout.strip()) == (0, f"hardpin {hardpin.__version__}")

    # the README's command, from the repository root
    r = subprocess.run(
        [exe, *README_EXAMPLE.split()[1:]], cwd=ROOT, capture_output=True, text=True, env=env
    )
    assert r.returncode == 0, r.stderr
    assert "fixtures/example/Dockerfile:" in r.stdout
    assert re.search(r"^Found \d+ findings", r.stdout, re.M), r.stdout[-2000:]

    # and exactly the example's expected findings, in its own work tree
    example = tmp_path / "example"
    shutil.copytree(FIXTURES / "example", example)
    subprocess.run(["git", "init", "-q", str(example)], check=True)
    r = subprocess.run(
        [exe, "check", "--format", "json", "."],
        cwd=example,
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 1, r.stderr
    found = [[f["path"], f["code"], f["line"]] for f in json.loads(r.stdout)["findings"]]
    expected = json.loads((FIXTURES / "example.expected.json").read_text(encoding="utf-8"))
    assert found == expected
