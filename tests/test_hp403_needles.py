"""HP403's token formats skip a value holding none of a format's texts without running
(or compiling) its pattern: every match contains one of them."""

from __future__ import annotations

import random

from hardpin.rules.hp403 import _TOKEN_FORMATS, secret_kind

TOKENS = [
    "ghp_" + "a1" * 18,
    "gho_" + "Z" * 40,
    "github_pat_" + "x_" * 20,
    "AKIA" + "ABCDEFGHIJ012345",
    "ASIA" + "0123456789ABCDEF",
    "glpat-" + "ab_-" * 5,
    "xoxb-" + "12345-abcde",
    "sk_live_" + "a" * 16,
    "rk_live_" + "0" * 20,
    "AIza" + "B" * 35,
    "npm_" + "c" * 36,
    "pypi-AgE" + "d" * 50,
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----",
    "https://user:secret@example.com/",
    "git+ssh://me:pa55word@host/x",
]
PIECES = [
    "g",
    "h",
    "gh",
    "p_",
    "_",
    "-",
    "AKI",
    "A",
    "SIA",
    "glpat",
    "xo",
    "x",
    "k_live",
    "AIz",
    "a",
    "npm",
    "pypi-Ag",
    "E",
    "-----BEGIN",
    " ",
    "PRIVATE KEY-----",
    ":/",
    "/",
    ":",
    "@",
    "user",
    "0123456789",
    "Z" * 20,
    "$",
    "é",
]


def test_every_match_contains_a_needle() -> None:
    rng = random.Random(403)
    texts = list(TOKENS)
    for _ in range(5000):
        parts = [rng.choice(PIECES + TOKENS[:3]) for _ in range(rng.randint(1, 8))]
        texts.append("".join(parts))
    for t in TOKENS:  # tokens cut, joined and framed
        texts += [t[:-1], t[1:], "x" + t, t + "!", f"A={t}", t.lower(), t.upper()]
    matched = 0
    for text in texts:
        for what, needles, pat in _TOKEN_FORMATS:
            if pat.search(text):
                matched += 1
                assert any(n in text for n in needles), (what, text)
    assert matched >= len(TOKENS)


def test_each_token_format_is_still_found() -> None:
    for token in TOKENS:
        assert secret_kind("PLAIN", token) is not None, token
    assert secret_kind("PLAIN", "nothing to see here") is None
