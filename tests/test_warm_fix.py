"""A `check --fix` the cache answers in full sends no request, starts no thread and
imports no HTTP client (http.client, ssl); a key the cache lacks is still asked, from a
worker, with the same result and statistics as before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import ROOT
from index_support import LocalIndex, index_server, local_index, stays_installable
from registry_support import FaultProxy, Registry, fault_proxy, push_image, registry_anon

# runs the command line in-process, then writes what it imported and which threads
# it started to the file named by HARDPIN_TEST_REPORT
PROBE = """
import json, os, sys, threading
report = os.environ["HARDPIN_TEST_REPORT"]
started = []
_start = threading.Thread.start
def start(self, *args, **kwargs):
    started.append(self.name)
    return _start(self, *args, **kwargs)
threading.Thread.start = start
sys.argv = ["hardpin", *sys.argv[1:]]
from hardpin.cli import main
rc = main()
with open(report, "w") as f:
    json.dump({"rc": rc, "modules": sorted(sys.modules), "threads": started}, f)
"""


def probe(tmp_path: Path, cwd: Path, *args: str) -> tuple[dict[str, Any], str]:
    report = tmp_path / "report.json"
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "PYTHONPATH": str(ROOT / "src"),
        "HARDPIN_OFFLINE": "",
        "HARDPIN_CACHE_DIR": str(tmp_path / "cache"),
        "DOCKER_CONFIG": str(tmp_path / "no-docker-config"),
        "PIP_INDEX_URL": "",
        "PIP_EXTRA_INDEX_URL": "",
        "HARDPIN_TEST_REPORT": str(report),
    }
    p = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert report.exists(), p.stderr
    return json.loads(report.read_text()), p.stderr


def test_a_warm_fix_imports_no_http_client_and_starts_no_thread(
    fault_proxy: FaultProxy,
    registry_anon: Registry,
    local_index: LocalIndex,
    tmp_path: Path,
) -> None:
    uv = push_image(registry_anon, "warm/uv", "0.4", "docker")["digest"]
    busybox = push_image(registry_anon, "warm/busybox", "1.36", "docker")["digest"]
    host = fault_proxy.host
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".hardpin.toml").write_text(f'insecure-registries = ["{host}"]\n')
    dockerfile = f"FROM {host}/warm/uv:0.4\n"
    requirements = "alpha==1.1\nbeta==1.0\n"
    args = ("check", "--fix", "--verbose", "--select", "HP101,HP302")
    args += ("--index-url", local_index.url, "Dockerfile", "requirements.txt")

    def hashed(name: str, version: str) -> str:
        lines = "".join(f" \\\n    --hash={h}" for h in local_index.model.hashes(name, version))
        return f"{name}=={version}{lines}\n"

    fixed_dockerfile = f"FROM {host}/warm/uv:0.4@{uv}\n"
    fixed_requirements = hashed("alpha", "1.1") + hashed("beta", "1.0")

    # cold: asked over the network, from worker threads
    (root / "Dockerfile").write_text(dockerfile)
    (root / "requirements.txt").write_text(requirements)
    with stays_installable(local_index.url, root / "requirements.txt"):
        cold, _err = probe(tmp_path, root, *args)
    assert cold["rc"] == 0
    assert (root / "Dockerfile").read_text() == fixed_dockerfile
    assert (root / "requirements.txt").read_text() == fixed_requirements
    assert "hardpin.online.http" in cold["modules"] and cold["threads"]
    # plain http (a loopback registry and index): neither http.client nor ssl
    assert "http.client" not in cold["modules"] and "ssl" not in cold["modules"]
    assert fault_proxy.requests > 0 and local_index.requests > 0

    # warm: the same fixes from the cache alone
    fault_proxy.clear()
    local_index.reset()
    (root / "Dockerfile").write_text(dockerfile)
    (root / "requirements.txt").write_text(requirements)
    warm, err = probe(tmp_path, root, *args)
    assert warm["rc"] == 0
    assert (root / "Dockerfile").read_text() == fixed_dockerfile
    assert (root / "requirements.txt").read_text() == fixed_requirements
    assert fault_proxy.requests == 0 and local_index.requests == 0
    for name in ("http.client", "ssl", "concurrent.futures", "hardpin.online.http"):
        assert name not in warm["modules"], name
    assert warm["threads"] == []
    assert "hardpin: 3 lookups (0 failed), 0 requests, 3 cache hits" in err

    # one key the cache lacks: asked from a worker; the cached ones are still answered
    fault_proxy.clear()
    (root / "Dockerfile").write_text(dockerfile + f"FROM {host}/warm/busybox:1.36\n")
    (root / "requirements.txt").write_text(requirements)
    mixed, err = probe(tmp_path, root, *args)
    assert mixed["rc"] == 0
    assert (root / "Dockerfile").read_text() == (
        fixed_dockerfile + f"FROM {host}/warm/busybox:1.36@{busybox}\n"
    )
    assert (root / "requirements.txt").read_text() == fixed_requirements
    assert fault_proxy.requests == 1 and local_index.requests == 0
    assert "hardpin.online.http" in mixed["modules"]
    assert not [t for t in mixed["threads"] if t.startswith("hardpin-lookup")]  # one key
    # the key asked over the network had no cache hit: only the 3 others count
    assert "hardpin: 4 lookups (0 failed), 1 requests, 3 cache hits" in err


def test_keys_that_need_requests_are_asked_concurrently(
    registry_anon: Registry,
    local_index: LocalIndex,
    tmp_path: Path,
) -> None:
    """Two keys the cache lacks next to one it has: the cached one is answered first,
    the two others from worker threads, and every answer lands on its own line."""
    host = registry_anon.host
    digests = {
        tag: push_image(registry_anon, "warm/multi", tag, "docker", seed=tag)["digest"]
        for tag in ("a", "b", "c")
    }
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".hardpin.toml").write_text(f'insecure-registries = ["{host}"]\n')
    args = ("check", "--fix", "--select", "HP101", "Dockerfile")
    (root / "Dockerfile").write_text(f"FROM {host}/warm/multi:a\n")
    first, _err = probe(tmp_path, root, *args)
    assert first["rc"] == 0
    (root / "Dockerfile").write_text("".join(f"FROM {host}/warm/multi:{t}\n" for t in "abc"))
    again, _err = probe(tmp_path, root, *args)
    assert again["rc"] == 0
    assert (root / "Dockerfile").read_text() == "".join(
        f"FROM {host}/warm/multi:{t}@{digests[t]}\n" for t in "abc"
    )
    # the two misses were shared by the main thread and one worker thread
    workers = [t for t in again["threads"] if t.startswith("hardpin-lookup")]
    assert len(workers) == 1
