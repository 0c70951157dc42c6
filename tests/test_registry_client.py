"""The registry client against a real registry (Debian's docker-registry 2.8.2).

Three set-ups (anonymous, htpasswd Basic, token auth), faults injected by a
loopback proxy, credentials from Docker config files and credential helpers.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from registry_support import (
    KINDS,
    REFRESH_TOKENS,
    USERS,
    FaultProxy,
    Registry,
    fault_proxy,
    move_tag,
    push_image,
    registry_anon,
    registry_anon_tls,
    registry_basic,
    registry_token,
    registry_token_tls,
    retag,
    shared_ca,
    token_server,
)

from hardpin.online.auth import (
    Credentials,
    Keychain,
    StaticKeychain,
    parse_www_authenticate,
)
from hardpin.online.cache import Cache
from hardpin.online.http import Http
from hardpin.online.registry import (
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    OCI_INDEX,
    OCI_MANIFEST,
    RegistryClient,
    RegistryError,
)
from hardpin.refs import parse_image

REPO = "hardpin/app"
MEDIA = {
    "docker": DOCKER_MANIFEST,
    "oci": OCI_MANIFEST,
    "oci-index": OCI_INDEX,
    "docker-list": DOCKER_MANIFEST_LIST,
}
ALICE = USERS["alice"]
_PUSHED: dict[str, dict[str, dict[str, Any]]] = {}


def images(reg: Registry) -> dict[str, dict[str, Any]]:
    """One image of each kind, tagged with the kind's name, pushed once per registry."""
    if reg.url not in _PUSHED:
        _PUSHED[reg.url] = {kind: push_image(reg, REPO, kind, kind) for kind in KINDS}
    return _PUSHED[reg.url]


_OPEN: list[Http] = []


def new_http(**kw: Any) -> Http:
    http = Http(**kw)
    _OPEN.append(http)
    return http


@pytest.fixture(autouse=True)
def _close_connections() -> Any:
    yield
    while _OPEN:
        _OPEN.pop().close()  # this thread's kept-alive connections


def make_client(
    tmp_path: Path,
    *hosts: str,
    auth: Any = None,
    timeout: float = 5.0,
    retries: int = 2,
    cache: Cache | None = None,
    cafile: str | None = None,
    **kw: Any,
) -> RegistryClient:
    tls = {"cafile": cafile} if cafile else {}
    http = new_http(
        timeout=timeout, retries=retries, backoff=0.01, insecure_hosts=frozenset(hosts), **tls
    )
    return RegistryClient(
        http,
        cache or Cache(str(tmp_path / "cache")),
        insecure_registries=hosts,
        auth=auth if auth is not None else StaticKeychain(),
        **kw,
    )


def alice_keychain(reg: Registry) -> StaticKeychain:
    return StaticKeychain({reg.host: Credentials(username="alice", password=ALICE, source="test")})


def write_config(directory: Path, config: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.json"
    path.write_text(json.dumps(config))
    return path


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture(params=["anon", "basic", "token", "anon_tls", "token_tls"])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Registry, RegistryClient]:
    """A registry and a client for it: plain HTTP (listed as insecure) in three auth
    set-ups, and https (the test CA trusted, nothing listed) anonymous and with tokens."""
    reg: Registry = request.getfixturevalue(f"registry_{request.param}")
    hosts = [] if reg.tls else [reg.host]
    auth = None
    if reg.auth == "basic":
        auth = alice_keychain(reg)
    if reg.auth == "token":
        assert reg.token_server is not None
        reg.token_server.reset()
        if not reg.tls:
            hosts.append(reg.token_server.host)
    cafile = shared_ca().cert_path if reg.tls else None
    return reg, make_client(tmp_path, *hosts, auth=auth, cafile=cafile)


# ---------------------------------------------------------------------------
# Resolving, in all three set-ups
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_resolve_gives_the_pushed_digest(setup: tuple[Registry, RegistryClient], kind: str) -> None:
    reg, client = setup
    pushed = images(reg)[kind]
    scheme = "https" if reg.tls else "http"
    assert client.api_base(parse_image(reg.ref(REPO))) == f"{scheme}://{reg.host}"
    desc = client.resolve(reg.ref(REPO, kind))
    # the index / manifest list digest, never a child's
    assert desc.digest == pushed["digest"]
    assert desc.media_type == MEDIA[kind]
    assert desc.size == pushed["size"]
    assert desc.digest not in pushed["children"].values()


def test_manifest_exists_and_blob(setup: tuple[Registry, RegistryClient]) -> None:
    reg, client = setup
    pushed = images(reg)["oci-index"]
    ref = parse_image(reg.ref(REPO, "oci-index"))
    desc, index = client.manifest(ref, pushed["digest"])
    assert desc.digest == pushed["digest"] and desc.media_type == OCI_INDEX
    children = {
        f"{m['platform']['os']}/{m['platform']['architecture']}": m["digest"]
        for m in index["manifests"]
    }
    assert children == pushed["children"]
    child, manifest = client.manifest(ref, pushed["children"]["linux/arm64"])
    assert child.media_type == OCI_MANIFEST
    config = json.loads(client.blob(ref, manifest["config"]["digest"], 1 << 20))
    assert (config["os"], config["architecture"]) == ("linux", "arm64")
    assert client.exists(ref, pushed["digest"]) is True
    assert client.exists(ref, "sha256:" + "0" * 64) is False
    # a digest-only reference is described without a tag
    assert client.resolve(reg.ref(REPO, digest=pushed["digest"])).media_type == OCI_INDEX


def test_unknown_tag_and_repository(setup: tuple[Registry, RegistryClient]) -> None:
    reg, client = setup
    images(reg)
    with pytest.raises(RegistryError, match=r"hardpin/app:no-such-tag: tag not found"):
        client.resolve(reg.ref(REPO, "no-such-tag"))
    assert client.exists(reg.ref("hardpin/none"), "sha256:" + "1" * 64) is False


def test_small_blob_limit(registry_anon: Registry, tmp_path: Path) -> None:
    client = make_client(tmp_path, registry_anon.host)
    pushed = images(registry_anon)["docker"]
    with pytest.raises(RegistryError, match="larger than 10 bytes"):
        client.blob(registry_anon.ref(REPO), pushed["config"], 10)


def test_invalid_references(tmp_path: Path) -> None:
    client = make_client(tmp_path)
    with pytest.raises(RegistryError, match="invalid image reference"):
        client.resolve("Bad Name:tag")
    with pytest.raises(RegistryError, match="is not a digest: a sha256 digest has 64 hex digits"):
        client.manifest("alpine", "sha256:abc")


