"""Proxies from the environment, through a real forward proxy (tinyproxy): https
through a CONNECT tunnel (TLS still verified end to end), plain http as an
absolute-form request, `no_proxy` bypassing it, proxy credentials, and the rules of
`no_proxy` and of choosing a proxy."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from conftest import run_cli
from index_support import LocalIndex, index_server, local_index
from proxy_support import Tinyproxy, tinyproxy, tinyproxy_auth
from registry_support import (
    Registry,
    push_image,
    registry_anon,
    registry_anon_tls,
    shared_ca,
)

from hardpin.online.http import ProxyError, bypass_proxy, proxy_for


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "HARDPIN_OFFLINE": "",
        "HARDPIN_CACHE_DIR": str(tmp_path / "cache"),
        "DOCKER_CONFIG": str(tmp_path / "no-docker-config"),
        "PIP_INDEX_URL": "",
        "PIP_EXTRA_INDEX_URL": "",
        **extra,
    }


def _repo(tmp_path: Path, text: str, config: str = "") -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "Dockerfile").write_text(text)
    if config:
        (root / ".hardpin.toml").write_text(config)
    return root


def test_https_goes_through_a_connect_tunnel(
    registry_anon_tls: Registry, tinyproxy: Tinyproxy, tmp_path: Path
) -> None:
    reg = registry_anon_tls
    pushed = push_image(reg, "proxy/app", "1", "oci-index")
    root = _repo(tmp_path, f"FROM {reg.ref('proxy/app', '1')}\n")
    env = _env(tmp_path, HTTPS_PROXY=tinyproxy.url, SSL_CERT_FILE=shared_ca().cert_path)
    fix = run_cli("check", "--fix", "--select", "HP101", cwd=root, env=env)
    assert fix.returncode == 0, fix.stderr
    assert (root / "Dockerfile").read_text() == (
        f"FROM {reg.ref('proxy/app', '1', pushed['digest'])}\n"
    )
    assert f"CONNECT {reg.host} HTTP/1.1" in tinyproxy.requests()


def test_the_certificate_is_still_checked_through_the_tunnel(
    registry_anon_tls: Registry, tinyproxy: Tinyproxy, tmp_path: Path
) -> None:
    reg = registry_anon_tls
    push_image(reg, "proxy/app", "1", "docker")
    root = _repo(tmp_path, f"FROM {reg.ref('proxy/app', '1')}\n")
    fix = run_cli(
        "check",
        "--fix",
        "--select",
        "HP101",
        cwd=root,
        env=_env(tmp_path, https_proxy=tinyproxy.url),
    )
    assert fix.returncode == 1
    assert "TLS certificate not trusted" in fix.stderr and "Traceback" not in fix.stderr
    assert f"through the proxy {tinyproxy.host}" in fix.stderr, fix.stderr
    assert f"CONNECT {reg.host} HTTP/1.1" in tinyproxy.requests()
    assert "@sha256:" not in (root / "Dockerfile").read_text()


def test_plain_http_is_sent_to_the_proxy_in_absolute_form(
    registry_anon: Registry, tinyproxy: Tinyproxy, tmp_path: Path
) -> None:
    reg = registry_anon
    pushed = push_image(reg, "proxy/plain", "1", "docker-list")
    root = _repo(
        tmp_path,
        f"FROM {reg.ref('proxy/plain', '1')}\n",
        f'insecure-registries = ["{reg.host}"]\n',
    )
    # the lower-case spelling wins over the upper-case one (as curl reads them)
    env = _env(tmp_path, http_proxy=tinyproxy.url, HTTP_PROXY="http://127.0.0.1:9")
    fix = run_cli("check", "--fix", "--select", "HP101", cwd=root, env=env)
    assert fix.returncode == 0, fix.stderr
    assert pushed["digest"] in (root / "Dockerfile").read_text()
    assert f"GET http://{reg.host}/v2/proxy/plain/manifests/1 HTTP/1.1" in tinyproxy.requests()


def test_no_proxy_goes_direct(
    registry_anon: Registry, tinyproxy: Tinyproxy, tmp_path: Path
) -> None:
    reg = registry_anon
    pushed = push_image(reg, "proxy/direct", "1", "oci")
    root = _repo(
        tmp_path,
        f"FROM {reg.ref('proxy/direct', '1')}\n",
        f'insecure-registries = ["{reg.host}"]\n',
    )
    env = _env(tmp_path, HTTP_PROXY=tinyproxy.url, NO_PROXY="example.com, 127.0.0.0/8")
    fix = run_cli("check", "--fix", "--select", "HP101", cwd=root, env=env)
    assert fix.returncode == 0, fix.stderr
    assert pushed["digest"] in (root / "Dockerfile").read_text()
    assert tinyproxy.requests() == []


def test_proxy_credentials_from_the_proxy_url(
    registry_anon_tls: Registry, tinyproxy_auth: Tinyproxy, tmp_path: Path
) -> None:
    reg = registry_anon_tls
    pushed = push_image(reg, "proxy/auth", "1", "docker")
    root = _repo(tmp_path, f"FROM {reg.ref('proxy/auth', '1')}\n")
    ca = shared_ca().cert_path
    # without credentials: a clear one-line error naming the proxy
    env = _env(tmp_path, HTTPS_PROXY=tinyproxy_auth.url, SSL_CERT_FILE=ca)
    bad = run_cli("check", "--fix", "--select", "HP101", cwd=root, env=env)
    assert bad.returncode == 1
    assert f"the proxy {tinyproxy_auth.host} asks for credentials (HTTP 407)" in bad.stderr
    # wrong ones: refused, and the password is never shown
    proxy = f"http://proxyuser:wr0ng-PASS@{tinyproxy_auth.host}"
    env = _env(tmp_path, HTTPS_PROXY=proxy, SSL_CERT_FILE=ca)
    bad = run_cli("check", "--fix", "--verbose", "--select", "HP101", cwd=root, env=env)
    assert "refused the credentials in its URL" in bad.stderr, bad.stderr
    assert "wr0ng-PASS" not in bad.stderr + bad.stdout
    assert "@sha256:" not in (root / "Dockerfile").read_text()
    # the right ones (percent-encoded in the URL, as curl takes them)
    proxy = f"http://proxyuser:pr0xy%2DS3CRET@{tinyproxy_auth.host}"
    env = _env(tmp_path, HTTPS_PROXY=proxy, SSL_CERT_FILE=ca)
    good = run_cli("check", "--fix", "--verbose", "--select", "HP101", cwd=root, env=env)
    assert good.returncode == 0, good.stderr
    assert pushed["digest"] in (root / "Dockerfile").read_text()
    assert "pr0xy" not in good.stderr + good.stdout


def test_plain_http_carries_the_proxy_credentials(
    registry_anon: Registry, tinyproxy_auth: Tinyproxy, tmp_path: Path
) -> None:
    reg = registry_anon
    pushed = push_image(reg, "proxy/auth-plain", "1", "oci")
    root = _repo(
        tmp_path,
        f"FROM {reg.ref('proxy/auth-plain', '1')}\n",
        f'insecure-registries = ["{reg.host}"]\n',
    )
    env = _env(tmp_path, HTTP_PROXY=tinyproxy_auth.url)
    bad = run_cli("check", "--fix", "--select", "HP101", cwd=root, env=env)
    assert f"the proxy {tinyproxy_auth.host} asks for credentials (HTTP 407)" in bad.stderr
    env = _env(tmp_path, HTTP_PROXY=f"http://proxyuser:pr0xy-S3CRET@{tinyproxy_auth.host}")
    good = run_cli("check", "--fix", "--select", "HP101", cwd=root, env=env)
    assert good.returncode == 0, good.stderr
    assert pushed["digest"] in (root / "Dockerfile").read_text()


def test_the_package_index_goes_through_the_proxy(
    local_index: LocalIndex, tinyproxy: Tinyproxy, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "requirements.txt").write_text("alpha==1.1\n")
    env = _env(tmp_path, HTTP_PROXY=tinyproxy.url)
    args = ("check", "--fix", "--select", "HP302", "--index-url", local_index.url)
    fix = run_cli(*args, "requirements.txt", cwd=root, env=env)
    assert fix.returncode == 0, fix.stderr
    hashes = local_index.model.hashes("alpha", "1.1")
    assert all(h in (root / "requirements.txt").read_text() for h in hashes)
    assert any(line.startswith(f"GET {local_index.base}") for line in tinyproxy.requests()), (
        tinyproxy.requests()
    )


def test_an_unreachable_proxy_is_named_in_the_error(
    registry_anon: Registry, tmp_path: Path
) -> None:
    reg = registry_anon
    push_image(reg, "proxy/down", "1", "docker")
    root = _repo(
        tmp_path, f"FROM {reg.ref('proxy/down', '1')}\n", f'insecure-registries = ["{reg.host}"]\n'
    )
    env = _env(tmp_path, HTTP_PROXY="http://127.0.0.1:9")
    bad = run_cli("check", "--fix", "--select", "HP101", cwd=root, env=env)
    assert bad.returncode == 1
    assert "connection refused (through the proxy 127.0.0.1:9)" in bad.stderr, bad.stderr


# -- the rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "host, port, no_proxy, bypass",
    [
        ("registry.example.com", 443, "example.com", True),
        ("registry.example.com", 443, ".example.com", True),
        ("example.com", 443, ".example.com", True),
        ("notexample.com", 443, "example.com", False),
        ("registry.example.com", 443, "other.org,example.com", True),
        ("registry.example.com", 443, "other.org example.com", True),
        ("registry.example.com", 5000, "example.com:443", False),
        ("registry.example.com", 443, "example.com:443", True),
        ("10.1.2.3", 80, "10.0.0.0/8", True),
        ("11.1.2.3", 80, "10.0.0.0/8", False),
        ("127.0.0.1", 5000, "127.0.0.1", True),
        ("::1", 5000, "[::1]:5000", True),
        ("::1", 5000, "::1", True),
        ("anything.org", 443, "*", True),
        ("Registry.Example.COM.", 443, "EXAMPLE.com", True),
        ("registry.example.com", 443, "", False),
    ],
)
def test_no_proxy_rules(host: str, port: int, no_proxy: str, bypass: bool) -> None:
    assert bypass_proxy(host, port, no_proxy) is bypass


def test_which_proxy() -> None:
    env = {"HTTPS_PROXY": "proxy.corp:3128", "http_proxy": "http://plain.corp:8080"}
    tls = proxy_for("https", "ghcr.io", 443, env)
    assert tls is not None and (tls.host, tls.port, tls.authorization) == ("proxy.corp", 3128, None)
    plain = proxy_for("http", "localhost", 5000, env)
    assert plain is not None and plain.shown == "plain.corp:8080"
    assert proxy_for("https", "ghcr.io", 443, {"ALL_PROXY": "http://all:1"}) is not None
    assert proxy_for("https", "ghcr.io", 443, {}) is None
    # in a CGI request, HTTP_PROXY may come from a client's `Proxy:` header (httpoxy)
    assert proxy_for("http", "h", 80, {"HTTP_PROXY": "http://p:1", "REQUEST_METHOD": "GET"}) is None
    creds = proxy_for("https", "h", 443, {"https_proxy": "http://u%40corp:p%3Aw@p:1"})
    assert creds is not None
    assert creds.authorization == "Basic " + base64.b64encode(b"u@corp:p:w").decode()
    assert "p:w" not in repr(creds.shown)
    with pytest.raises(ProxyError, match="only http:// proxies"):
        proxy_for("https", "h", 443, {"https_proxy": "socks5://u:secret@p:1080"})
    try:
        proxy_for("https", "h", 443, {"https_proxy": "socks5://u:secret@p:1080"})
    except ProxyError as exc:
        assert "secret" not in str(exc)
