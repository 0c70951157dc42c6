"""hardpin's own dequoting of ENV/ARG/LABEL values against dockerfile-parse's
`WordSplitter.dequote`, the reference it replaces at run time."""

from __future__ import annotations

import itertools
import os
import random

import pytest
from conftest import CORPUS, requires_corpus

from hardpin.model import Source
from hardpin.parsers.dockerfile import ParseError, dequote, parse

WordSplitter = pytest.importorskip("dockerfile_parse.util").WordSplitter


def reference(raw: str) -> str:
    return str(WordSplitter(raw).dequote())


def test_documented_cases() -> None:
    cases = {
        "": "",
        "plain": "plain",
        '"a b"': "a b",
        "'a b'": "a b",
        r"a\ b": "a b",
        r'"a\"b"': 'a"b',
        r'"a\nb"': r"a\nb",  # inside double quotes only \" is an escape
        r"'a\'": "a\\",  # inside single quotes nothing is
        r'"\\"': "\\\\",
        '"unterminated': "unterminated",
        "trailing\\": "trailing",
        """'it'"'"'s'""": "it's",
        '"$HOME"/x': "$HOME/x",
    }
    for raw, want in cases.items():
        assert dequote(raw) == want, raw
        assert reference(raw) == want, raw


def test_every_short_string_over_the_special_characters() -> None:
    alphabet = "a \"'\\$\t"
    n = 0
    for length in range(7):
        for chars in itertools.product(alphabet, repeat=length):
            raw = "".join(chars)
            assert dequote(raw) == reference(raw), repr(raw)
            n += 1
    assert n > 100_000


def test_random_longer_strings() -> None:
    rng = random.Random(20261202)
    alphabet = "ab =\"'\\$\n\t{}é\udcff#"
    for _ in range(20_000):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 40)))
        assert dequote(raw) == reference(raw), repr(raw)


@requires_corpus("dockerfiles")
def test_every_env_arg_and_label_text_of_the_corpus() -> None:
    seen: set[str] = set()
    for path in sorted((CORPUS / "dockerfiles").rglob("*")):
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        try:
            doc = parse(Source(str(path), text))
        except ParseError:
            continue
        for ins in doc.instructions:
            if ins.keyword not in ("ENV", "ARG", "LABEL"):
                continue
            seen.add(ins.args)
            for w in ins.words():
                seen.add(w.raw)
                seen.update(w.raw.partition("="))
    assert len(seen) > 5_000
    for raw in seen:
        assert dequote(raw) == reference(raw), repr(raw)