def test_api_endpoints(tmp_path: Path) -> None:
    client = make_client(tmp_path, "localhost:5000")
    assert client.api_base(parse_image("alpine:3")) == "https://registry-1.docker.io"
    assert (
        client.api_base(parse_image("index.docker.io/library/alpine"))
        == "https://registry-1.docker.io"
    )
    assert client.api_base(parse_image("localhost:5000/a/b:1")) == "http://localhost:5000"
    assert client.api_base(parse_image("127.0.0.1:5000/a")) == "https://127.0.0.1:5000"
    assert client.api_base(parse_image("ghcr.io/o/i:1")) == "https://ghcr.io"


# ---------------------------------------------------------------------------
# Registry misbehaviour, through the fault proxy
# ---------------------------------------------------------------------------


def _proxied(proxy: FaultProxy, tmp_path: Path, **kw: Any) -> RegistryClient:
    """A client through the fault proxy that resolves tags with HEAD, as it does for
    Docker Hub (other registries get one GET, see test_get_mode_*)."""
    kw.setdefault("head_registries", (proxy.host,))
    return make_client(tmp_path, proxy.host, **kw)


@pytest.mark.parametrize("kind", KINDS)
def test_get_mode_resolves_with_one_verified_request(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path, kind: str
) -> None:
    pushed = images(registry_anon)[kind]
    client = make_client(tmp_path, fault_proxy.host)
    desc = client.resolve(fault_proxy.ref(REPO, kind))
    assert (desc.digest, desc.media_type, desc.size) == (
        pushed["digest"],
        MEDIA[kind],
        pushed["size"],
    )
    assert [(m, p) for m, p, _s in fault_proxy.log] == [("GET", f"/v2/{REPO}/manifests/{kind}")]
    # the manifest came with it: reading it by digest needs no request
    assert client.manifest(fault_proxy.ref(REPO), pushed["digest"])[0].digest == pushed["digest"]
    assert fault_proxy.requests == 1


