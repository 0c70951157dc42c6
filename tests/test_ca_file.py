"""Private CAs: the `ca-file` setting and SSL_CERT_FILE / REQUESTS_CA_BUNDLE /
PIP_CERT, against the real registry served on TLS with a certificate from the test CA
(registry_support.shared_ca)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from registry_support import (
    Registry,
    push_image,
    registry_anon_tls,
    registry_token_tls,
    shared_ca,
)

from hardpin.online.resolve import ca_file


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "HARDPIN_OFFLINE": "",
        "HARDPIN_CACHE_DIR": str(tmp_path / "cache"),
        "DOCKER_CONFIG": str(tmp_path / "no-docker-config"),
        # none of the CA variables of the machine running the tests
        "SSL_CERT_FILE": "",
        "REQUESTS_CA_BUNDLE": "",
        "PIP_CERT": "",
    }
    return {**env, **extra}


def _repo(tmp_path: Path, reg: Registry, config: str = "") -> tuple[Path, str]:
    pushed = push_image(reg, "ca/app", "1", "oci-index")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "Dockerfile").write_text(f"FROM {reg.ref('ca/app', '1')}\n")
    if config:
        (root / ".hardpin.toml").write_text(config)
    return root, reg.ref("ca/app", "1", pushed["digest"])


def test_without_the_ca_the_lookup_fails_with_one_clear_line(
    registry_anon_tls: Registry, tmp_path: Path
) -> None:
    root, _pinned = _repo(tmp_path, registry_anon_tls)
    r = run_cli("check", "--fix", "--select", "HP101", cwd=root, env=_env(tmp_path))
    assert r.returncode == 1
    [line] = [ln for ln in r.stderr.splitlines() if "cannot fix" in ln]
    assert "TLS certificate not trusted" in line and "`ca-file`" in line, line
    assert "Traceback" not in r.stderr
    assert "@sha256:" not in (root / "Dockerfile").read_text()


def test_the_ca_file_setting_relative_to_the_configuration(
    registry_anon_tls: Registry, tmp_path: Path
) -> None:
    root, pinned = _repo(tmp_path, registry_anon_tls, 'ca-file = "certs/corp-ca.pem"\n')
    (root / "certs").mkdir()
    shutil.copy(shared_ca().cert_path, root / "certs" / "corp-ca.pem")
    # run from elsewhere: the path is the configuration file's, not the current directory's
    r = run_cli(
        "check", "--fix", "--select", "HP101", "repo/Dockerfile", cwd=tmp_path, env=_env(tmp_path)
    )
    assert r.returncode == 0, r.stderr
    assert (root / "Dockerfile").read_text() == f"FROM {pinned}\n"


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT"])
def test_the_ca_from_the_environment(
    registry_anon_tls: Registry, tmp_path: Path, variable: str
) -> None:
    root, pinned = _repo(tmp_path, registry_anon_tls)
    env = _env(tmp_path, **{variable: shared_ca().cert_path})
    r = run_cli("check", "--fix", "--select", "HP101", cwd=root, env=env)
    assert r.returncode == 0, r.stderr
    assert (root / "Dockerfile").read_text() == f"FROM {pinned}\n"


def test_the_setting_wins_over_the_environment(registry_anon_tls: Registry, tmp_path: Path) -> None:
    root, pinned = _repo(tmp_path, registry_anon_tls, f'ca-file = "{shared_ca().cert_path}"\n')
    # a bundle without the test CA in the environment: not used
    other = tmp_path / "other.pem"
    other.write_text(Path(shared_ca().cert_path).read_text().replace("CERTIFICATE", "X509 CRL"))
    env = _env(tmp_path, REQUESTS_CA_BUNDLE=str(other))
    r = run_cli("check", "--fix", "--select", "HP101", cwd=root, env=env)
    assert r.returncode == 0, r.stderr
    assert (root / "Dockerfile").read_text() == f"FROM {pinned}\n"


def test_a_missing_ca_file_is_a_clear_error(registry_anon_tls: Registry, tmp_path: Path) -> None:
    root, _pinned = _repo(tmp_path, registry_anon_tls, 'ca-file = "missing.pem"\n')
    r = run_cli("check", "--fix", "--select", "HP101", cwd=root, env=_env(tmp_path))
    assert r.returncode == 1
    assert f"cannot load the CA certificates of {root / 'missing.pem'}" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_ca_file_order() -> None:
    env = {"SSL_CERT_FILE": "/a", "REQUESTS_CA_BUNDLE": "/b", "PIP_CERT": "/c"}
    assert ca_file("/setting", env) == "/setting"
    assert ca_file(None, env) == "/a"
    assert ca_file(None, {**env, "SSL_CERT_FILE": ""}) == "/b"
    assert ca_file(None, {"PIP_CERT": "/c"}) == "/c"
    assert ca_file(None, {}) is None


def test_a_private_registry_end_to_end(registry_token_tls: Registry, tmp_path: Path) -> None:
    """TLS from a private CA (`ca-file`), a token realm on TLS too, and an identity
    (refresh) token from podman's auth file: the OAuth2 refresh-token grant, with no
    secret in anything printed."""
    import json

    from registry_support import REFRESH_TOKENS

    reg = registry_token_tls
    ts = reg.token_server
    assert ts is not None
    root, pinned = _repo(tmp_path, reg, f'ca-file = "{shared_ca().cert_path}"\n')
    refresh = next(iter(REFRESH_TOKENS))
    runtime = tmp_path / "run"
    (runtime / "containers").mkdir(parents=True)
    (runtime / "containers" / "auth.json").write_text(
        json.dumps({"auths": {reg.host: {"identitytoken": refresh}}})
    )
    env = _env(tmp_path, XDG_RUNTIME_DIR=str(runtime), HOME=str(tmp_path / "home"))
    ts.anonymous_pull = False
    try:
        r = run_cli("check", "--fix", "--verbose", "--select", "HP101", cwd=root, env=env)
    finally:
        ts.anonymous_pull = True
    assert r.returncode == 0, r.stderr
    assert (root / "Dockerfile").read_text() == f"FROM {pinned}\n"
    assert ("POST", "alice") in [q[:2] for q in ts.requests]
    assert refresh not in r.stdout + r.stderr
    assert not [t for t in ts.tokens if t in r.stdout + r.stderr]
