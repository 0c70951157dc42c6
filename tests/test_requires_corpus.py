"""`requires_corpus`: a test that needs the shared corpus skips without it, and fails
under CI=true, where a silent skip would make a green run that tested nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, requires_corpus

TINY = """\
from conftest import requires_corpus

pytestmark = requires_corpus("dockerfiles")


def test_needs_the_corpus():
    pass
"""


def _run(tmp_path: Path, corpus: Path, ci: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_tiny.py").write_text(TINY)
    env = {
        **os.environ,
        "CI": ci,
        "HARDPIN_TEST_CORPUS": str(corpus),
        "PYTHONPATH": str(ROOT / "tests"),
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-rA"]
        + ["--rootdir", str(tmp_path), str(tmp_path / "test_tiny.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_a_missing_corpus_fails_under_ci(tmp_path: Path) -> None:
    missing = tmp_path / "no-corpus"
    r = _run(tmp_path, missing, "true")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 error" in r.stdout
    assert f"{missing / 'dockerfiles'} is absent, and CI=true" in r.stdout


def test_a_missing_corpus_skips_outside_ci(tmp_path: Path) -> None:
    r = _run(tmp_path, tmp_path / "no-corpus", "")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 skipped" in r.stdout


def test_a_present_corpus_runs_the_test(tmp_path: Path) -> None:
    (tmp_path / "corpus" / "dockerfiles").mkdir(parents=True)
    r = _run(tmp_path, tmp_path / "corpus", "true")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 passed" in r.stdout


def test_no_test_skips_the_corpus_on_its_own() -> None:
    """Every test that needs the corpus goes through `requires_corpus`."""
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        text = path.read_text()
        if "CORPUS" not in text or path.name == "test_requires_corpus.py":
            continue
        assert "requires_corpus(" in text, path.name
        assert "corpus is absent" not in text, path.name


@requires_corpus("dockerfiles")
def test_the_marker_lets_a_test_run_with_the_corpus() -> None:
    assert (CORPUS / "dockerfiles").is_dir()


def test_ci_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import in_ci

    for value, expect in (("true", True), ("1", True), ("TRUE", True), ("", False), ("0", False)):
        monkeypatch.setenv("CI", value)
        assert in_ci() is expect, value
