"""Time and peak memory of linting one large file, from 1 MB to 16 MB.

    python bench/bench_scale.py [--sizes 1,2,4,8,16] [--kinds dockerfile,shell,requirements]
                                [--budget SECONDS]

For each kind of file hardpin lints (a Dockerfile, a shell script, a pip
requirements file) it writes a file of each size built from realistic blocks
(RUN lines with continuations and heredocs, pipes and installs; requirements
with `--hash` continuation lines and comments), plus the hostile shapes the
lexers once handled in quadratic time (deeply nested `${A:-…}`, one requirement
with tens of thousands of `--hash` lines). Each file is linted by a fresh
`python -m hardpin check` child process; the table shows wall and CPU time, peak RSS
(ru_maxrss of the child) and both divided by the file size, so linear growth
reads as constant per-MB figures (peak memory includes the interpreter and
hardpin's modules, about 25 MB, so its per-MB figure falls towards the slope). `--max-file-size` is raised past the largest
file so the size cap does not skip them.

CPU time (user + system of the child) is shown beside wall time, as it does not
depend on what else the machine runs. With `--budget`, exits 1 when a run takes more
than that many CPU seconds per MB.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024

_DOCKER_BLOCK = """\
# stage {i}
FROM python:3.12-slim AS build{i}
ARG VERSION=1.{i}
ENV PATH=/opt/venv/bin:$PATH \\
    PIP_NO_CACHE_DIR=1
RUN apt-get update \\
 && apt-get install -y --no-install-recommends curl ca-certificates \\
 && curl -fsSL https://example.com/install-{i}.sh | sh \\
 && pip install "requests==2.31.0" flask${{VERSION:+==$VERSION}} \\
 && rm -rf /var/lib/apt/lists/*
RUN <<EOF bash
set -eu
echo "$(date) ${{HOME:-/root}}" > /tmp/stamp-{i}
(cd /tmp && tar xzf x.tgz)
EOF
COPY --from=build{i} /opt/venv /opt/venv
USER app
"""

_SHELL_BLOCK = """\
# step {i}
set -eu
if [ -n "${{CI:-}}" ]; then
  curl -fsSL "https://example.com/tool-{i}.tar.gz" | tar xz -C /usr/local/bin
fi
for f in $(ls /etc/*.conf); do echo "$f: $(wc -l < "$f")"; done
pip install --no-deps "pkg{i}==1.0" && npm install --global left-pad@1.{i}.0
cat <<'EOF' > /tmp/conf-{i}
key = value
EOF
(cd /opt && make -j"$(nproc)" install) || exit 1
"""


def _hash(i: int, j: int) -> str:
    return hashlib.sha256(f"{i}:{j}".encode()).hexdigest()


def _req_block(i: int) -> str:
    hashes = "".join(f" \\\n    --hash=sha256:{_hash(i, j)}" for j in range(3))
    return (
        f"# via project-{i}\n"
        f"package-{i}[extra]==1.{i}.0 ; python_version >= '3.8'{hashes}\n"
        f"other_{i}>=2.0,<3 # hardpin: ignore=HP301\n"
    )


def _fill(block: Callable[[int], str], size: int, head: str = "") -> str:
    parts = [head]
    total = len(head)
    i = 0
    while total < size:
        b = block(i)
        parts.append(b)
        total += len(b)
        i += 1
    return "".join(parts)


def dockerfile(size: int) -> str:
    return _fill(lambda i: _DOCKER_BLOCK.format(i=i), size, "# syntax=docker/dockerfile:1\n")


def shell(size: int) -> str:
    return _fill(lambda i: _SHELL_BLOCK.format(i=i), size, "#!/bin/sh\n")


def requirements(size: int) -> str:
    return _fill(_req_block, size, "--index-url https://pypi.org/simple\n")


def nested_vars(size: int) -> str:
    """`FROM ${A:-${A:-…x}}`: an ARG default nested `size / 5` levels deep."""
    depth = size // 6
    return "FROM " + "${A:-" * depth + "x" + "}" * depth + "\n"


def many_hashes(size: int) -> str:
    """One requirement with as many `--hash` continuation lines as fit in `size`."""
    line = len(f"    --hash=sha256:{_hash(0, 0)} \\\n")
    n = max(1, size // line)
    hashes = "".join(f" \\\n    --hash=sha256:{_hash(0, j)}" for j in range(n))
    return f"requests==2.31.0{hashes}\n"


KINDS: dict[str, tuple[str, Callable[[int], str]]] = {
    "dockerfile": ("Dockerfile", dockerfile),
    "shell": ("script.sh", shell),
    "requirements": ("requirements.txt", requirements),
    "nested-vars": ("Dockerfile", nested_vars),
    "many-hashes": ("requirements.txt", many_hashes),
}


def run(path: Path, max_size: int) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds, peak RSS in KiB, exit code) of `hardpin check path`
    in a child process."""
    with tempfile.TemporaryDirectory() as d:
        cfg = Path(d) / "hardpin.toml"
        cfg.write_text(f"max-file-size = {max_size}\n")
        env = {**os.environ, "HARDPIN_OFFLINE": "1", "NO_COLOR": "1"}
        env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
        cmd = [sys.executable, "-m", "hardpin", "check", "--config", str(cfg), str(path)]
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=d
        )
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"hardpin failed on {path} ({code}): {err.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, code


def main() -> int:
    if sys.argv[1:2] == ["--write"]:  # --write KIND SIZE PATH: generate one input file
        kind, size, out = sys.argv[2:5]
        Path(out).write_text(KINDS[kind][1](int(size)))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1,2,4,8,16", help="file sizes in MB")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--budget", type=float, default=None, help="max CPU seconds per MB")
    a = ap.parse_args()
    sizes = [float(s) for s in a.sizes.split(",")]
    kinds = [k for k in a.kinds.split(",") if k]
    over = False
    print(
        f"{'kind':<14}{'MB':>6}{'wall s':>8}{'cpu s':>8}{'cpu s/MB':>10}"
        f"{'peak MB':>9}{'peak/MB':>9}"
    )
    with tempfile.TemporaryDirectory(prefix="hardpin-bench-") as d:
        for kind in kinds:
            name, _ = KINDS[kind]
            for mb in sizes:
                path = Path(d) / kind / name
                path.parent.mkdir(exist_ok=True)
                # written by a child process: the children that lint are forked from this
                # one, and its peak RSS would count in theirs if it held the text
                gen = [sys.executable, __file__, "--write", kind, str(int(mb * MB)), str(path)]
                subprocess.run(gen, check=True)
                size = path.stat().st_size / MB
                wall, cpu, rss, _ = run(path, int(size * MB) + MB)
                peak = rss / 1024
                print(
                    f"{kind:<14}{size:>6.1f}{wall:>8.2f}{cpu:>8.2f}{cpu / size:>10.2f}"
                    f"{peak:>9.0f}{peak / size:>9.1f}",
                    flush=True,
                )
                if a.budget is not None and cpu / size > a.budget:
                    over = True
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
