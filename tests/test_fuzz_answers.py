"""The network fixes' plumbing under fuzzing: every digest and hash written lands on the
reference it was looked up for.

The network layer (`hardpin.online.resolve.Online`) is replaced by an in-process
answerer that answers every image and pip-hashes key with values derived from the key
(`sha256:` + sha256 of the lookup name), so each value written says which question it
answered. Real and mutated corpus files, and a few files built around ARGs shared by
several references, go through `engine.run` with `--fix`, exactly as `hardpin check
--fix` runs them; the fixed file is parsed again and every site that carries a derived
digest (every requirement that carries a derived hash) must be the very reference that
digest was derived for. The fixed file gets no new HP001 and a second run changes
nothing. The real registry and index are tested elsewhere (test_pinning_e2e,
test_requirements_fix_e2e).
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from conftest import requires_corpus
from test_fuzz import DEFAULT_SEED, _files, _read, mutate

from hardpin.analysis.dockerfile import image_sites, lookup_name
from hardpin.engine import NetworkOptions, RunRequest, is_internal_error, run
from hardpin.model import (
    Finding,
    ImageKey,
    PendingKey,
    PipHashesKey,
    Source,
)
from hardpin.parsers import dockerfile as dockerfile_parser
from hardpin.parsers import requirements as requirements_parser
from hardpin.urls import canonical_name

pytestmark = [requires_corpus("dockerfiles"), requires_corpus("requirements")]

SECONDS = float(os.environ.get("HARDPIN_FUZZ_SECONDS", "30")) / 2

# references that share ARGs: pinning the default for one use must not move another
SHARED_ARGS = [
    "ARG BASE=img:1\nFROM ${BASE} AS a\nFROM ${BASE}-slim\n",
    "ARG IMAGE=img\nFROM ${IMAGE} AS a\nFROM host/nodigest/${IMAGE}\n",
    "ARG IMAGE=img:2\nFROM ${IMAGE} AS a\nFROM $IMAGE AS b\nCOPY --from=${IMAGE} / /\n",
    "ARG B=alpine:3\nFROM ${B}\nARG B\nRUN echo $B\nLABEL from=${B}\n",
    "ARG B=alpine:3\nARG C=${B}\nFROM ${B} AS a\nFROM ${C}\n",
    "FROM alpine:3@sha256:abc\nARG T=busybox:1\nCOPY --from=${T} / /\nRUN echo ${T}\n",
    "ARG R=reg.example\nARG T=1\nFROM ${R}/img:${T}\nFROM img:${T}\n",
]


class DerivingAnswerer:
    """Stands in for `Online`: the same `answer()` interface, answering from the key alone."""

    digests: dict[str, str] = {}  # digest -> the lookup name it was derived from
    hashes: dict[str, tuple[str, str]] = {}  # hash -> (project, version)
    asked = 0

    def __init__(self, options: Any) -> None:
        self.requests = 0
        self.cache = type("Cache", (), {"hits": 0})()

    @classmethod
    def digest_for(cls, name: str) -> str:
        d = "sha256:" + hashlib.sha256(name.encode()).hexdigest()
        cls.digests[d] = name
        return d

    @classmethod
    def hashes_for(cls, project: str, version: str) -> tuple[str, ...]:
        out = []
        for i in range(2):
            h = "sha256:" + hashlib.sha256(f"{project}=={version}#{i}".encode()).hexdigest()
            cls.hashes[h] = (project, version)
            out.append(h)
        return tuple(sorted(out))

    def answer(
        self,
        keys: Iterable[PendingKey],
        on_answer: Callable[[int, int], None] | None = None,
    ) -> dict[PendingKey, tuple[str, ...] | str]:
        todo = list(dict.fromkeys(keys))
        out: dict[PendingKey, tuple[str, ...] | str] = {}
        for key in todo:
            type(self).asked += 1
            if isinstance(key, ImageKey):
                out[key] = (self.digest_for(key.name),)
            elif isinstance(key, PipHashesKey):
                out[key] = self.hashes_for(key.project, key.version)
            else:
                out[key] = "not answered in this test"
        return out


@pytest.fixture
def answerer(monkeypatch: pytest.MonkeyPatch) -> type[DerivingAnswerer]:
    from hardpin.online import resolve

    monkeypatch.setattr(resolve, "Online", DerivingAnswerer)
    monkeypatch.setattr(DerivingAnswerer, "digests", {})
    monkeypatch.setattr(DerivingAnswerer, "hashes", {})
    monkeypatch.setattr(DerivingAnswerer, "asked", 0)
    return DerivingAnswerer


def _hp001(findings: list[Finding]) -> int:
    return sum(f.code == "HP001" for f in findings)


def _fix(path: Path, cache: Path) -> tuple[list[Finding], list[Finding], int]:
    """`hardpin check --fix <path>`: (first findings, findings after, fixes applied)."""
    # offline: should the stand-in ever not be used, nothing reaches the network
    net = NetworkOptions(offline=True, cache_dir=str(cache))
    result = run(RunRequest(paths=(str(path),), fix=True, network=net))
    assert not result.write_errors, result.write_errors
    if not result.files:
        return [], [], 0  # not read (a mutation can make a file too large)
    [r] = result.files
    return r.first, r.findings, r.fixes


def _occurrences(text: str, values: Iterable[str]) -> list[tuple[int, str]]:
    out = []
    for v in values:
        hexpart = v.split(":", 1)[1]
        start = 0
        while (i := text.find(hexpart, start)) != -1:
            out.append((i, v))
            start = i + 1
    return out


def _check_dockerfile(before: str, text: str, digests: dict[str, str]) -> int:
    """Every site whose reference carries a derived digest is the reference it was derived
    for, and every derived digest in the text is read by such a site. Returns the number
    of sites checked."""
    written = [(o, d) for o, d in _occurrences(text, digests) if d not in before]
    if not written:
        return 0
    # as the engine reads it: an instruction that does not parse is left out
    df = dockerfile_parser.parse(Source("Dockerfile", text), strict=False)
    sites = image_sites(df)
    arg_spans: dict[str, list[tuple[int, int]]] = {}
    for a in [*df.global_args, *(a for st in df.stages for a in st.args)]:
        if a.value_start is not None and a.value_end is not None:
            arg_spans.setdefault(a.name, []).append((a.value_start, a.value_end))
    checked = 0
    for site in sites:
        carried = [d for d in digests if d.split(":", 1)[1] in site.expanded]
        if not carried:
            continue
        [d] = carried
        ref = site.ref
        assert ref is not None, f"{site.raw} -> {site.expanded!r} is no reference"
        assert ref.digest == d, (site.expanded, d)
        assert lookup_name(ref) == digests[d], (
            f"{site.raw} = {site.expanded} carries the digest of {digests[d]}"
        )
        checked += 1
    for offset, d in written:
        readers = [
            s
            for s in sites
            if s.ref is not None
            and s.ref.digest == d
            and (
                s.start <= offset < s.end
                or any(a <= offset < b for name in s.args_used for a, b in arg_spans.get(name, []))
            )
        ]
        assert readers, f"{d} (for {digests[d]}) written at {offset}, where no image is named"
    return checked


def _check_requirements(before: str, text: str, hashes: dict[str, tuple[str, str]]) -> int:
    written = [(o, h) for o, h in _occurrences(text, hashes) if h not in before]
    if not written:
        return 0
    parsed = requirements_parser.parse(text, strict=False)
    checked = 0
    spans = []
    for req in parsed.requirements:
        for h in req.hashes:
            key = f"{h.algorithm}:{h.digest}"
            if key not in hashes:
                continue
            project, version = hashes[key]
            assert req.name is not None and canonical_name(req.name) == project, (req.text, key)
            assert req.exact_version == version, (req.text, key)
            spans.append((h.start, h.end))
            checked += 1
    for offset, h in written:
        assert any(a <= offset < b for a, b in spans), f"{h} written outside a --hash option"
    return checked


@requires_corpus("dockerfiles")
def test_network_fixes_write_each_answer_on_the_reference_it_answers(
    answerer: type[DerivingAnswerer], tmp_path: Path
) -> None:
    dockerfiles = [_read(p) for p in _files("dockerfiles")]
    requirements = [_read(p) for p in _files("requirements")]
    seed = int(os.environ.get("HARDPIN_FUZZ_SEED", DEFAULT_SEED))
    rng = random.Random(seed)
    print(f"\nfuzz seed {seed} (HARDPIN_FUZZ_SEED={seed} replays it)")
    cache = tmp_path / "cache"
    work = tmp_path / "w"
    work.mkdir()
    inputs: list[tuple[str, str]] = [("Dockerfile", t) for t in SHARED_ARGS]
    deadline = time.monotonic() + SECONDS
    runs = sites = pinned_requirements = 0
    slowest = 0.0
    while inputs or time.monotonic() < deadline:
        if inputs:
            name, text = inputs.pop()
        else:
            if rng.random() < 0.6:
                name, pool = "Dockerfile", dockerfiles
            else:
                name, pool = "requirements.txt", requirements
            text = rng.choice(pool)
            if rng.random() < 0.5:
                text = mutate(text, pool, rng)
        path = work / name
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        t0 = time.monotonic()
        try:
            first, after, _n = _fix(path, cache)
            assert not any(is_internal_error(f) for f in after)
            fixed = path.read_bytes().decode("utf-8", "surrogateescape")
            assert _hp001(after) <= _hp001(first), "a fix made the file unparsable"
            if name == "Dockerfile":
                sites += _check_dockerfile(text, fixed, answerer.digests)
            else:
                pinned_requirements += _check_requirements(text, fixed, answerer.hashes)
            _again_first, _again, n = _fix(path, cache)
            assert n == 0 and path.read_bytes() == fixed.encode("utf-8", "surrogateescape"), (
                "a second fix changed the file"
            )
        except Exception as exc:
            raise AssertionError(
                f"input #{runs} (seed {seed}) failed: {type(exc).__name__}: {exc}\n"
                f"--- input ---\n{text!r}"
            ) from exc
        slowest = max(slowest, time.monotonic() - t0)
        runs += 1
    print(
        f"fuzz (answers): {runs} inputs, {sites} pinned image sites, "
        f"{pinned_requirements} hashes checked, slowest {slowest:.3f} s"
    )
    assert answerer.asked > 0, "the answerer was never asked: the network layer was not replaced"
    assert runs > 50 and sites > 20 and pinned_requirements > 20