def test_get_mode_refuses_a_wrong_digest(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    images(registry_anon)
    fault_proxy.add("wrong_digest")
    with pytest.raises(RegistryError, match="refusing"):
        make_client(tmp_path, fault_proxy.host).resolve(fault_proxy.ref(REPO, "oci-index"))


@pytest.mark.parametrize("kind", ["docker", "oci-index", "docker-list"])
def test_missing_digest_header_falls_back_to_get(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path, kind: str
) -> None:
    pushed = images(registry_anon)[kind]
    fault_proxy.add("no_digest")
    desc = _proxied(fault_proxy, tmp_path).resolve(fault_proxy.ref(REPO, kind))
    assert desc.digest == pushed["digest"] and desc.media_type == MEDIA[kind]
    assert ("GET", f"/v2/{REPO}/manifests/{kind}", 200) in fault_proxy.log


def test_unexpected_content_type_falls_back_to_get(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    pushed = images(registry_anon)["oci-index"]
    fault_proxy.add("header", name="Content-Type", value="application/json")
    desc = _proxied(fault_proxy, tmp_path).resolve(fault_proxy.ref(REPO, "oci-index"))
    assert desc.digest == pushed["digest"] and desc.media_type == OCI_INDEX


def test_schema1_is_refused(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    images(registry_anon)
    fault_proxy.add(
        "header",
        name="Content-Type",
        value="application/vnd.docker.distribution.manifest.v1+prettyjws",
    )
    with pytest.raises(RegistryError, match="schema 1"):
        _proxied(fault_proxy, tmp_path).resolve(fault_proxy.ref(REPO, "docker"))


def test_wrong_digest_header_is_never_returned(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    pushed = images(registry_anon)["docker-list"]
    client = _proxied(fault_proxy, tmp_path)
    fault_proxy.add("wrong_digest")
    with pytest.raises(RegistryError, match="refusing"):
        client.resolve(fault_proxy.ref(REPO, "docker-list"))
    # a wrong header on HEAD only: the GET fallback finds the right digest
    fault_proxy.clear()
    fault_proxy.add("wrong_digest", method="HEAD", path="/manifests/docker-list$")
    assert client.resolve(fault_proxy.ref(REPO, "docker-list")).digest == pushed["digest"]
    assert ("GET", f"/v2/{REPO}/manifests/docker-list", 200) in fault_proxy.log
    # the GET fallback compares the header with the body's hash
    client = _proxied(fault_proxy, tmp_path / "2")
    fault_proxy.clear()
    fault_proxy.add("wrong_digest", method="GET")
    fault_proxy.add("no_digest", method="HEAD")
    with pytest.raises(RegistryError, match="refusing"):
        client.resolve(fault_proxy.ref(REPO, "docker-list"))
    # a body that does not hash to the requested digest
    fault_proxy.clear()
    fault_proxy.add("wrong_digest")
    with pytest.raises(RegistryError, match="does not match its digest"):
        client.manifest(fault_proxy.ref(REPO), pushed["digest"])
    # nothing wrong was cached: a clean registry gives the right answers
    fault_proxy.clear()
    assert client.resolve(fault_proxy.ref(REPO, "docker-list")).digest == pushed["digest"]
    assert client.manifest(fault_proxy.ref(REPO), pushed["digest"])[0].digest == pushed["digest"]


def test_429_with_retry_after_then_success(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    pushed = images(registry_anon)["docker"]
    fault_proxy.add("status", status=429, retry_after="0", count=2)
    assert (
        _proxied(fault_proxy, tmp_path).resolve(fault_proxy.ref(REPO, "docker")).digest
        == pushed["digest"]
    )
    assert [s for _m, _p, s in fault_proxy.log][:2] == [429, 429]


def test_500_then_success(fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path) -> None:
    pushed = images(registry_anon)["oci"]
    fault_proxy.add("status", status=500, count=2)
    assert (
        _proxied(fault_proxy, tmp_path).resolve(fault_proxy.ref(REPO, "oci")).digest
        == pushed["digest"]
    )


def test_500_forever_gives_a_clear_error(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    images(registry_anon)
    fault_proxy.add("status", status=500)
    with pytest.raises(RegistryError) as err:
        _proxied(fault_proxy, tmp_path, retries=2).resolve(fault_proxy.ref(REPO, "docker"))
    assert str(err.value) == f"{fault_proxy.host}/{REPO}:docker: the registry answered HTTP 500"
    assert fault_proxy.requests == 3  # bounded: the first try and two retries
    # a GET's error body gives the registry's error code
    digest = images(registry_anon)["docker"]["digest"]
    with pytest.raises(RegistryError) as err:
        _proxied(fault_proxy, tmp_path, retries=0).manifest(fault_proxy.ref(REPO), digest)
    assert str(err.value) == (
        f"{fault_proxy.host}/{REPO}@{digest}: the registry answered "
        "HTTP 500 UNKNOWN: injected fault"
    )


def test_429_forever_says_rate_limited(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    fault_proxy.add("status", status=429, retry_after="0")
    with pytest.raises(RegistryError, match=r"HTTP 429 \(rate limited\)"):
        _proxied(fault_proxy, tmp_path, retries=1).resolve(fault_proxy.ref(REPO, "docker"))
    with pytest.raises(
        RegistryError, match=r"HTTP 429 TOOMANYREQUESTS: injected fault \(rate limited\)"
    ):
        _proxied(fault_proxy, tmp_path, retries=0).blob(
            fault_proxy.ref(REPO), "sha256:" + "3" * 64, 100
        )


def test_dropped_connection_is_retried(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    pushed = images(registry_anon)["oci-index"]
    fault_proxy.add("drop", count=3)
    assert (
        _proxied(fault_proxy, tmp_path, retries=3)
        .resolve(fault_proxy.ref(REPO, "oci-index"))
        .digest
        == pushed["digest"]
    )
    assert fault_proxy.log[0][2] == 0


def test_slow_registry_times_out(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    fault_proxy.add("delay", seconds=5.0)
    with pytest.raises(RegistryError, match="timed out"):
        _proxied(fault_proxy, tmp_path, timeout=0.2, retries=1).resolve(
            fault_proxy.ref(REPO, "docker")
        )


def test_plain_http_only_to_listed_hosts(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    images(registry_anon)
    # not listed: hardpin speaks TLS, which a plain-HTTP registry cannot answer
    client = make_client(tmp_path, retries=0)
    with pytest.raises(RegistryError, match="insecure-registries"):
        client.resolve(fault_proxy.ref(REPO, "docker"))
    # an Http that would allow plain HTTP everywhere changes nothing: the client picks https
    lax = RegistryClient(
        new_http(timeout=2, retries=0, insecure_hosts=None),
        Cache(str(tmp_path / "c2")),
        auth=StaticKeychain(),
    )
    with pytest.raises(RegistryError):
        lax.resolve(fault_proxy.ref(REPO, "docker"))
    assert fault_proxy.requests == 0  # no plain-HTTP request reached the registry
    # listing the loopback host is what allows it
    assert make_client(tmp_path, fault_proxy.host).resolve(fault_proxy.ref(REPO, "docker"))


# ---------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------


def _token_client(reg: Registry, tmp_path: Path, **kw: Any) -> RegistryClient:
    assert reg.token_server is not None
    return make_client(tmp_path, reg.host, reg.token_server.host, **kw)


def test_tokens_are_reused_per_scope(
    registry_token: Registry, token_server: Any, tmp_path: Path
) -> None:
    pushed = images(registry_token)
    push_image(registry_token, "hardpin/other", "v1", "docker")
    client = _token_client(registry_token, tmp_path)
    for kind in KINDS:
        client.resolve(registry_token.ref(REPO, kind))
    client.manifest(registry_token.ref(REPO), pushed["oci-index"]["digest"])
    client.exists(registry_token.ref(REPO), pushed["docker"]["digest"])
    assert token_server.issued == 1
    assert token_server.requests[0] == ("GET", None, (f"repository:{REPO}:pull",))
    client.resolve(registry_token.ref("hardpin/other", "v1"))
    assert token_server.issued == 2  # another repository, another scope


def test_concurrent_lookups_share_one_token(
    registry_token: Registry, token_server: Any, tmp_path: Path
) -> None:
    images(registry_token)
    client = _token_client(registry_token, tmp_path)
    refs = [registry_token.ref(REPO, KINDS[i % len(KINDS)]) for i in range(32)]
    digests: dict[int, str] = {}
    start = threading.Barrier(16)

    def work(n: int) -> None:
        start.wait()
        for i in (n, n + 16):
            digests[i] = client.resolve(refs[i]).digest
        client.http.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [digests.get(i) for i in range(32)] == [
        images(registry_token)[KINDS[i % len(KINDS)]]["digest"] for i in range(32)
    ]
    assert token_server.issued == 1


def test_token_expiry(registry_token: Registry, token_server: Any, tmp_path: Path) -> None:
    images(registry_token)
    now = [1000.0]
    client = _token_client(registry_token, tmp_path, tag_ttl=0)
    client.authorizer.clock = lambda: now[0]
    token_server.token_field = "access_token"
    token_server.expires_in = None  # the spec's default: 60 s
    client.resolve(registry_token.ref(REPO, "docker"))
    now[0] += 30
    client.resolve(registry_token.ref(REPO, "oci"))
    assert token_server.issued == 1
    now[0] += 31
    client.resolve(registry_token.ref(REPO, "oci-index"))
    assert token_server.issued == 2
    token_server.expires_in = 600
    token_server.token_field = "both"
    now[0] += 100
    client.resolve(registry_token.ref(REPO, "docker"))
    now[0] += 500
    client.resolve(registry_token.ref(REPO, "docker"))
    assert token_server.issued == 3


def test_private_repository_needs_credentials(
    registry_token: Registry, token_server: Any, tmp_path: Path
) -> None:
    pushed = images(registry_token)["docker-list"]
    token_server.anonymous_pull = False
    with pytest.raises(RegistryError, match=r"insufficient_scope.*no credentials"):
        _token_client(registry_token, tmp_path).resolve(registry_token.ref(REPO, "docker-list"))
    client = _token_client(registry_token, tmp_path, auth=alice_keychain(registry_token))
    assert client.resolve(registry_token.ref(REPO, "docker-list")).digest == pushed["digest"]
    assert token_server.requests[-1][1] == "alice"


def test_identity_token_uses_the_oauth2_refresh_flow(
    registry_token: Registry, token_server: Any, tmp_path: Path
) -> None:
    pushed = images(registry_token)["oci"]
    token_server.anonymous_pull = False
    refresh = next(iter(REFRESH_TOKENS))
    cfg = write_config(
        tmp_path / "docker", {"auths": {registry_token.host: {"identitytoken": refresh}}}
    )
    keychain = Keychain(env={"DOCKER_CONFIG": str(cfg.parent)})
    client = _token_client(registry_token, tmp_path, auth=keychain)
    assert client.resolve(registry_token.ref(REPO, "oci")).digest == pushed["digest"]
    assert token_server.requests[-1][:2] == ("POST", "alice")


def test_token_realm_over_plain_http_must_be_listed(
    registry_token: Registry, token_server: Any, tmp_path: Path
) -> None:
    images(registry_token)
    client = make_client(tmp_path, registry_token.host)  # the token server's host is not listed
    with pytest.raises(RegistryError, match="refusing plain HTTP to the token realm"):
        client.resolve(registry_token.ref(REPO, "docker"))
    assert token_server.issued == 0


# ---------------------------------------------------------------------------
# Credentials
# ---------------------------------------------------------------------------


def _helper(bindir: Path, name: str, secret_by_url: dict[str, tuple[str, str]], log: Path) -> None:
    """A docker-credential-<name> script: `get` reads a server URL, prints JSON or fails."""
    bindir.mkdir(parents=True, exist_ok=True)
    script = bindir / f"docker-credential-{name}"
    import sys

    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"table = {json.dumps({k: list(v) for k, v in secret_by_url.items()})}\n"
        "url = sys.stdin.read().strip()\n"
        f"open({str(log)!r}, 'a').write(sys.argv[1] + ' ' + url + '\\n')\n"
        "if url not in table:\n"
        "    print('credentials not found in native keychain'); sys.exit(1)\n"
        "user, secret = table[url]\n"
        "print(json.dumps({'ServerURL': url, 'Username': user, 'Secret': secret}))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def _basic_client(reg: Registry, tmp_path: Path, env: dict[str, str]) -> RegistryClient:
    return make_client(tmp_path, reg.host, auth=Keychain(env=env))


def test_docker_config_auths(registry_basic: Registry, tmp_path: Path) -> None:
    pushed = images(registry_basic)["docker"]
    ref = registry_basic.ref(REPO, "docker")
    d1 = write_config(
        tmp_path / "d1", {"auths": {registry_basic.host: {"auth": b64(f"alice:{ALICE}")}}}
    )
    assert (
        _basic_client(registry_basic, tmp_path / "1", {"DOCKER_CONFIG": str(d1.parent)})
        .resolve(ref)
        .digest
        == pushed["digest"]
    )
    # username/password fields, a key with a scheme; found through $HOME/.docker
    home = tmp_path / "home"
    write_config(
        home / ".docker",
        {"auths": {f"https://{registry_basic.host}/v2/": {"username": "alice", "password": ALICE}}},
    )
    assert (
        _basic_client(registry_basic, tmp_path / "2", {"HOME": str(home)}).resolve(ref).digest
        == pushed["digest"]
    )


def test_cred_helpers_and_creds_store(registry_basic: Registry, tmp_path: Path) -> None:
    pushed = images(registry_basic)["oci-index"]
    ref = registry_basic.ref(REPO, "oci-index")
    bindir, calls = tmp_path / "bin", tmp_path / "calls.log"
    _helper(bindir, "test", {registry_basic.host: ("alice", ALICE)}, calls)
    _helper(bindir, "empty", {}, calls)
    path = f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"
    # credHelpers[host] wins over credsStore and auths
    cfg = write_config(
        tmp_path / "h",
        {
            "credHelpers": {registry_basic.host: "test"},
            "credsStore": "empty",
            "auths": {registry_basic.host: {"auth": b64("alice:wrong-password")}},
        },
    )
    env = {"DOCKER_CONFIG": str(cfg.parent), "PATH": path}
    assert (
        _basic_client(registry_basic, tmp_path / "1", env).resolve(ref).digest == pushed["digest"]
    )
    assert calls.read_text() == f"get {registry_basic.host}\n"
    # credsStore
    cfg = write_config(tmp_path / "s", {"credsStore": "test", "auths": {registry_basic.host: {}}})
    env = {"DOCKER_CONFIG": str(cfg.parent), "PATH": path}
    assert (
        _basic_client(registry_basic, tmp_path / "2", env).resolve(ref).digest == pushed["digest"]
    )
    # a store without the entry falls through to auths
    cfg = write_config(
        tmp_path / "f",
        {"credsStore": "empty", "auths": {registry_basic.host: {"auth": b64(f"alice:{ALICE}")}}},
    )
    env = {"DOCKER_CONFIG": str(cfg.parent), "PATH": path}
    assert (
        _basic_client(registry_basic, tmp_path / "3", env).resolve(ref).digest == pushed["digest"]
    )


def test_failing_credential_helper(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "docker-credential-broken"
    script.write_text("#!/bin/sh\necho 'secret-ish diagnostics' >&2\nexit 3\n")
    script.chmod(0o755)
    cfg = write_config(tmp_path / "c", {"credsStore": "broken"})
    kc = Keychain(env={"DOCKER_CONFIG": str(cfg.parent), "PATH": str(bindir)})
    from hardpin.online.auth import CredentialError

    with pytest.raises(
        CredentialError, match=r"docker-credential-broken get failed \(exit status 3\)"
    ):
        kc.get("ghcr.io")
    # a helper that is not installed: no credentials (anonymous pulls still work)
    cfg = write_config(tmp_path / "m", {"credsStore": "missing"})
    assert (
        Keychain(env={"DOCKER_CONFIG": str(cfg.parent), "PATH": str(bindir)}).get("ghcr.io") is None
    )


def test_registry_auth_file(registry_basic: Registry, tmp_path: Path) -> None:
    pushed = images(registry_basic)["docker-list"]
    auth_file = tmp_path / "auth.json"
    auth_file.write_text(
        json.dumps({"auths": {registry_basic.host: {"auth": b64(f"alice:{ALICE}")}}})
    )
    env = {"HOME": str(tmp_path / "nohome"), "REGISTRY_AUTH_FILE": str(auth_file)}
    assert (
        _basic_client(registry_basic, tmp_path, env)
        .resolve(registry_basic.ref(REPO, "docker-list"))
        .digest
        == pushed["digest"]
    )


def test_podman_auth_files_after_docker_config(registry_basic: Registry, tmp_path: Path) -> None:
    pushed = images(registry_basic)["oci"]
    ref = registry_basic.ref(REPO, "oci")
    good = {"auths": {registry_basic.host: {"auth": b64(f"alice:{ALICE}")}}}
    wrong = {"auths": {registry_basic.host: {"auth": b64("alice:not-the-password")}}}
    runtime = tmp_path / "run"
    write_config(runtime / "containers", good).rename(runtime / "containers" / "auth.json")
    # podman login's file ($XDG_RUNTIME_DIR/containers/auth.json)
    env = {"HOME": str(tmp_path / "nohome"), "XDG_RUNTIME_DIR": str(runtime)}
    kc = Keychain(env=env)
    assert kc.containers_auth_files()[:2] == [
        str(runtime / "containers" / "auth.json"),
        str(tmp_path / "nohome" / ".config" / "containers" / "auth.json"),
    ]
    assert _basic_client(registry_basic, tmp_path, env).resolve(ref).digest == pushed["digest"]
    creds = Keychain(env=env).get(registry_basic.host)
    assert creds is not None
    assert creds.source == f"{runtime / 'containers' / 'auth.json'} (auths)"
    # Docker's config is read first: its entry wins
    docker = write_config(tmp_path / "docker", wrong).parent
    first = Keychain(env={**env, "DOCKER_CONFIG": str(docker)}).get(registry_basic.host)
    assert first is not None and first.source == f"{docker / 'config.json'} (auths)"
    # $XDG_CONFIG_HOME/containers/auth.json, the persistent one
    config_home = tmp_path / "config"
    write_config(config_home / "containers", good).rename(config_home / "containers" / "auth.json")
    env2 = {"HOME": str(tmp_path / "nohome"), "XDG_CONFIG_HOME": str(config_home)}
    assert _basic_client(registry_basic, tmp_path, env2).resolve(ref).digest == pushed["digest"]


def test_identity_token_from_podman_auth_file(
    registry_token: Registry, token_server: Any, tmp_path: Path
) -> None:
    pushed = images(registry_token)["docker"]
    token_server.anonymous_pull = False
    refresh = next(iter(REFRESH_TOKENS))
    auth = tmp_path / "auth.json"
    auth.write_text(json.dumps({"auths": {registry_token.host: {"identitytoken": refresh}}}))
    keychain = Keychain(env={"HOME": str(tmp_path / "nohome"), "REGISTRY_AUTH_FILE": str(auth)})
    client = _token_client(registry_token, tmp_path, auth=keychain)
    assert client.resolve(registry_token.ref(REPO, "docker")).digest == pushed["digest"]
    # the refresh-token grant: a POST, answered for the token's user
    assert token_server.requests[-1][:2] == ("POST", "alice")
    assert refresh not in repr(keychain.get(registry_token.host))


def test_default_keychain_reads_the_environment(
    registry_basic: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pushed = images(registry_basic)["oci"]
    cfg = write_config(
        tmp_path / "env", {"auths": {registry_basic.host: {"auth": b64(f"alice:{ALICE}")}}}
    )
    monkeypatch.setenv("DOCKER_CONFIG", str(cfg.parent))
    http = new_http(timeout=5, retries=0, insecure_hosts=frozenset({registry_basic.host}))
    client = RegistryClient(
        http, Cache(str(tmp_path / "cache")), insecure_registries=[registry_basic.host]
    )
    assert client.resolve(registry_basic.ref(REPO, "oci")).digest == pushed["digest"]


def test_docker_hub_key() -> None:
    kc_env = {"HOME": "/nonexistent"}
    kc = Keychain(env=kc_env)
    assert kc.get("docker.io") is None
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        write_config(
            Path(d), {"auths": {"https://index.docker.io/v1/": {"auth": b64("bob:hub-pw")}}}
        )
        creds = Keychain(env={"DOCKER_CONFIG": d}).get("docker.io")
        assert creds is not None and creds.username == "bob" and creds.password == "hub-pw"
        assert "hub-pw" not in repr(creds) and "hub-pw" not in str(creds)


def test_missing_and_wrong_credentials(
    registry_basic: Registry, registry_token: Registry, token_server: Any, tmp_path: Path
) -> None:
    images(registry_basic)
    images(registry_token)
    with pytest.raises(RegistryError, match="requires credentials"):
        make_client(tmp_path / "0", registry_basic.host).resolve(registry_basic.ref(REPO, "docker"))
    wrong = "Wr0ng-Passw0rd-XYZ"

    def bad(reg):
        return StaticKeychain(
            {
                reg.host: Credentials(
                    username="alice",
                    password=wrong,
                    source="the test keychain",
                )
            }
        )

    with pytest.raises(RegistryError) as err:
        make_client(tmp_path / "1", registry_basic.host, auth=bad(registry_basic)).resolve(
            registry_basic.ref(REPO, "docker")
        )
    assert "rejected the credentials" in str(err.value) and wrong not in str(err.value)
    assert "\n" not in str(err.value)
    with pytest.raises(RegistryError) as err:
        _token_client(registry_token, tmp_path / "2", auth=bad(registry_token)).resolve(
            registry_token.ref(REPO, "docker")
        )
    assert "token server" in str(err.value) and "HTTP 401" in str(err.value)
    assert wrong not in str(err.value)


def test_secrets_never_logged_or_shown(
    registry_basic: Registry,
    registry_token: Registry,
    token_server: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    images(registry_basic)
    images(registry_token)
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []
    for i, pw in enumerate([ALICE, "Wr0ng-Passw0rd-XYZ"]):
        for reg in (registry_basic, registry_token):
            kc = StaticKeychain({reg.host: Credentials(username="alice", password=pw, source="kc")})
            client = (
                _token_client(reg, tmp_path / f"{i}{reg.auth}", auth=kc)
                if reg.auth == "token"
                else make_client(tmp_path / f"{i}{reg.auth}", reg.host, auth=kc)
            )
            try:
                client.resolve(reg.ref(REPO, "oci-index"))
                client.manifest(reg.ref(REPO), images(reg)["oci-index"]["digest"])
            except RegistryError as exc:
                errors.append(str(exc))
            errors.append(repr(client) + repr(client.authorizer) + repr(kc))
    assert len(errors) == 6  # two failures and four reprs
    text = caplog.text + "\n".join(errors)
    assert token_server.tokens  # tokens were issued, and none of them shows
    for secret in [
        ALICE,
        "Wr0ng-Passw0rd-XYZ",
        b64(f"alice:{ALICE}"),
        *token_server.tokens,
        *REFRESH_TOKENS,
    ]:
        assert secret not in text
    assert "GET http://" in caplog.text  # DEBUG logging was on


# ---------------------------------------------------------------------------
# Cache
# ---------------------------------------------------------------------------


def test_tag_cache_ttl_refresh_and_offline(registry_anon: Registry, tmp_path: Path) -> None:
    host = registry_anon.host
    first = push_image(registry_anon, "hardpin/moving", "v1", "oci-index")
    ref = registry_anon.ref("hardpin/moving", "v1")
    root = str(tmp_path / "cache")
    client = make_client(tmp_path, host, cache=Cache(root))
    assert client.resolve(ref).digest == first["digest"]
    moved = move_tag(registry_anon, "hardpin/moving", "v1", "docker-list")
    assert moved["digest"] != first["digest"]
    # within the TTL: the cached answer, no request
    before = client.http.requests
    assert client.resolve(ref).digest == first["digest"]
    assert client.http.requests == before
    # TTL over, or --refresh: the new digest
    assert (
        make_client(tmp_path, host, cache=Cache(root), tag_ttl=0).resolve(ref).digest
        == moved["digest"]
    )
    retag(registry_anon, "hardpin/moving", first["digest"], "v1")
    assert (
        make_client(tmp_path, host, cache=Cache(root, refresh=True)).resolve(ref).digest
        == first["digest"]
    )
    # offline: whatever is stored, however old; nothing stored -> an error, no request
    offline = make_client(tmp_path, host, cache=Cache(root, offline=True), tag_ttl=0)
    assert offline.resolve(ref).digest == first["digest"]
    with pytest.raises(RegistryError, match=r"hardpin/moving:v2: not in the cache \(--offline\)"):
        offline.resolve(registry_anon.ref("hardpin/moving", "v2"))
    with pytest.raises(RegistryError, match="not in the cache"):
        offline.exists(ref, "sha256:" + "2" * 64)
    assert offline.http.requests == 0


def test_manifests_are_cached_forever(registry_anon: Registry, tmp_path: Path) -> None:
    pushed = images(registry_anon)["docker-list"]
    root = str(tmp_path / "cache")
    client = make_client(tmp_path, registry_anon.host, cache=Cache(root))
    ref = registry_anon.ref(REPO, "docker-list")
    desc, body = client.manifest(ref, pushed["digest"])
    assert client.exists(ref, pushed["children"]["linux/amd64"])
    n = client.http.requests
    offline = make_client(tmp_path, registry_anon.host, cache=Cache(root, offline=True))
    assert offline.manifest(ref, pushed["digest"]) == (desc, body)
    assert offline.exists(ref, pushed["children"]["linux/amd64"]) is True
    assert client.manifest(ref, pushed["digest"]) == (desc, body)
    assert client.http.requests == n and offline.http.requests == 0


def test_warm_cache_makes_no_request(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    images(registry_anon)
    root = str(tmp_path / "cache")
    refs = [fault_proxy.ref(REPO, k) for k in KINDS]
    cold = [make_client(tmp_path, fault_proxy.host, cache=Cache(root)).resolve(r) for r in refs]
    fault_proxy.clear()
    warm = [make_client(tmp_path, fault_proxy.host, cache=Cache(root)).resolve(r) for r in refs]
    assert warm == cold and fault_proxy.requests == 0


# ---------------------------------------------------------------------------
# WWW-Authenticate parsing
# ---------------------------------------------------------------------------


def test_parse_www_authenticate() -> None:
    [c] = parse_www_authenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/alpine:pull,push",error="insufficient_scope"'
    )
    assert c.scheme == "bearer"
    assert c.params == {
        "realm": "https://auth.docker.io/token",
        "service": "registry.docker.io",
        "scope": "repository:library/alpine:pull,push",
        "error": "insufficient_scope",
    }
    cs = parse_www_authenticate(
        'Basic realm="Quay, \\"the\\" registry", Bearer realm="https://q/v2/auth" , service=quay.io'
    )
    assert [(c.scheme, c.params) for c in cs] == [
        ("basic", {"realm": 'Quay, "the" registry'}),
        ("bearer", {"realm": "https://q/v2/auth", "service": "quay.io"}),
    ]
    assert [c.scheme for c in parse_www_authenticate("Negotiate abc==, Basic realm=x")] == [
        "negotiate",
        "basic",
    ]
    assert parse_www_authenticate("") == []
    assert parse_www_authenticate("BEARER Realm=https://x/t")[0].params == {"realm": "https://x/t"}


def test_threads_do_not_share_state_wrongly(registry_anon: Registry, tmp_path: Path) -> None:
    images(registry_anon)
    client = make_client(tmp_path, registry_anon.host)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for k in KINDS:
                assert (
                    client.resolve(registry_anon.ref(REPO, k)).digest
                    == images(registry_anon)[k]["digest"]
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            client.http.close()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


# ---------------------------------------------------------------------------
# Tests that guard the promises: bodies that do not hash to their digest
# ---------------------------------------------------------------------------


def test_a_tampered_manifest_body_is_refused(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    pushed = images(registry_anon)["oci-index"]
    ref = fault_proxy.ref(REPO)
    # by digest, the registry's own (right) digest header kept: the body's hash decides
    fault_proxy.add("tamper", path="/manifests/")
    with pytest.raises(RegistryError, match="content does not match its digest"):
        make_client(tmp_path / "1", fault_proxy.host).manifest(ref, pushed["digest"])
    # by digest without a digest header: only the body's hash can tell
    fault_proxy.clear()
    fault_proxy.add("tamper", path="/manifests/")
    fault_proxy.add("no_digest")
    with pytest.raises(RegistryError, match="content does not match its digest"):
        make_client(tmp_path / "2", fault_proxy.host).manifest(ref, pushed["digest"])
    # by tag: the header names the pushed digest, the body hashes to another
    fault_proxy.clear()
    fault_proxy.add("tamper", path="/manifests/")
    client = make_client(tmp_path / "4", fault_proxy.host)
    with pytest.raises(RegistryError, match="manifest hashes to sha256:.*refusing it"):
        client.resolve(fault_proxy.ref(REPO, "oci-index"))
    # nothing was cached on the way: an honest answer gives the pushed digest
    fault_proxy.clear()
    assert client.resolve(fault_proxy.ref(REPO, "oci-index")).digest == pushed["digest"]


def test_a_tampered_blob_is_refused(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    pushed = images(registry_anon)["docker"]
    fault_proxy.add("tamper", path="/blobs/")
    client = make_client(tmp_path, fault_proxy.host)
    with pytest.raises(RegistryError, match="blob's content does not match its digest"):
        client.blob(fault_proxy.ref(REPO), pushed["config"], 1 << 20)
    fault_proxy.clear()
    config = json.loads(client.blob(fault_proxy.ref(REPO), pushed["config"], 1 << 20))
    assert config["architecture"] == "amd64"


def test_cached_manifests_are_checked_when_read(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    pushed = images(registry_anon)["docker-list"]
    cache = Cache(str(tmp_path / "cache"))
    client = make_client(tmp_path, fault_proxy.host, cache=cache)
    evil = json.dumps({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST_LIST, "manifests": []})
    cache.put("manifests", pushed["digest"], {"media_type": DOCKER_MANIFEST_LIST, "body": evil})
    desc, index = client.manifest(fault_proxy.ref(REPO), pushed["digest"])
    assert desc.digest == pushed["digest"] and len(index["manifests"]) == 2
    assert fault_proxy.requests == 1  # the stored body did not hash to its key: fetched
    cache.put("manifests", pushed["digest"], {"media_type": DOCKER_MANIFEST_LIST, "body": evil})
    desc = client.resolve(fault_proxy.ref(REPO, digest=pushed["digest"]))
    assert desc.size == pushed["size"] and fault_proxy.requests == 2


# ---------------------------------------------------------------------------
# The HEAD path (Docker Hub): a digest is pinned only from hashed bytes
# ---------------------------------------------------------------------------


def test_head_never_pins_a_header_alone(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    pushed = images(registry_anon)
    other = pushed["docker"]["digest"]  # a manifest the repository really has
    fault_proxy.add(
        "header", method="HEAD", path="/manifests/oci-index$", name="Docker-Content-Digest",
        value=other,
    )  # fmt: skip
    client = _proxied(fault_proxy, tmp_path)
    desc = client.resolve(fault_proxy.ref(REPO, "oci-index"))
    assert desc.digest == pushed["oci-index"]["digest"]
    assert [(m, p) for m, p, _s in fault_proxy.log] == [
        ("HEAD", f"/v2/{REPO}/manifests/oci-index"),
        ("GET", f"/v2/{REPO}/manifests/oci-index"),
    ]


def test_head_skips_the_get_only_for_verified_cached_bytes(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    pushed = images(registry_anon)["docker-list"]
    root = str(tmp_path / "cache")
    ref = fault_proxy.ref(REPO, "docker-list")
    assert (
        _proxied(fault_proxy, tmp_path, cache=Cache(root)).resolve(ref).digest == (pushed["digest"])
    )
    # the tag's answer expired; the manifest bytes are cached: one HEAD is enough
    fault_proxy.clear()
    again = _proxied(fault_proxy, tmp_path, cache=Cache(root), tag_ttl=0).resolve(ref)
    assert again.digest == pushed["digest"] and again.size == pushed["size"]
    assert [m for m, _p, _s in fault_proxy.log] == ["HEAD"]
    # cached bytes that no longer hash to the digest do not count: GET and hash
    Cache(root).put(
        "manifests", pushed["digest"], {"media_type": DOCKER_MANIFEST_LIST, "body": "{}"}
    )
    fault_proxy.clear()
    third = _proxied(fault_proxy, tmp_path, cache=Cache(root), tag_ttl=0).resolve(ref)
    assert third.digest == pushed["digest"]
    assert [m for m, _p, _s in fault_proxy.log] == ["HEAD", "GET"]
    # the right bytes, but not received from this repository (another repository's
    # manifest, or another registry's): GET and hash
    from registry_support import get_manifest

    body = get_manifest(registry_anon, REPO, pushed["digest"]).body
    other = Cache(str(tmp_path / "other"))
    other.put(
        "manifests", pushed["digest"], {"media_type": DOCKER_MANIFEST_LIST, "body": body.decode()}
    )
    other.put("received", f"{fault_proxy.host}/elsewhere@{pushed['digest']}", True)
    fault_proxy.clear()
    fourth = _proxied(fault_proxy, tmp_path, cache=other).resolve(ref)
    assert fourth.digest == pushed["digest"]
    assert [m for m, _p, _s in fault_proxy.log] == ["HEAD", "GET"]


# ---------------------------------------------------------------------------
# Credentials stay with the registry they were configured for
# ---------------------------------------------------------------------------


class _Elsewhere:
    """Host B: answers every request 401 with a Bearer realm on itself, and records the
    Authorization headers it receives (tokens and passwords must never arrive)."""

    def __init__(self) -> None:
        import http.server

        seen: list[tuple[str, str | None]] = []
        self.seen = seen

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                seen.append((self.path, self.headers.get("Authorization")))
                port = self.server.server_address[1]
                body = b'{"token": "b-token"}' if self.path.startswith("/token") else b""
                self.send_response(200 if body else 401)
                if not body:
                    realm = f'Bearer realm="http://localhost:{port}/token",service="b"'
                    self.send_header("WWW-Authenticate", realm)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_GET

        self._srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._srv.daemon_threads = True
        self.host = f"localhost:{self._srv.server_address[1]}"
        threading.Thread(target=self._srv.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._srv.shutdown()
        self._srv.server_close()


def test_no_credentials_for_a_host_a_redirect_leads_to(
    registry_basic: Registry, tmp_path: Path
) -> None:
    images(registry_basic)
    elsewhere = _Elsewhere()
    proxy = FaultProxy(registry_basic.host)  # host A: the registry with Basic auth
    try:
        proxy.add("redirect", method="GET", path="/manifests/", value=f"http://{elsewhere.host}/")
        kc = StaticKeychain({proxy.host: Credentials("alice", ALICE, source="test")})
        client = make_client(tmp_path, proxy.host, elsewhere.host, auth=kc)
        with pytest.raises(RegistryError, match=r"sends the credentials for 127\.0\.0\.1:\d+ only"):
            client.resolve(proxy.ref(REPO, "docker"))
        assert [a for _p, a in elsewhere.seen if a is not None] == []
        assert not any(p.startswith("/token") for p, _a in elsewhere.seen)
    finally:
        proxy.stop()
        elsewhere.stop()


def _token_registry(tls: bool, realm_host: str | None = None, realm_tls: bool | None = None):
    """A token-auth registry of its own whose realm is on `realm_host` (a name of the
    token server other than 127.0.0.1) or served without TLS."""
    from registry_support import TokenServer, require_registry

    require_registry()
    reg = Registry("token", tls=tls)
    ts = reg.token_server = TokenServer(reg.workdir, tls=tls if realm_tls is None else realm_tls)
    if realm_host is not None:
        ts.realm = ts.realm.replace("127.0.0.1", realm_host)
    return reg.start()


def test_a_token_realm_on_another_host_gets_no_credentials(tmp_path: Path) -> None:
    reg = _token_registry(tls=False, realm_host="localhost")
    try:
        pushed = push_image(reg, REPO, "docker", "docker")
        ts = reg.token_server
        assert ts is not None
        realm_host = ts.host.replace("127.0.0.1", "localhost")
        kc = StaticKeychain({reg.host: Credentials("alice", ALICE, source="test")})
        client = make_client(tmp_path / "1", reg.host, realm_host, auth=kc)
        # anonymous pulls are allowed: the token is fetched, without alice's password
        assert client.resolve(reg.ref(REPO, "docker")).digest == pushed["digest"]
        assert [user for _m, user, _s in ts.requests] == [None]
        ts.anonymous_pull = False
        with pytest.raises(RegistryError, match="insufficient_scope"):
            make_client(tmp_path / "2", reg.host, realm_host, auth=kc).resolve(
                reg.ref(REPO, "docker")
            )
        assert all(user is None for _m, user, _s in ts.requests)
    finally:
        reg.stop()


def test_credentials_go_to_the_registry_host_and_docker_hubs_token_service() -> None:
    from hardpin.online.auth import credentials_may_go_to

    assert credentials_may_go_to("127.0.0.1:5000", "127.0.0.1:5000", "127.0.0.1:5001")
    assert credentials_may_go_to("docker.io", "registry-1.docker.io", "auth.docker.io")
    assert not credentials_may_go_to("ghcr.io", "ghcr.io", "auth.docker.io")
    assert not credentials_may_go_to("127.0.0.1:5000", "127.0.0.1:5000", "localhost:5000")
    assert not credentials_may_go_to("r.example", "r.example", "r.example.evil.test")
    # a listed token service, and only for its own registry
    assert credentials_may_go_to("registry.gitlab.com", "registry.gitlab.com", "gitlab.com")
    assert not credentials_may_go_to("gitlab.com", "gitlab.com", "registry.gitlab.com.evil.test")
    assert not credentials_may_go_to("registry.example.com", "registry.example.com", "gitlab.com")


def test_an_https_registry_needs_an_https_token_realm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = _token_registry(tls=True, realm_tls=False)
    try:
        images(reg)
        ts = reg.token_server
        assert ts is not None and ts.realm.startswith("http://")
        monkeypatch.setenv("SSL_CERT_FILE", shared_ca().cert_path)  # as OpenSSL reads it
        # the realm's host is even listed as insecure: the https registry still rules it out
        client = make_client(tmp_path, ts.host)
        with pytest.raises(RegistryError, match="plain-HTTP token realm"):
            client.resolve(reg.ref(REPO, "docker"))
        assert ts.issued == 0
    finally:
        reg.stop()


# ---------------------------------------------------------------------------
# Clear messages for what no request can carry or no parser should swallow
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref, message",
    [
        ("rég.example/app:1", "not ASCII"),
        ("bad_host.example/app:1", "not a host name"),
        ("example.com:99999/app:1", "invalid port"),
        ("example.com/app:tâg", "characters other than ASCII"),
    ],
)
def test_registry_names_no_request_can_carry(tmp_path: Path, ref: str, message: str) -> None:
    client = make_client(tmp_path, retries=0)
    with pytest.raises(RegistryError, match=message) as err:
        client.resolve(ref)
    assert "\n" not in str(err.value) and "Error" not in str(err.value)


def test_a_deeply_nested_manifest_is_a_clear_error(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    images(registry_anon)
    fault_proxy.add("body", path="/manifests/docker$", data=b"[" * 100_000 + b"]" * 100_000)
    fault_proxy.add("no_digest")
    with pytest.raises(RegistryError, match="the manifest is not JSON .*nested too deeply"):
        make_client(tmp_path, fault_proxy.host).resolve(fault_proxy.ref(REPO, "docker"))


def test_a_long_retry_after_fails_at_once_with_the_servers_message(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    import time

    fault_proxy.add("status", status=429, retry_after="3600")
    t0 = time.monotonic()
    with pytest.raises(
        RegistryError, match=r"HTTP 429 TOOMANYREQUESTS: injected fault \(rate limited"
    ):
        make_client(tmp_path, fault_proxy.host, retries=3).resolve(fault_proxy.ref(REPO, "docker"))
    assert time.monotonic() - t0 < 2.0 and fault_proxy.requests == 1


def test_a_registry_that_drips_its_answer_is_cut_off(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    import time

    images(registry_anon)
    fault_proxy.add("delay", seconds=0.4)  # each attempt within the read timeout ...
    http = new_http(timeout=5.0, retries=5, backoff=0.01, insecure_hosts={fault_proxy.host},
                    request_timeout=0.3)  # fmt: skip
    client = RegistryClient(http, Cache(str(tmp_path / "c")), insecure_registries=(fault_proxy.host,),
                            auth=StaticKeychain())  # fmt: skip
    t0 = time.monotonic()
    with pytest.raises(RegistryError, match=r"within 0\.3 s"):  # ... but not the request's limit
        client.resolve(fault_proxy.ref(REPO, "docker"))
    assert time.monotonic() - t0 < 1.5


def test_registry_tests_fail_under_ci_when_the_registry_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import registry_support

    monkeypatch.setattr(registry_support, "REGISTRY_BIN", "/nonexistent/docker-registry")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        registry_support.require_registry()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        registry_support.require_registry()


@pytest.mark.parametrize(
    "doc, problem",
    [
        ({"mediaType": OCI_INDEX, "manifests": [1]}, "an entry of `manifests` is not an object"),
        (
            {"mediaType": OCI_INDEX, "manifests": [{"digest": "x", "platform": "linux"}]},
            "the `platform` of an entry is not an object",
        ),
        ({"mediaType": OCI_INDEX, "manifests": {}}, "an index without a `manifests` list"),
        ({"mediaType": OCI_MANIFEST, "config": "x"}, "an image manifest without a `config` object"),
    ],
)
def test_a_manifest_of_the_wrong_shape_is_a_clear_error(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path, doc: Any, problem: str
) -> None:
    images(registry_anon)
    body = json.dumps({"schemaVersion": 2, **doc}).encode()
    fault_proxy.add("body", path="/manifests/oci-index$", data=body)
    fault_proxy.add("no_digest")
    fault_proxy.add("header", name="Content-Type", value=doc["mediaType"])
    with pytest.raises(RegistryError, match=f"the manifest is malformed: {re.escape(problem)}"):
        make_client(tmp_path, fault_proxy.host).resolve(fault_proxy.ref(REPO, "oci-index"))


def test_a_deeply_nested_docker_config_is_a_clear_error(tmp_path: Path) -> None:
    from hardpin.online.auth import CredentialError

    path = tmp_path / "config.json"
    path.write_text('{"auths": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(CredentialError, match="nested too deeply"):
        Keychain(config_path=str(path)).get("registry.example")
