"""hardpin._lazy: patterns compiled on first use, through a cache of compiled programs
kept between runs; a cached pattern is the pattern re.compile makes."""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

import hardpin
from hardpin import _lazy


def every_lazy_pattern() -> list[tuple[str, int]]:
    found = set()
    for info in pkgutil.walk_packages(hardpin.__path__, "hardpin."):
        if ".online" in info.name or info.name.endswith("__main__"):
            continue
        mod = importlib.import_module(info.name)
        for value in vars(mod).values():
            if isinstance(value, _lazy.LazyRe):
                found.add(value._args)
    return sorted(found)


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("HARDPIN_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("HARDPIN_REGEX_CACHE", raising=False)
    monkeypatch.setattr(_lazy, "_cache", None)
    monkeypatch.setattr(_lazy, "_new", 0)
    return tmp_path


def test_every_pattern_from_the_cache_is_re_compiles(fresh: Path) -> None:
    patterns = every_lazy_pattern()
    assert len(patterns) > 50
    extra = [(r"(?P<a>x)(?:y)|(z)", 0), (r"\bA\b", re.I | re.M), (r"[^\s]+", re.S)]
    built = {p: _lazy.compile_cached(*p) for p in patterns + extra}
    for (pattern, flags), compiled in built.items():
        assert compiled == re.compile(pattern, flags), pattern
    _lazy._save()
    files = list(fresh.glob("regex-*.marshal"))
    assert len(files) == 1
    # a new run reads the programs back instead of compiling
    _lazy._cache, _lazy._new = None, 0
    for (pattern, flags), compiled in built.items():
        again = _lazy.compile_cached(pattern, flags)
        assert again == compiled == re.compile(pattern, flags), pattern
        assert again.groupindex == compiled.groupindex and again.groups == compiled.groups
    assert _lazy._new == 0
    m = _lazy.compile_cached(r"(?P<a>x)(?:y)|(z)").match("xy")
    assert m is not None and m.group("a") == "x" and m.span() == (0, 2)


def test_a_damaged_file_or_entry_is_compiled_again(fresh: Path) -> None:
    _lazy.compile_cached(r"a+b")
    _lazy._save()
    (path,) = fresh.glob("regex-*.marshal")
    path.write_bytes(b"\x00garbage")
    _lazy._cache, _lazy._new = None, 0
    assert _lazy.compile_cached(r"a+b").fullmatch("aab")
    # an entry whose program the engine refuses
    _lazy._cache[(r"c+", 0)] = (32, [1, 2, 3], 0, {}, (None,))  # type: ignore[index]
    assert _lazy.compile_cached(r"c+").fullmatch("ccc")
    with pytest.raises(re.error):
        _lazy.compile_cached(r"(unclosed")


def test_no_file_when_turned_off_or_unwritable(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARDPIN_REGEX_CACHE", "0")
    assert _lazy.compile_cached(r"x{2}").fullmatch("xx")
    _lazy._save()
    assert list(fresh.iterdir()) == []
    monkeypatch.delenv("HARDPIN_REGEX_CACHE")
    blocker = fresh / "file"
    blocker.write_text("")
    monkeypatch.setenv("HARDPIN_CACHE_DIR", str(blocker / "below"))
    _lazy._save()  # cannot create the directory: silently nothing


def test_the_second_check_compiles_no_lazy_pattern(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        'FROM python:3.12\nENV A="b c"\nRUN pip install flask && curl -k https://x | sh\n'
    )
    probe = (
        "import sys\n"
        "sys.argv = ['hardpin', 'check', '--exit-zero', 'Dockerfile']\n"
        "from hardpin.cli import main\n"
        "main()\n"
        "from hardpin import _lazy\n"
        "print('NEW', _lazy._new)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HARDPIN_CACHE_DIR": str(tmp_path / "c")}
    env.pop("HARDPIN_REGEX_CACHE", None)
    outs = []
    for _ in range(2):
        p = subprocess.run(
            [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert p.returncode == 0, p.stderr
        outs.append(p.stdout)
    first, second = (o.rsplit("NEW", 1) for o in outs)
    assert first[0] == second[0]  # the same findings
    assert int(first[1]) > 10 and int(second[1]) == 0
