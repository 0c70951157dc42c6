"""Hash filling: hardpin against pip-compile, uv and hashin, in the same run.

    python bench/bench_hashes.py [--projects N] [--repeat N]

(target: hashes for 10 pinned packages at least 5x faster than pip-compile)

Builds a local package index of N small projects (tests/index_support.py: each
has two versions of a wheel and an sdist, and a platform wheel for the pinned
version), serves it on a loopback port (PEP 503/691 pages and the PyPI JSON
API), and times on the same N pins:

1. hardpin filling the hashes of a pinned, unhashed requirements file, cold
   cache: the command line `hardpin check --fix --select HP302 --index-url URL`,
   a new process, as a user runs it;
2. the same, warm: a second run answered from the cache (index requests: 0);
3. `pip-compile --generate-hashes --allow-unsafe` on the same pins as a .in;
   1 and 3 alternate, round after round (which goes first alternates too), so a
   change in the machine's load hits both alike; the headline is the median of the
   per-round ratios;
4. `uv pip compile --generate-hashes` on the same .in (when uv is installed);
5. `hashin` with the same `name==version` specs (it reads the PyPI JSON API
   `<index>/pypi/<name>/json`, which the test index serves).

Every tool's output is checked against the index's own hashes. Prints a table
and hardpin's ratio against pip-compile (target: at least 5x faster).

The command: `python bench/bench_hashes.py --repeat 9`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from index_support import clean_env, many_projects, start_index, tool  # noqa: E402


def hardpin_fill(path: str, index_url: str, cache_dir: str) -> None:
    """`hardpin check --fix --select HP302 --index-url URL PATH`, a new process, from
    this tree's sources."""
    pp = os.environ.get("PYTHONPATH")
    env = {
        **clean_env(),
        "HARDPIN_CACHE_DIR": cache_dir,
        "HARDPIN_OFFLINE": "",
        "PYTHONPATH": str(ROOT / "src") + (os.pathsep + pp if pp else ""),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users run from compiled modules
    # the console script, as a user runs it (python -m hardpin adds runpy)
    script = shutil.which("hardpin", path=str(Path(sys.executable).parent))
    cmd = [
        *([script] if script else [sys.executable, "-m", "hardpin"]),
        "check",
        "--fix",
        "--select",
        "HP302",
        "--index-url",
        index_url,
        path,
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1) or "cannot fix" in proc.stderr:
        sys.exit(f"hardpin failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


def parse_hashes(path: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    from hardpin.parsers.requirements import parse

    with open(path, encoding="utf-8") as fh:
        rf = parse(fh.read())
    return {
        r.name.lower(): (
            r.exact_version or "",
            tuple(sorted(f"{h.algorithm}:{h.digest}" for h in r.hashes)),
        )
        for r in rf.requirements
        if r.name
    }


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run(cmd: list[str], cwd: str, env: dict[str, str]) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=10, help="pinned packages (default 10)")
    ap.add_argument(
        "--repeat", type=int, default=7, help="rounds of each tool (medians shown; default 7)"
    )
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="hardpin-bench-hashes-")
    try:
        model, pins = many_projects(os.path.join(work, "index"), args.projects)
        idx = start_index(model)
        print(
            f"index: {idx.url}  ({args.projects} projects, "
            f"{sum(len(d) for d in model.prefixes['simple'].values())} files)"
        )
        pinned = "".join(f"{n}=={v}\n" for n, v in pins)
        expected = {n: (v, model.hashes(n, v)) for n, v in pins}
        rows: list[tuple[str, float, int | None]] = []

        def check(name: str, path: str) -> None:
            got = parse_hashes(path)
            if got != expected:
                bad = sorted(k for k in expected if got.get(k) != expected[k])[:5]
                sys.exit(f"{name}: wrong hashes for {bad}")

        def case(i: int) -> str:
            d = os.path.join(work, f"run-{i}-{time.monotonic_ns()}")
            os.makedirs(d)
            return d

        def hardpin_round(i: int) -> tuple[float, int, float, int]:
            """A cold run, then a warm one: (cold s, cold requests, warm s, warm requests)."""
            d = case(i)
            cache = os.path.join(d, "cache")
            out: list[float | int] = []
            for label in ("cold", "warm"):
                os.makedirs(os.path.join(d, label))
                path = os.path.join(d, label, "requirements.txt")
                Path(path).write_text(pinned)
                idx.reset()
                t, _ = timed(lambda p=path, c=cache: hardpin_fill(p, idx.url, c))
                check(f"hardpin ({label})", path)
                out += [t, idx.requests]
            return out[0], int(out[1]), out[2], int(out[3])

        def compile_round(label: str, cmd: list[str], i: int) -> tuple[float, int]:
            d = case(i)
            Path(d, "requirements.in").write_text(pinned)
            env = clean_env(os.path.join(d, "tool-cache"))
            idx.reset()
            t, _ = timed(lambda c=cmd, w=d, e=env: run(c, w, e))
            check(label, os.path.join(d, "requirements.txt"))
            return t, idx.requests

        # (3) pip-compile, (4) uv
        compilers: list[tuple[str, list[str]]] = []
        pc = tool("pip-compile")
        if pc:
            compilers.append(
                (
                    "pip-compile --generate-hashes",
                    [
                        pc,
                        "--generate-hashes",
                        "--allow-unsafe",
                        "--no-config",
                        "--quiet",
                        "--index-url",
                        idx.url,
                        "--output-file",
                        "requirements.txt",
                        "requirements.in",
                    ],
                )
            )
        else:
            print("pip-compile not found: pip install pip-tools", file=sys.stderr)

        # (1), (2) and (3): hardpin and pip-compile alternately
        cold, warm, pcs, cold_req, warm_req, pc_req = [], [], [], 0, 0, 0
        for i in range(args.repeat):
            order = ("hardpin", "pip-compile") if i % 2 == 0 else ("pip-compile", "hardpin")
            for who in order:
                if who == "hardpin":
                    c, cold_req, w, warm_req = hardpin_round(i)
                    cold.append(c)
                    warm.append(w)
                elif pc:
                    t, pc_req = compile_round(compilers[0][0], compilers[0][1], i)
                    pcs.append(t)
        how = "hardpin check --fix"
        rows.append((f"{how}, cold cache", statistics.median(cold), cold_req))
        rows.append((f"{how}, warm cache", statistics.median(warm), warm_req))
        if pcs:
            rows.append((compilers[0][0], statistics.median(pcs), pc_req))
            pair_ratio = statistics.median(p / c for p, c in zip(pcs, cold))

        uv = tool("uv")
        if uv:
            uv_cmd = [
                uv,
                "pip",
                "compile",
                "--generate-hashes",
                "--quiet",
                "--python",
                sys.executable,
                "--index-url",
                idx.url,
                "--output-file",
                "requirements.txt",
                "requirements.in",
            ]
            runs = [compile_round("uv pip compile", uv_cmd, i) for i in range(args.repeat)]
            rows.append(
                (
                    "uv pip compile --generate-hashes",
                    statistics.median(t for t, _ in runs),
                    runs[-1][1],
                )
            )

        # (5) hashin
        hashin = tool("hashin")
        if hashin:
            times, reqs = [], 0
            for i in range(args.repeat):
                d = case(i)
                Path(d, "requirements.txt").write_text("")
                env = clean_env(os.path.join(d, "tool-cache"), TMPDIR=d)
                idx.reset()
                cmd = [
                    hashin,
                    "-r",
                    "requirements.txt",
                    "--index-url",
                    idx.base,
                    *(f"{n}=={v}" for n, v in pins),
                ]
                t, _ = timed(lambda c=cmd, w=d, e=env: run(c, w, e))
                check("hashin", os.path.join(d, "requirements.txt"))
                times.append(t)
                reqs = idx.requests
            rows.append(("hashin", statistics.median(times), reqs))
        else:
            print("hashin not found: pip install hashin", file=sys.stderr)
        idx.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    base = next((t for label, t, _ in rows if label.startswith("pip-compile")), None)
    width = max(len(r[0]) for r in rows)
    print(
        f"\n{args.projects} pinned requirements, median of {args.repeat} run(s); hardpin "
        "and pip-compile alternately\n"
    )
    print(f"{'tool':<{width}}  {'seconds':>8}  {'requests':>8}  {'vs pip-compile':>14}")
    for label, t, n in rows:
        ratio = f"{base / t:.1f}x" if base else "-"
        print(f"{label:<{width}}  {t:8.3f}  {n if n is not None else '-':>8}  {ratio:>14}")
    if base:
        verdict = "meets" if pair_ratio >= 5 else "MISSES"
        print(
            f"\nhardpin cold is {pair_ratio:.1f}x faster than pip-compile (median of the "
            f"{args.repeat} per-round ratios; {verdict} the 5x target)"
        )
    if rows[1][2] != 0:
        print(f"warm run made {rows[1][2]} index requests (expected 0)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
