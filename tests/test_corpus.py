"""Robustness over the shared corpus of real Dockerfiles and requirements files: no traceback, HP001 with a line, idempotent fixes."""

from __future__ import annotations

import os

import pytest
from conftest import CORPUS, requires_corpus

from hardpin.engine import encode, lint_text, read_text
from hardpin.fixer import converge
from hardpin.settings import Settings

DOCKERFILES = CORPUS / "dockerfiles"
pytestmark = requires_corpus("dockerfiles")


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


REQUIREMENTS = CORPUS / "requirements"


@requires_corpus("requirements")
def test_every_corpus_requirements_file_lints_with_findings_in_range() -> None:
    settings = Settings()
    files = sorted(str(p) for p in REQUIREMENTS.iterdir() if p.is_file())
    assert len(files) > 700
    codes: dict[str, int] = {}
    for path in files:
        text = read_text(path)
        findings = lint_text(path, "requirements", text, settings)
        for f in findings:
            assert 1 <= f.line <= max(1, text.count("\n") + 1), (path, f)
            assert f.column >= 1 and (f.end_line, f.end_column) >= (f.line, f.column), (path, f)
            assert "\n" not in f.message, (path, f)
            codes[f.code] = codes.get(f.code, 0) + 1
    # the corpus holds deliberately invalid files (parser test data of other tools)
    assert set(codes) <= {"HP001", "HP002", "HP301", "HP302", "HP303", "HP304", "HP305", "HP306"}
    assert codes["HP302"] > codes["HP301"] > codes["HP001"] > 0


@requires_corpus("requirements")
def test_pending_hash_fixes_over_the_corpus_add_hashes_and_nothing_else() -> None:
    """Answer every pending hash fix with made-up digests: the file must parse to the same
    requirements, each fixed one now carrying exactly those hashes, and pip's hash
    checking must accept the file as a whole (no HP303)."""
    from hardpin.parsers.requirements import parse

    settings = Settings()
    digest = "sha256:" + "ab" * 32
    fixed_files = 0
    for path in sorted(str(p) for p in REQUIREMENTS.iterdir() if p.is_file()):
        text = read_text(path)
        pending = [f.pending for f in lint_text(path, "requirements", text, settings) if f.pending]
        if not pending:
            continue
        before = parse(text, strict=False)
        new = text
        for p in sorted(pending, key=lambda p: p.start, reverse=True):
            e = p.edit((digest,))
            new = new[: e.start] + e.text + new[e.end :]
        after = parse(new, strict=False)
        assert [r.text for r in after.requirements] == [r.text for r in before.requirements], path
        assert len(after.errors) == len(before.errors), path
        starts = {p.start for p in pending}
        for b, a in zip(before.requirements, after.requirements):
            want = [h.digest for h in b.hashes] + (["ab" * 32] if b.end in starts else [])
            assert sorted(h.digest for h in a.hashes) == sorted(want), (path, b.text)
        # hashes are offered only for a file that then passes pip's hash checking whole
        hp303 = [f for f in lint_text(path, "requirements", new, settings) if f.code == "HP303"]
        assert hp303 == [], (path, hp303[:1])
        fixed_files += 1
    # 377 of 733 files; the other files pinned by hand would be left half hashed (an
    # unpinned, editable or VCS requirement, an include that cannot be read)
    assert fixed_files > 350


def test_digest_pins_over_the_corpus_insert_the_digest_and_nothing_else() -> None:
    """Answer every pending HP101 pin with one made-up digest: each edit inserts
    `@digest` (`:latest@digest` for a tagless image) or replaces a malformed digest;
    the fixed file is the original with exactly those edits, every pinnable site ends
    up pinned, and a second pass changes nothing."""
    import re

    from hardpin.engine import complete

    settings = Settings(select=("HP101",))
    digest = "sha256:" + "cd" * 32
    malformed = re.compile(r"[A-Za-z0-9]+:[0-9A-Za-z]*")
    pinned_files = sites = 0
    for path in corpus_files():
        text = read_text(path)
        first = lint_text(path, "dockerfile", text, settings)
        pending = {(p.start, p.end): p for p in (f.pending for f in first) if p is not None}
        if not pending:
            continue
        answers: dict = {p.key: (digest,) for p in pending.values()}
        expected = text
        for (start, end), p in sorted(pending.items(), reverse=True):
            e = p.edit((digest,))
            if start == end:
                assert e.text in ("@" + digest, ":latest@" + digest), (path, e.text)
            else:
                assert malformed.fullmatch(text[start:end]) and e.text == digest, (
                    path,
                    text[start:end],
                )
            expected = expected[:start] + e.text + expected[end:]

        def lint(t: str, path: str = path, answers: dict = answers) -> list:
            return complete(lint_text(path, "dockerfile", t, settings), answers)

        new, _n, left = converge(text, lint, False)
        assert new == expected, path
        assert [f for f in left if f.pending] == [], path
        again, m, _ = converge(new, lint, False)
        assert again == new and m == 0, path
        pinned_files += 1
        sites += len(pending)
    assert pinned_files > 1500 and sites > 3000
