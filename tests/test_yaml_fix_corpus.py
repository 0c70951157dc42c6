"""`--fix` over the corpus workflows, Kubernetes manifests and compose files with an
answerer that answers every lookup: only pinned values change, byte for byte
everywhere else, and a second run changes nothing.

The network layer is replaced by an in-process answerer that derives every answer from
its key (a digest from the image name, a commit SHA from repository and ref), so each
value written says which question it answered; the real registry and git are tested in
test_yaml_images_e2e and test_git_pinning.
"""

from __future__ import annotations

import difflib
import hashlib
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, requires_corpus

from hardpin.engine import NetworkOptions, RunRequest, is_internal_error, run
from hardpin.model import Finding, GitRefKey, ImageKey, PendingKey

pytestmark = [
    requires_corpus("workflows"),
    requires_corpus("k8s"),
    requires_corpus("compose"),
]


class Answerer:
    """Stands in for `online.resolve.Online`, answering from the key alone."""

    values: dict[str, str] = {}  # value written -> the question it answers

    def __init__(self, options: Any) -> None:
        self.requests = 0
        self.cache = type("Cache", (), {"hits": 0})()

    def answer(
        self, keys: Iterable[PendingKey], on_answer: Callable[[int, int], None] | None = None
    ) -> dict[PendingKey, tuple[str, ...] | str]:
        out: dict[PendingKey, tuple[str, ...] | str] = {}
        for key in dict.fromkeys(keys):
            if isinstance(key, ImageKey):
                d = "sha256:" + hashlib.sha256(key.name.encode()).hexdigest()
                self.values[d] = key.name
                out[key] = (d,)
            elif isinstance(key, GitRefKey):
                sha = hashlib.sha1(f"{key.url}@{key.ref}".encode()).hexdigest()
                self.values[sha] = f"{key.url}@{key.ref}"
                out[key] = (sha, f"{key.ref}.0.0") if key.comment else (sha,)
            else:
                out[key] = "not answered in this test"
        return out


def _files() -> list[Path]:
    return sorted(p for d in ("workflows", "k8s", "compose") for p in (CORPUS / d).iterdir())


def _fix(path: Path, cache: Path) -> tuple[list[Finding], list[Finding], int, str]:
    net = NetworkOptions(offline=True, cache_dir=str(cache))
    result = run(RunRequest(paths=(str(path),), fix=True, network=net))
    assert not result.write_errors, result.write_errors
    [r] = result.files
    return r.first, r.findings, r.fixes, path.read_bytes().decode("utf-8", "surrogateescape")


def _changed_spans(before: str, after: str) -> list[tuple[int, int, str]]:
    """(start, end) in `before` and the text that replaced it, for every change."""
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    starts_a = [0]
    for line in a:
        starts_a.append(starts_a[-1] + len(line))
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        old, new = "".join(a[i1:i2]), "".join(b[j1:j2])
        base = starts_a[i1]
        sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for t, k1, k2, m1, m2 in sm.get_opcodes():
            if t != "equal":
                out.append((base + k1, base + k2, new[m1:m2]))
    return out


@pytest.fixture
def answerer(monkeypatch: pytest.MonkeyPatch) -> type[Answerer]:
    from hardpin.online import resolve

    monkeypatch.setattr(resolve, "Online", Answerer)
    monkeypatch.setattr(Answerer, "values", {})
    return Answerer


def test_fix_changes_only_pinned_values_and_converges(
    tmp_path: Path, answerer: type[Answerer]
) -> None:
    files = _files()
    assert len(files) > 1000
    fixed_files = changes = 0
    for src in files:
        work = tmp_path / src.parent.name
        work.mkdir(exist_ok=True)
        path = work / src.name
        shutil.copyfile(src, path)
        before = src.read_bytes().decode("utf-8", "surrogateescape")
        first, after_findings, n, after = _fix(path, tmp_path / "cache")
        assert not [f for f in first + after_findings if is_internal_error(f)], src.name
        hp001 = sum(f.code == "HP001" for f in first)
        assert sum(f.code == "HP001" for f in after_findings) <= hp001, src.name
        if n == 0:
            assert after == before, src.name
            continue
        fixed_files += 1
        spans = [(f.pending.start, f.pending.end) for f in first if f.pending is not None]
        for start, end, new in _changed_spans(before, after):
            changes += 1
            # inside (or at the edge of) the span a lookup's answer was meant for
            assert any(a <= start and end <= b for a, b in spans), (src.name, start, new)
        # everything that could be pinned is: no fixable HP5xx finding is left
        left = [f for f in after_findings if f.pending is not None and f.code.startswith("HP5")]
        assert not left, (src.name, [(f.code, f.line, f.message) for f in left])
        # a second run changes nothing
        _first2, _after2, n2, again = _fix(path, tmp_path / "cache")
        assert n2 == 0 and again == after, src.name
    assert fixed_files > 300 and changes > 1000
