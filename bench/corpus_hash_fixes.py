"""How many corpus requirements files `hardpin check --fix` hashes, and how many of the
fixed files pip would then refuse.

    PYTHONPATH=src python bench/corpus_hash_fixes.py [CORPUS_DIR]

Each file of the shared corpus's `requirements/` directory is copied alone into a
scratch directory, as `requirements.txt` (`requirements.in` for a pip-tools input,
`constraints.txt` for a constraints file, so its role is kept) and fixed with `engine.run(fix=True)`.
The network is replaced by an answerer that gives two made-up sha256 hashes for
every pinned version, so every lookup succeeds (the fixes are as many as they can
be). For every file it counts whether hashes were added, how many, and whether pip
would refuse the fixed file in hash-checking mode: a requirement without a hash, or
a named one not pinned with a single `==`/`===` (includes are not read: alone in
its directory, a corpus file's `-r` files are missing).

The refusal check is written here, independently of hardpin's own analysis, so
the script also runs against an older `src/` (PYTHONPATH) for a before/after count.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from typing import Any


class Answerer:
    """Stands in for `hardpin.online.resolve.Online`: every pip-hashes key is answered."""

    def __init__(self, options: Any) -> None:
        self.requests = 0
        self.cache = type("Cache", (), {"hits": 0})()

    def answer(
        self, keys: Iterable[Any], on_answer: Callable[[int, int], None] | None = None
    ) -> dict[Any, tuple[str, ...] | str]:
        from hardpin.model import PipHashesKey

        out: dict[Any, tuple[str, ...] | str] = {}
        for key in dict.fromkeys(keys):
            if isinstance(key, PipHashesKey):
                out[key] = tuple(
                    "sha256:"
                    + hashlib.sha256(f"{key.project}=={key.version}#{i}".encode()).hexdigest()
                    for i in range(2)
                )
            else:
                out[key] = "not answered here"
        return out


def refused(text: str) -> list[str]:
    """The requirements pip refuses in hash-checking mode (none when the mode is off)."""
    from hardpin.parsers.requirements import parse, url_hash

    doc = parse(text, strict=False)
    if not (doc.require_hashes or any(r.hashes for r in doc.requirements)):
        return []
    out = []
    for r in doc.requirements:
        hashed = bool(r.hashes) or (r.url is not None and url_hash(r.url) is not None)
        parts = [p.strip() for p in r.specifier.split(",") if p.strip()]
        pinned = r.kind != "name" or (len(parts) == 1 and parts[0].startswith("=="))
        unhashable = r.editable or r.kind == "vcs"
        if not hashed or not pinned or unhashable:
            out.append(r.text)
    return out


def main() -> None:
    from hardpin.engine import NetworkOptions, RunRequest, run
    from hardpin.online import resolve

    corpus = sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus"
    src = os.path.join(corpus, "requirements")
    resolve.Online = Answerer  # type: ignore[misc,assignment]
    files = hashed_files = hashes = broken = broken_before = 0
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        for name in sorted(os.listdir(src)):
            path = os.path.join(src, name)
            if not os.path.isfile(path):
                continue
            work = os.path.join(tmp, "w")
            shutil.rmtree(work, ignore_errors=True)
            os.mkdir(work)
            if name.endswith(".in"):
                alias = "requirements.in"
            elif "constraints" in name.rsplit("__", 1)[-1]:
                alias = "constraints.txt"
            else:
                alias = "requirements.txt"
            target = os.path.join(work, alias)
            shutil.copyfile(path, target)
            with open(path, "rb") as fh:
                before = fh.read().decode("utf-8", "surrogateescape")
            net = NetworkOptions(offline=True, cache_dir=cache)
            result = run(RunRequest(paths=(target,), fix=True, network=net))
            files += 1
            with open(target, "rb") as fh:
                after = fh.read().decode("utf-8", "surrogateescape")
            if after == before:
                continue
            added = after.count("--hash=") - before.count("--hash=")
            if added > 0:
                hashed_files += 1
                hashes += added
                if os.environ.get("LIST"):
                    print("hashed", name, "refused" if refused(after) else "ok")
            if refused(after):
                broken += 1
                if refused(before):
                    broken_before += 1
            del result
    print(f"corpus requirements files: {files}")
    print(f"files given hashes: {hashed_files} ({hashes} --hash options)")
    print(
        f"fixed files pip refuses in hash-checking mode: {broken} "
        f"(of which refused before the fix already: {broken_before})"
    )


if __name__ == "__main__":
    main()
