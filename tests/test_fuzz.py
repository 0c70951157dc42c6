"""Mutation fuzzing over the shared corpus: hostile variants of real files never crash
hardpin, a fix never makes a file unparsable, and a second fix changes nothing.

Inputs are real Dockerfiles and requirements files from ../shared/corpus, mutated by a
seeded generator (byte flips, line duplication and deletion, splicing with another
file, special characters, deep nesting). The run is bounded in time
(HARDPIN_FUZZ_SECONDS, default 30) and deterministic for a seed (HARDPIN_FUZZ_SEED;
the seed is printed, so a failure can be replayed). The corpus is required in CI.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
from conftest import CORPUS, in_ci, requires_corpus

from hardpin.engine import lint_text
from hardpin.fixer import converge
from hardpin.model import Finding
from hardpin.settings import Settings

DEFAULT_SEED = 20261202
SECONDS = float(os.environ.get("HARDPIN_FUZZ_SECONDS", "30"))

pytestmark = [requires_corpus("dockerfiles"), requires_corpus("requirements")]

# characters that once crashed a lexer or that mean something to one
SPECIALS = [
    "\u00a0", "\f", "\v", "\x00", "\x1b]0;x\x07", "\x1b[31m", "\x85", "\u2028", "\ufeff",
    "\r", "\r\n", "\\", "\\\n", "`", '"', "'", "$", "$(", "${", "${A:-", "}", ")", "(",
    "<<EOF\n", "<<-EOF\n", "\nEOF\n", "#", "# hardpin: ignore=HP101\n", "&&", "|", ";",
    "\t", " --hash=sha256:", " \\\n    --hash=sha256:", "-r ", "-c ", "-e ", "@", "==",
    "# escape=`\n", "# syntax=x\n", "ONBUILD ", "FROM ", "RUN ", "ARG A=", "[\"", "\"]",
    "\udcff", "=", "--platform=$A ", "AS ", "--mount=type=cache,from=",
]  # fmt: skip


def _files(kind: str) -> list[Path]:
    root = CORPUS / kind
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "surrogateescape")


def _nesting(rng: random.Random) -> str:
    depth = rng.choice([50, 99, 101, 150, 600])
    opener, closer = rng.choice(
        [
            ("$(", ")"),
            ("(", ")"),
            ('"$(', ')"'),
            ("${A:-", "}"),
            ("`", "`"),
            ("<(", ")"),
            ("[", "]"),
            ('["', '"]'),
        ]  # fmt: skip
    )
    return "echo " + opener * depth + "x" + closer * depth


def mutate(text: str, donors: list[str], rng: random.Random) -> str:
    """One to four random mutations of `text`."""
    for _ in range(rng.randint(1, 4)):
        lines = text.splitlines(keepends=True) or [""]
        op = rng.randrange(7)
        i = rng.randrange(len(lines))
        if op == 0 and text:  # flip a byte
            data = bytearray(text.encode("utf-8", "surrogateescape"))
            k = rng.randrange(len(data))
            data[k] ^= 1 << rng.randrange(8)
            text = data.decode("utf-8", "surrogateescape")
            continue
        if op == 1:  # duplicate lines
            j = min(len(lines), i + rng.randint(1, 5))
            lines[i:i] = lines[i:j] * rng.randint(1, 3)
        elif op == 2 and len(lines) > 1:  # delete lines
            del lines[i : i + rng.randint(1, 3)]
        elif op == 3:  # splice in a piece of another file
            other = rng.choice(donors).splitlines(keepends=True) or [""]
            a = rng.randrange(len(other))
            lines[i:i] = other[a : a + rng.randint(1, 8)]
        elif op in (4, 5):  # special characters inside a line
            line = lines[i]
            k = rng.randint(0, len(line))
            lines[i] = line[:k] + rng.choice(SPECIALS) * rng.choice([1, 1, 2, 7]) + line[k:]
        else:  # deep nesting, in a RUN or a FROM
            prefix = rng.choice(["RUN ", "FROM ", "ARG A=", "", "RUN <<EOF\n", "SHELL ", "CMD "])
            lines[i:i] = [prefix + _nesting(rng) + "\n"]
        text = "".join(lines)
    return text


def _hp001(findings: list[Finding]) -> int:
    return sum(f.code == "HP001" for f in findings)


def _check(name: str, kind: str, text: str, settings: Settings) -> None:
    def lint(t: str) -> list[Finding]:
        return lint_text(name, kind, t, settings, base_dir=None)

    first = lint(text)
    count = max(1, text.count("\n") + 1)
    for f in first:
        assert 1 <= f.line <= count and f.column >= 1, f
    for unsafe in (False, True):
        fixed, _, after = converge(text, lint, unsafe, first)
        assert _hp001(after) <= _hp001(first), "a fix made the file unparsable"
        again, n, _ = converge(fixed, lint, unsafe)
        assert n == 0 and again == fixed, "a second fix changed the file"


def test_mutated_corpus_files_never_crash_and_fixes_converge() -> None:
    dockerfiles = [_read(p) for p in _files("dockerfiles")]
    requirements = [_read(p) for p in _files("requirements")]
    if in_ci():
        assert dockerfiles and requirements, "the corpus is required in CI (../shared/corpus)"
    seed = int(os.environ.get("HARDPIN_FUZZ_SEED", DEFAULT_SEED))
    rng = random.Random(seed)
    settings = Settings(allowed_registries=("docker.io",))
    print(f"\nfuzz seed {seed} (HARDPIN_FUZZ_SEED={seed} replays it)")
    deadline = time.monotonic() + SECONDS
    runs = 0
    slowest = (0.0, "")
    while time.monotonic() < deadline:
        which = rng.random()
        if which < 0.55:
            kind, pool, name = "dockerfile", dockerfiles, "Dockerfile"
        elif which < 0.9:
            kind, pool, name = "requirements", requirements, "requirements.txt"
        else:  # the shell lexer on its own, over Dockerfile text
            kind, pool, name = "shell", dockerfiles, "script.sh"
        index = rng.randrange(len(pool))
        text = mutate(pool[index], pool, rng)
        t0 = time.monotonic()
        try:
            _check(name, kind, text, settings)
        except Exception as exc:
            raise AssertionError(
                f"fuzz input #{runs} (seed {seed}, {kind} #{index}) failed: "
                f"{type(exc).__name__}: {exc}\n--- input ---\n{text!r}"
            ) from exc
        took = time.monotonic() - t0
        if took > slowest[0]:
            slowest = (took, f"{kind} #{index}")
        runs += 1
    print(f"fuzz: {runs} inputs in {SECONDS:.0f} s, slowest {slowest[0]:.3f} s ({slowest[1]})")
    assert runs > 100
    assert slowest[0] < 10, f"one input took {slowest[0]:.1f} s: {slowest[1]}"
