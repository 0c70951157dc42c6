"""Robustness over the shared corpus of real Dockerfiles: no traceback, HP001 with a line, idempotent fixes."""

from __future__ import annotations

import os

import pytest

from hardpin.engine import encode, lint_text, read_text
from hardpin.fixer import converge
from hardpin.settings import Settings

from conftest import CORPUS

DOCKERFILES = CORPUS / "dockerfiles"
pytestmark = pytest.mark.skipif(not DOCKERFILES.is_dir(), reason="../shared/corpus is absent")


def corpus_files() -> list[str]:
    out = []
    for d, _dirs, files in os.walk(DOCKERFILES):
        out.extend(os.path.join(d, f) for f in files)
    return sorted(out)


def test_every_corpus_dockerfile_lints_or_gets_hp001_with_a_line() -> None:
    settings = Settings(allowed_registries=("docker.io",))
    files = corpus_files()
    assert len(files) > 1000
    hp001 = 0
    for path in files:
        text = read_text(path)
        findings = lint_text(path, "dockerfile", text, settings)
        for f in findings:
            assert 1 <= f.line <= max(1, text.count("\n") + 1), (path, f)
            assert f.column >= 1 and (f.end_line, f.end_column) >= (f.line, f.column), (path, f)
            assert "\n" not in f.message, (path, f)
        hp001 += any(f.code == "HP001" for f in findings)
    # the corpus holds deliberately invalid files (moby's negative tests, templates)
    assert 0 < hp001 < len(files) // 20


def test_fix_is_idempotent_and_byte_preserving_over_the_corpus() -> None:
    settings = Settings()
    changed = 0
    for path in corpus_files():
        text = read_text(path)

        def lint(t: str, path: str = path):
            return lint_text(path, "dockerfile", t, settings)

        for unsafe in (False, True):
            fixed, n, _ = converge(text, lint, unsafe)
            again, n2, _ = converge(fixed, lint, unsafe)
            assert again == fixed and n2 == 0, path
            # bytes survive the round trip, including invalid UTF-8
            assert encode(text) == open(path, "rb").read()
            if fixed != text:
                changed += 1
                _assert_only_edited_spans_changed(text, fixed, path)
    assert changed > 50


def _assert_only_edited_spans_changed(old: str, new: str, path: str) -> None:
    """Line structure and every untouched token survive byte for byte.

    The offline fixes today are ADD -> COPY (HP402) and an npm install subcommand -> ci (HP204).
    """
    import re

    from hardpin.rules.hp204 import NPM_INSTALL

    allowed = {("ADD", "COPY"), ("add", "copy"), ("Add", "Copy")} | {(w, "ci") for w in NPM_INSTALL}
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    assert len(a) == len(b), path
    for x, y in zip(a, b):
        if x == y:
            continue
        tx, ty = re.split(r"(\W+)", x), re.split(r"(\W+)", y)
        assert len(tx) == len(ty), (path, x, y)
        changed = [(p, q) for p, q in zip(tx, ty) if p != q]
        assert changed and all(c in allowed for c in changed), (path, x, y)
