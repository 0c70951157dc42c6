"""Tag resolution throughput: hardpin's registry client against a `skopeo inspect` loop.

    python bench/bench_registry.py [--refs N] [--concurrency C] [--repeat R] [--skopeo-refs M]

Each figure is the median of R runs (default 5), each hardpin run from an empty
cache. The headline is the command line against the command line: `hardpin check
--fix` (a whole process, cold cache) against the `skopeo inspect` loop, run
alternately round after round (which goes first alternates too) so that a change in
the machine's load hits both alike, as the median of the per-round ratios (target:
at least 10x faster for 50 references); the in-process client figures show how
much of the command line's time is start-up.

The command: `python bench/bench_registry.py --repeat 9`.

Starts Debian's docker-registry (anonymous) on a loopback port, pushes N
distinct tags (single-platform Docker and OCI images, OCI indexes and Docker
manifest lists, over 8 repositories), then times:

* an untimed pass that reads every manifest once, so the registry's storage is
  equally warm for every contender;
* cold: resolving all N with RegistryClient through a thread pool, empty cache
  (one verified GET per tag; and the Docker Hub policy, a HEAD by tag, then the
  verified GET when the cache does not hold the named manifest);
* warm: the same again with the cache the cold run filled (must send no request);
* the command line: `hardpin check --fix --select HP101` on a Dockerfile with
  N FROM lines, cold and warm (its `--verbose` line gives the request count);
* skopeo: `skopeo inspect --raw --tls-verify=false docker://HOST/REPO:TAG`, once
  per reference in a loop (the sha256 of its output must equal our digest).

Prints a table and the ratios. `resolve_all` is reusable.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from registry_support import KINDS, push_image, registry_available, start_registry  # noqa: E402

from hardpin.online.auth import StaticKeychain  # noqa: E402
from hardpin.online.cache import Cache  # noqa: E402
from hardpin.online.http import Http  # noqa: E402
from hardpin.online.registry import Descriptor, RegistryClient  # noqa: E402


def resolve_all(
    refs: Sequence[str],
    cache_dir: str,
    concurrency: int = 16,
    *,
    insecure_registries: Sequence[str] = (),
    head: bool = False,
) -> tuple[list[Descriptor], int, float]:
    """Resolve every reference with a fresh client over `cache_dir`.

    Returns (descriptors in order, HTTP requests sent, wall seconds)."""
    http = Http(timeout=10.0, retries=3, insecure_hosts=frozenset(insecure_registries))
    client = RegistryClient(
        http,
        Cache(cache_dir),
        insecure_registries=insecure_registries,
        auth=StaticKeychain(),
        head_registries=insecure_registries if head else (),
    )
    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        descs = list(pool.map(client.resolve, refs))
    return descs, http.requests, time.perf_counter() - t0


def skopeo_loop(refs: Sequence[str]) -> tuple[list[str], float]:
    """(sha256 of each `skopeo inspect --raw` output, wall seconds)."""
    out = []
    t0 = time.perf_counter()
    for ref in refs:
        proc = subprocess.run(
            ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{ref}"],
            capture_output=True,
            check=True,
        )
        out.append("sha256:" + hashlib.sha256(proc.stdout).hexdigest())
    return out, time.perf_counter() - t0


def cli_runs(
    tmp: str, host: str, refs: Sequence[str], expect: Sequence[str]
) -> tuple[tuple[float, int], tuple[float, int]]:
    """`hardpin check --fix` on a Dockerfile naming every reference: (seconds, requests)
    for a cold and a warm cache. Checks that every line got the pushed digest."""
    import os
    import re
    import tempfile as _tf

    work = Path(_tf.mkdtemp(dir=tmp, prefix="cli"))
    (work / ".hardpin.toml").write_text(f'insecure-registries = ["{host}"]\n')
    text = "".join(f"FROM {r} AS s{i}\n" for i, r in enumerate(refs))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HARDPIN_CACHE_DIR": str(work / "cache")}
    env.pop("HARDPIN_OFFLINE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users run from compiled modules
    # the console script, as a user runs it (python -m hardpin adds runpy)
    script = shutil.which("hardpin", path=str(Path(sys.executable).parent))
    launcher = [script] if script else [sys.executable, "-m", "hardpin"]
    subprocess.run([*launcher, "--version"], env=env, capture_output=True)
    out = []
    for _ in range(2):
        (work / "Dockerfile").write_text(text)
        t0 = time.perf_counter()
        p = subprocess.run(
            [
                *launcher,
                "check",
                "--fix",
                "--verbose",
                "--select",
                "HP101",
                "Dockerfile",
            ],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
        )
        secs = time.perf_counter() - t0
        m = re.search(r"(\d+) requests", p.stderr)
        fixed = (work / "Dockerfile").read_text().splitlines()
        if (
            p.returncode != 0
            or m is None
            or [ln.split("@")[1].split()[0] for ln in fixed] != list(expect)
        ):
            raise SystemExit(f"hardpin check --fix failed: {p.returncode} {p.stderr[-500:]}")
        out.append((secs, int(m.group(1))))
    return out[0], out[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--refs", type=int, default=50, help="tags to push and resolve (default 50)")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=5, help="runs per figure (median; default 5)")
    ap.add_argument(
        "--skopeo-refs",
        type=int,
        default=None,
        help="run skopeo on the first M references only and scale (default: all)",
    )
    args = ap.parse_args(argv)
    if not registry_available():
        print("docker-registry is not installed", file=sys.stderr)
        return 2
    have_skopeo = shutil.which("skopeo") is not None
    with start_registry("anon") as reg, tempfile.TemporaryDirectory() as tmp:
        specs = [(f"bench/repo{i % 8}", f"t{i}", KINDS[i % len(KINDS)]) for i in range(args.refs)]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:
            pushed = list(pool.map(lambda s: push_image(reg, *s), specs))
        push_s = time.perf_counter() - t0
        refs = [reg.ref(repo, tag) for repo, tag, _ in specs]
        expect = [p["digest"] for p in pushed]
        assert len(set(expect)) == len(expect), "digests are not distinct"
        print(f"pushed {len(refs)} tags ({', '.join(KINDS)}) in {push_s:.2f}s to {reg.host}")

        from registry_support import ACCEPT_ALL, call

        for ref in refs:  # untimed: the registry reads every manifest once
            repo_tag = ref.split("/", 1)[1]
            repo, tag = repo_tag.rsplit(":", 1)
            call("GET", f"{reg.url}/v2/{repo}/manifests/{tag}", {"Accept": ACCEPT_ALL})

        cache_dir = str(Path(tmp) / "cache")
        import statistics

        def median_of(run):
            results = [run(i) for i in range(args.repeat)]
            mid = statistics.median(
                r[-1] if not isinstance(r[-1], tuple) else r[-1][0] for r in results
            )
            return next(
                r for r in results if (r[-1] if not isinstance(r[-1], tuple) else r[-1][0]) == mid
            )

        cold, cold_req, cold_s = median_of(
            lambda i: resolve_all(
                refs, f"{cache_dir}{i}", args.concurrency, insecure_registries=[reg.host]
            )
        )
        cache_dir = f"{cache_dir}0"
        if [d.digest for d in cold] != expect:
            print("MISMATCH: cold digests differ from the pushed ones", file=sys.stderr)
            return 1
        warm, warm_req, warm_s = resolve_all(
            refs, cache_dir, args.concurrency, insecure_registries=[reg.host]
        )
        if warm != cold or warm_req != 0:
            print(f"FAIL: warm run differs or sent {warm_req} requests", file=sys.stderr)
            return 1

        hub, hub_req, hub_s = median_of(
            lambda i: resolve_all(
                refs,
                str(Path(tmp) / f"hub{i}"),
                args.concurrency,
                insecure_registries=[reg.host],
                head=True,
            )
        )
        if hub != cold:
            print("MISMATCH: the HEAD policy gave other answers", file=sys.stderr)
            return 1
        # the command line and the skopeo loop, alternately
        m = min(args.skopeo_refs or len(refs), len(refs))
        clis: list[tuple[tuple[float, int], tuple[float, int]]] = []
        skopeos: list[float] = []
        for i in range(args.repeat):
            order = ("hardpin", "skopeo") if i % 2 == 0 else ("skopeo", "hardpin")
            for who in order:
                if who == "hardpin":
                    clis.append(cli_runs(tmp, reg.host, refs, expect))
                elif have_skopeo:
                    digests, s = skopeo_loop(refs[:m])
                    bad = sum(1 for a, b in zip(digests, expect) if a != b)
                    if bad:
                        print(f"MISMATCH: {bad} skopeo digests differ from ours", file=sys.stderr)
                        return 1
                    skopeos.append(s * len(refs) / m)
        by_cold = sorted(clis, key=lambda r: r[0][0])
        cli_cold = by_cold[len(by_cold) // 2][0]
        by_warm = sorted(clis, key=lambda r: r[1][0])
        cli_warm = by_warm[len(by_warm) // 2][1]
        rows = [
            ("client cold (GET)", cold_s, cold_req),
            ("client cold (HEAD+GET)", hub_s, hub_req),
            ("client warm", warm_s, warm_req),
            ("hardpin check --fix cold", *cli_cold),
            ("hardpin check --fix warm", *cli_warm),
        ]
        skopeo_s = None
        if skopeos:
            skopeo_s = statistics.median(skopeos)
            pair_ratio = statistics.median(k / c[0][0] for k, c in zip(skopeos, clis))
            rows.append(
                ("skopeo loop" + ("" if m == len(refs) else f" (x{len(refs)}/{m})"), skopeo_s, None)
            )

    n = len(refs)
    print(f"\n{'':<30}{'seconds':>10}{'refs/s':>10}{'requests':>10}")
    for name, secs, req in rows:
        print(
            f"{name:<30}{secs:>10.3f}{n / secs if secs else float('inf'):>10.0f}"
            f"{'' if req is None else req:>10}"
        )
    if skopeo_s is not None:
        ratio = pair_ratio
        verdict = "meets" if ratio >= 10 else "MISSES"
        print(
            f"\n`hardpin check --fix` (whole process, cold cache) is {ratio:.1f}x faster than "
            f"the skopeo loop for {n} references (median of {args.repeat} alternating "
            f"rounds' ratios; {verdict} the 10x target); skopeo's digests: all equal to ours"
        )
        print(
            f"in-process client: cold {skopeo_s / cold_s:.1f}x, HEAD+GET "
            f"{skopeo_s / hub_s:.1f}x (concurrency {args.concurrency}); the difference "
            f"to the command line ({(cli_cold[0] - cold_s) * 1000:.0f} ms) is start-up, "
            "linting and writing"
        )
    else:
        print("\nskopeo not installed: no comparison")
    return 0


if __name__ == "__main__":
    sys.exit(main())
