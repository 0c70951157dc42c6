"""Throughput over the corpus YAML: hardpin against zizmor, whole processes, alternately.

    python bench/bench_yaml.py [--corpus DIR] [--zizmor PATH] [--rounds N] [--jobs N]

Each round runs, in turn (the order rotates):

* `hardpin check --offline` over the corpus workflows, compose files and
  Kubernetes manifests (every file), and over the workflows alone;
* `zizmor --offline` over the same workflows (copied into `.github/workflows` of a
  temporary directory, which is where zizmor looks), when zizmor is found (PyPI
  `zizmor`; `--zizmor PATH`).

Reports files per second (median over the rounds, wall time and CPU time of the
child) and the ratio hardpin/zizmor on the workflows. The machine may be shared:
the ratio of one run, both measured in the same rounds, is what to read.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one run; output thrown away."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--zizmor", default=shutil.which("zizmor"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None, help="hardpin --jobs (default: its own)")
    args = ap.parse_args()
    corpus = Path(args.corpus)
    dirs = [corpus / d for d in ("workflows", "compose", "k8s")]
    n_all = sum(len(list(d.iterdir())) for d in dirs)
    n_wf = len(list(dirs[0].iterdir()))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HARDPIN_OFFLINE": "1"}
    hardpin = [sys.executable, "-m", "hardpin", "check", "--offline", "--exit-zero"]
    if args.jobs:
        hardpin += ["--jobs", str(args.jobs)]
    with tempfile.TemporaryDirectory() as tmp:
        wf = Path(tmp) / ".github" / "workflows"
        wf.mkdir(parents=True)
        for f in dirs[0].iterdir():
            shutil.copyfile(f, wf / f.name)
        runs: dict[str, tuple[list[str], int]] = {
            "hardpin (all YAML)": ([*hardpin, *map(str, dirs)], n_all),
            "hardpin (workflows)": ([*hardpin, str(wf)], n_wf),
        }
        if args.zizmor:
            runs["zizmor (workflows)"] = ([args.zizmor, "--offline", "--format", "json", tmp], n_wf)
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in runs}
        names = list(runs)
        for r in range(args.rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                times[name].append(timed(runs[name][0], env))
    print(f"{n_all} files ({n_wf} workflows), {args.rounds} rounds")
    med: dict[str, tuple[float, float]] = {}
    for name, ts in times.items():
        wall = statistics.median(t[0] for t in ts)
        cpu = statistics.median(t[1] for t in ts)
        med[name] = (wall, cpu)
        n = runs[name][1]
        print(f"{name:22} wall {wall:6.2f} s ({n / wall:7.0f} files/s)   "
              f"CPU {cpu:6.2f} s ({n / cpu:7.0f} files/s)")  # fmt: skip
    if "zizmor (workflows)" in med:
        h, z = med["hardpin (workflows)"], med["zizmor (workflows)"]
        print(
            f"hardpin/zizmor files/s on the workflows: wall {z[0] / h[0]:.2f}x, CPU {z[1] / h[1]:.2f}x"
        )


if __name__ == "__main__":
    main()
