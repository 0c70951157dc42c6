"""discovery.discover_files: the str form of discover(), spelled and ordered as pathlib
spells and orders paths, without importing pathlib."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
from conftest import ROOT

from hardpin.discovery import discover, discover_files, path_form
from hardpin.settings import Settings

posix_only = pytest.mark.skipif(os.sep != "/", reason="POSIX spelling")


@posix_only
def test_path_form_spells_and_orders_like_pathlib() -> None:
    pieces = ["", "/", "//", ".", "..", "a", "a-c", "a.b", "B", "é", " "]
    samples = {"".join(c) for n in range(5) for c in itertools.product(pieces, repeat=n)}
    samples |= {"///x", "////", "a/", "a//b/./c/", "./", "./x", "x/.", "/..", "//a/b"}
    forms = {}
    for s in samples:
        text, key = path_form(s)
        assert text == str(PurePosixPath(s)), repr(s)
        forms[s] = key
    for a, b in itertools.combinations(sorted(samples)[:400], 2):
        pa, pb = PurePosixPath(a), PurePosixPath(b)
        assert (forms[a] < forms[b]) == (pa < pb), (a, b)
        assert (forms[a] == forms[b]) == (pa == pb), (a, b)


def test_discover_files_is_discover_with_strings(tmp_path: Path) -> None:
    for rel in ("a-c/Dockerfile", "a/b/Dockerfile", "a/requirements.txt", "a.b/Dockerfile",
                "Dockerfile", "B/x.sh", "vendor/Dockerfile"):  # fmt: skip
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("FROM x\n" if "Docker" in rel else "echo\n")
    seen: list[object] = []

    def sf(p: object) -> Settings:
        seen.append(p)
        return Settings(root=str(tmp_path))

    old = discover([tmp_path, tmp_path / "a" / "b" / "Dockerfile"], settings_for=sf)
    old_seen = [str(p) for p in seen]
    seen.clear()
    new = discover_files(
        [str(tmp_path) + "//", str(tmp_path / "a" / "b" / "Dockerfile")], settings_for=sf
    )
    assert [(str(p), k) for p, k in old] == new
    assert all(isinstance(p, str) for p in seen) and seen == old_seen
    assert [os.path.relpath(p, tmp_path) for p, _k in new][:4] == [
        "B/x.sh",
        "Dockerfile",
        "a/b/Dockerfile",
        "a/requirements.txt",
    ]


def test_a_named_file_is_found_without_pathlib(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    probe = (
        "import sys\n"
        "from hardpin.discovery import discover_files\n"
        "from hardpin.settings import settings_for\n"
        "print(discover_files(['./Dockerfile'], settings_for=settings_for))\n"
        "print('pathlib' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    p = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["[('Dockerfile',", "'dockerfile')]", "False"]
