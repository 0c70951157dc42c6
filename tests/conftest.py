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
# the shared corpus of real files (HARDPIN_TEST_CORPUS points elsewhere, e.g. in a test
# of `requires_corpus` itself)
CORPUS = Path(os.environ.get("HARDPIN_TEST_CORPUS") or ROOT.parent / "shared" / "corpus")


def in_ci() -> bool:
    """Whether the tests run in CI (`CI=true`), where nothing they need may be missing."""
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def requires_corpus(*parts: str) -> pytest.MarkDecorator:
    """Mark a test (or a module, as `pytestmark`) that needs `CORPUS/<parts>`: without it
    the test is skipped, and under `CI=true` it fails instead (a CI run that silently
    skipped the corpus tests would look green while testing nothing)."""
    return pytest.mark.requires_corpus(*parts)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requires_corpus(*parts): needs the shared corpus (fails under CI=true)"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("requires_corpus"):
        path = CORPUS.joinpath(*mark.args)
        if path.is_dir():
            continue
        if in_ci():
            pytest.fail(f"{path} is absent, and CI=true: the corpus tests must run", pytrace=False)
        pytest.skip(f"{path} is absent")


# The proxy variables hardpin reads: unset for every test, so that a developer's or CI's
# proxy never carries a test's loopback requests (tests/test_proxy.py sets them itself).
PROXY_VARIABLES = tuple(
    v
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")
    for v in (name, name.lower())
)


@pytest.fixture(autouse=True)
def _no_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


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
