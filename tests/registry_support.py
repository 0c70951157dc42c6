"""A real container registry for tests and benchmarks.

Runs Debian's `docker-registry` (CNCF distribution 2.8.2) on a free loopback
port in three set-ups (anonymous, htpasswd Basic auth, token auth with a token
server written here), pushes images through the registry HTTP API, and puts a
fault-injecting proxy in front of it.

Test modules import the fixtures they use:

    from registry_support import registry_anon, registry_basic, registry_token, fault_proxy

`bench/` uses the plain functions (`start_registry`, `push_image`, ...).

`registry_anon_tls` and `registry_token_tls` serve the same over TLS with a
certificate from a test CA (`shared_ca().cert_path`; the token server of the TLS
set-up is https too).

Fixtures skip when /usr/bin/docker-registry is absent, except under `CI=true`,
where they fail: a CI run that silently skipped the registry tests would prove
nothing. Nothing else skips.
"""

from __future__ import annotations

import atexit
import base64
import gzip
import hashlib
import http.client
import http.server
import io
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tarfile
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from conftest import in_ci

REGISTRY_BIN = os.environ.get("HARDPIN_TEST_REGISTRY_BIN", "/usr/bin/docker-registry")

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ALL_MANIFEST_TYPES = (OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST)
ACCEPT_ALL = ", ".join(ALL_MANIFEST_TYPES)
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"

KINDS = ("docker", "oci", "oci-index", "docker-list")
PLATFORMS = (("linux", "amd64"), ("linux", "arm64"))

SERVICE = "hardpin-test-registry"
ISSUER = "hardpin-test-issuer"

# Users of the htpasswd and token set-ups: name -> password.
USERS = {"alice": "s3cret-Alice-pw", "pusher": "push-Only-Pw-91"}
# Identity (refresh) tokens the token server accepts: token -> user.
REFRESH_TOKENS = {"refresh-TOKEN-4c7a1e": "alice"}


def registry_available() -> bool:
    return os.path.isfile(REGISTRY_BIN) and os.access(REGISTRY_BIN, os.X_OK)


def require_registry() -> None:
    """Skip the calling test without the registry binary; fail instead under CI=true."""
    if registry_available():
        return
    if in_ci():
        pytest.fail(f"{REGISTRY_BIN} is not installed, and CI=true: the registry tests must run")
    pytest.skip(f"{REGISTRY_BIN} is not installed")


# --------------------------------------------------------------------------
# A test certificate authority (TLS registries)
# --------------------------------------------------------------------------


def self_signed_ca(
    common_name: str, *, path_length: int | None, key_id: bool = False
) -> tuple[Any, Any, Any]:
    """(key, name, certificate) of a self-signed P-256 CA valid from yesterday for 30 days;
    `key_id` adds a SubjectKeyIdentifier."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if key_id:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    return key, name, builder.sign(key, hashes.SHA256())


class CertAuthority:
    """A CA certificate (`cert_path`) and leaf certificates for 127.0.0.1 and localhost."""

    def __init__(self, workdir: str) -> None:
        from cryptography.hazmat.primitives import serialization

        self.workdir = workdir
        self._key, self._name, self._cert = self_signed_ca(
            "hardpin test CA", path_length=0, key_id=True
        )
        self.cert_path = os.path.join(workdir, "ca.pem")
        with open(self.cert_path, "wb") as fh:
            fh.write(self._cert.public_bytes(serialization.Encoding.PEM))
        self._serialization = serialization

    def leaf(self, name: str) -> tuple[str, str]:
        """(certificate path, key path) for 127.0.0.1, ::1 and localhost, signed by the CA."""
        import datetime
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(self._name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                        x509.IPAddress(ipaddress.ip_address("::1")),
                        x509.DNSName("localhost"),
                    ]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        ser = self._serialization
        cert_path = os.path.join(self.workdir, f"{name}.pem")
        key_path = os.path.join(self.workdir, f"{name}-key.pem")
        with open(cert_path, "wb") as fh:
            fh.write(cert.public_bytes(ser.Encoding.PEM))
        with open(key_path, "wb") as fh:
            fh.write(
                key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
            )
        return cert_path, key_path

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cert_path)

    def server_context(self, name: str) -> ssl.SSLContext:
        cert, key = self.leaf(name)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        return ctx


_CA: CertAuthority | None = None
_CA_LOCK = threading.Lock()


def shared_ca() -> CertAuthority:
    """The session's test CA (created on first use)."""
    global _CA
    with _CA_LOCK:
        if _CA is None:
            _CA = CertAuthority(tempfile.mkdtemp(prefix="hardpin-test-ca-"))
            atexit.register(shutil.rmtree, _CA.workdir, True)
        return _CA


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def image_ref(host: str, repo: str, tag: str | None = None, digest: str | None = None) -> str:
    """`host/repo[:tag][@digest]`."""
    out = f"{host}/{repo}"
    if tag:
        out += f":{tag}"
    if digest:
        out += f"@{digest}"
    return out


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def basic_header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --------------------------------------------------------------------------
# Plain HTTP calls (no retries; the harness talks to the registry directly)
# --------------------------------------------------------------------------


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body[:200]!r})"


def call(
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 10.0,
) -> Reply:
    p = urlsplit(url)
    conn: http.client.HTTPConnection
    if p.scheme == "https":
        conn = http.client.HTTPSConnection(
            p.hostname, p.port or 443, timeout=timeout, context=shared_ca().client_context()
        )
    else:
        conn = http.client.HTTPConnection(p.hostname, p.port or 80, timeout=timeout)
    try:
        target = p.path + (f"?{p.query}" if p.query else "")
        conn.request(method, target, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


# --------------------------------------------------------------------------
# Token server
# --------------------------------------------------------------------------


class TokenServer:
    """Issues the ES256 JWTs distribution 2.8.2 accepts (x5c header, raw r||s signature).

    * `GET /token?service=S&scope=...` (Basic credentials optional) and the OAuth2
      `POST /token` (grant_type=password or refresh_token).
    * Anonymous requests get `pull` when `anonymous_pull` is true, nothing otherwise
      (the registry then answers insufficient_scope). Users get pull and push.
      The granted access is the intersection with the requested scope.
    * Wrong credentials: 401. `issued` counts tokens handed out; `requests` logs
      (method, user, scopes) of every request; `tokens` keeps the tokens issued.
    * `token_field`: "token", "access_token" or "both"; `expires_in`: seconds or
      None (field omitted).
    """

    def __init__(self, workdir: str, tls: bool = False) -> None:
        from cryptography.hazmat.primitives import serialization

        self.key, _name, cert = self_signed_ca("hardpin test token signer", path_length=None)
        self.cert_der = cert.public_bytes(serialization.Encoding.DER)
        self.rootcertbundle = os.path.join(workdir, "token-root.pem")
        with open(self.rootcertbundle, "wb") as fh:
            fh.write(cert.public_bytes(serialization.Encoding.PEM))
        self.users = dict(USERS)
        self.refresh_tokens = dict(REFRESH_TOKENS)
        self.anonymous_pull = True
        self.token_field = "token"
        self.expires_in: int | None = 300
        self.issued = 0
        self.tokens: list[str] = []
        self.requests: list[tuple[str, str | None, tuple[str, ...]]] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _token_handler(self))
        if tls:
            ctx = shared_ca().server_context(f"token-{uuid.uuid4().hex[:8]}")
            self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True)
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self.realm = f"{'https' if tls else 'http'}://{self.host}/token"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )
        self._thread.start()

    def reset(self) -> None:
        with self._lock:
            self.anonymous_pull = True
            self.token_field = "token"
            self.expires_in = 300
            self.issued = 0
            self.tokens.clear()
            self.requests.clear()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- tokens ------------------------------------------------------------
    def mint(self, access: list[dict[str, Any]], subject: str = "", expires_in: int = 300) -> str:
        """A signed JWT (not counted in `issued`)."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        now = int(time.time())
        header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(self.cert_der).decode()]}
        claims = {
            "iss": ISSUER,
            "sub": subject,
            "aud": SERVICE,
            "exp": now + max(expires_in, 60),
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        signing_input = (
            _b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        der = self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return signing_input + "." + _b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def grant(self, user: str | None, scopes: list[str]) -> list[dict[str, Any]]:
        allowed = {"pull", "push"} if user else ({"pull"} if self.anonymous_pull else set())
        access = []
        for scope in scopes:
            parts = scope.split(":")
            if len(parts) < 3 or parts[0] != "repository":
                continue
            name = ":".join(parts[1:-1])
            actions = [a for a in parts[-1].split(",") if a in allowed]
            access.append({"type": "repository", "name": name, "actions": actions})
        return access

    def admin_token(self, repo: str) -> str:
        return self.mint(
            [{"type": "repository", "name": repo, "actions": ["pull", "push"]}], "admin"
        )


def _token_handler(ts: TokenServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _json(
            self, status: int, obj: dict[str, Any], extra: dict[str, str] | None = None
        ) -> None:
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _deny(self, method: str, user: str | None, scopes: list[str]) -> None:
            with ts._lock:
                ts.requests.append((method, user, tuple(scopes)))
            self._json(
                401,
                {"errors": [{"code": "UNAUTHORIZED", "message": "authentication failed"}]},
                {"WWW-Authenticate": 'Basic realm="hardpin-token"'},
            )

        def _issue(self, method: str, user: str | None, scopes: list[str]) -> None:
            with ts._lock:
                ts.requests.append((method, user, tuple(scopes)))
                ts.issued += 1
                field, expires = ts.token_field, ts.expires_in
            token = ts.mint(ts.grant(user, scopes), user or "", expires or 60)
            with ts._lock:
                ts.tokens.append(token)
            out: dict[str, Any] = {"issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            if field in ("token", "both"):
                out["token"] = token
            if field in ("access_token", "both"):
                out["access_token"] = token
            if expires is not None:
                out["expires_in"] = expires
            self._json(200, out)

        def do_GET(self) -> None:
            q = parse_qs(urlsplit(self.path).query)
            scopes = [s for v in q.get("scope", []) for s in v.split(" ") if s]
            auth = self.headers.get("Authorization")
            user = None
            if auth:
                if not auth.startswith("Basic "):
                    return self._deny("GET", None, scopes)
                try:
                    name, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                except (ValueError, UnicodeDecodeError):
                    return self._deny("GET", None, scopes)
                if ts.users.get(name) != pw:
                    return self._deny("GET", name, scopes)
                user = name
            if q.get("service", [""])[0] != SERVICE:
                return self._json(
                    400, {"errors": [{"code": "UNSUPPORTED", "message": "bad service"}]}
                )
            self._issue("GET", user, scopes)

        def do_POST(self) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(n).decode())
            scopes = [s for v in form.get("scope", []) for s in v.split(" ") if s]
            grant = form.get("grant_type", [""])[0]
            if grant == "refresh_token":
                user = ts.refresh_tokens.get(form.get("refresh_token", [""])[0])
            elif grant == "password":
                name = form.get("username", [""])[0]
                user = name if ts.users.get(name) == form.get("password", [None])[0] else None
            else:
                user = None
            if user is None:
                return self._deny("POST", None, scopes)
            self._issue("POST", user, scopes)

    return Handler


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


# --------------------------------------------------------------------------
# Registry process
# --------------------------------------------------------------------------


class Registry:
    """A running docker-registry. `host` is "127.0.0.1:PORT"; `auth` is anon/basic/token."""

    def __init__(self, auth: str = "anon", workdir: str | None = None, tls: bool = False) -> None:
        if auth not in ("anon", "basic", "token"):
            raise ValueError(auth)
        self.auth = auth
        self.tls = tls  # https with a certificate from shared_ca()
        self._own_dir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix=f"hardpin-registry-{auth}-")
        self.users = dict(USERS)
        self.token_server: TokenServer | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log_path = os.path.join(self.workdir, "registry.log")

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}"

    def ref(self, repo: str, tag: str | None = None, digest: str | None = None) -> str:
        return image_ref(self.host, repo, tag, digest)

    # -- lifecycle -----------------------------------------------------------
    def _config(self) -> str:
        lines = [
            "version: 0.1",
            "log:",
            "  level: error",
            "  accesslog: {disabled: true}",
            "storage:",
            f"  filesystem: {{rootdirectory: {self.workdir}/data}}",
            "  delete: {enabled: true}",
            "  cache: {blobdescriptor: inmemory}",
            "http:",
            f"  addr: {self.host}",
            "  secret: hardpin-test-http-secret",
        ]
        if self.tls:
            cert, key = shared_ca().leaf(f"registry-{self.auth}-{self.port}")
            lines += ["  tls:", f"    certificate: {cert}", f"    key: {key}"]
        if self.auth == "basic":
            import bcrypt

            path = os.path.join(self.workdir, "htpasswd")
            with open(path, "w") as fh:
                for name, pw in self.users.items():
                    hashed = bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4)).decode()
                    fh.write(f"{name}:{hashed}\n")
            lines += ["auth:", "  htpasswd:", "    realm: hardpin-test", f"    path: {path}"]
        elif self.auth == "token":
            if self.token_server is None:
                self.token_server = TokenServer(self.workdir, tls=self.tls)
            ts = self.token_server
            lines += [
                "auth:",
                "  token:",
                f"    realm: {ts.realm}",
                f"    service: {SERVICE}",
                f"    issuer: {ISSUER}",
                f"    rootcertbundle: {ts.rootcertbundle}",
            ]
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 15.0) -> Registry:
        last = ""
        for _attempt in range(3):
            self.port = free_port()
            cfg = os.path.join(self.workdir, "config.yml")
            with open(cfg, "w") as fh:
                fh.write(self._config())
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                [REGISTRY_BIN, "serve", cfg], stdout=log, stderr=log, stdin=subprocess.DEVNULL
            )
            log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    r = call("GET", self.url + "/v2/", timeout=1.0)
                    if r.status in (200, 401):
                        return self
                except OSError:
                    pass
                time.sleep(0.02)
            self._kill()
            with open(self.log_path, "rb") as fh:
                last = fh.read()[-2000:].decode(errors="replace")
            if "address already in use" not in last:
                break
        raise RuntimeError(f"docker-registry did not start:\n{last}")

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def stop(self) -> None:
        self._kill()
        if self.token_server is not None:
            self.token_server.stop()
            self.token_server = None
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Registry:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- admin access (pushes; bypasses the token-server counters) -----------
    def admin_headers(self, repo: str) -> dict[str, str]:
        if self.auth == "basic":
            return {"Authorization": basic_header("alice", self.users["alice"])}
        if self.auth == "token":
            assert self.token_server is not None
            return {"Authorization": "Bearer " + self.token_server.admin_token(repo)}
        return {}

    def credentials(self) -> tuple[str, str]:
        """A user who may pull and push."""
        return "alice", self.users["alice"]


def start_registry(auth: str = "anon", tls: bool = False) -> Registry:
    """Start a registry (caller stops it; also a context manager)."""
    if not registry_available():
        raise RuntimeError(f"{REGISTRY_BIN} is not installed")
    return Registry(auth, tls=tls).start()


# --------------------------------------------------------------------------
# Pushing images
# --------------------------------------------------------------------------


def _layer(seed: str, platform: str) -> tuple[bytes, str]:
    """(gzip bytes, diff_id): a reproducible one-file tar layer."""
    content = f"hardpin test layer\nseed={seed}\nplatform={platform}\n".encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("hardpin")
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
        info = tarfile.TarInfo("hardpin/seed.txt")
        info.size = len(content)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0, filename="") as fh:
        fh.write(tar_bytes)
    return gz.getvalue(), sha256_digest(tar_bytes)


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def push_blob(
    registry: Registry, repo: str, data: bytes, headers: dict[str, str] | None = None
) -> str:
    """Monolithic upload: POST to start, PUT with ?digest= (2.8.2 has no single-POST)."""
    digest = sha256_digest(data)
    hdrs = headers if headers is not None else registry.admin_headers(repo)
    r = call("HEAD", f"{registry.url}/v2/{repo}/blobs/{digest}", hdrs)
    if r.status == 200:
        return digest
    r = call("POST", f"{registry.url}/v2/{repo}/blobs/uploads/", hdrs, b"")
    if r.status != 202:
        raise RuntimeError(f"blob upload start failed: {r}")
    loc = urljoin(registry.url + "/", r.headers["location"])
    loc += ("&" if "?" in loc else "?") + f"digest={digest}"
    r = call("PUT", loc, {**hdrs, "Content-Type": "application/octet-stream"}, data)
    if r.status != 201:
        raise RuntimeError(f"blob upload failed: {r}")
    return digest


def push_manifest(
    registry: Registry,
    repo: str,
    reference: str,
    body: bytes,
    media_type: str,
    headers: dict[str, str] | None = None,
) -> str:
    hdrs = headers if headers is not None else registry.admin_headers(repo)
    r = call(
        "PUT",
        f"{registry.url}/v2/{repo}/manifests/{reference}",
        {**hdrs, "Content-Type": media_type},
        body,
    )
    if r.status != 201:
        raise RuntimeError(f"manifest push to {repo}:{reference} failed: {r}")
    digest = sha256_digest(body)
    assert r.headers.get("docker-content-digest") == digest, r.headers
    return digest


def _push_single(
    registry: Registry, repo: str, seed: str, os_: str, arch: str, oci: bool, hdrs: dict[str, str]
) -> tuple[bytes, str]:
    layer, diff_id = _layer(seed, f"{os_}/{arch}")
    config = _canonical(
        {
            "architecture": arch,
            "os": os_,
            "created": "1970-01-01T00:00:00Z",
            "config": {"Labels": {"org.example.seed": seed}},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
    )
    push_blob(registry, repo, layer, hdrs)
    push_blob(registry, repo, config, hdrs)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST if oci else DOCKER_MANIFEST,
        "config": {
            "mediaType": OCI_CONFIG if oci else DOCKER_CONFIG,
            "size": len(config),
            "digest": sha256_digest(config),
        },
        "layers": [
            {
                "mediaType": OCI_LAYER if oci else DOCKER_LAYER,
                "size": len(layer),
                "digest": sha256_digest(layer),
            }
        ],
    }
    return _canonical(manifest), sha256_digest(config)


def push_image(
    registry: Registry, repo: str, tag: str, kind: str = "docker", seed: str | None = None
) -> dict[str, Any]:
    """Push an image and tag it. kind: docker | oci (single platform) | oci-index | docker-list.

    Returns {"digest", "media_type", "size", "config" (single) or
    "children": {"linux/amd64": digest, "linux/arm64": digest}, "configs": {...}}.
    Different seeds give different digests; the same seed gives the same bytes.
    """
    if kind not in KINDS:
        raise ValueError(kind)
    seed = seed if seed is not None else f"{repo}:{tag}:{kind}"
    hdrs = registry.admin_headers(repo)
    if kind in ("docker", "oci"):
        body, config = _push_single(registry, repo, seed, "linux", "amd64", kind == "oci", hdrs)
        mt = OCI_MANIFEST if kind == "oci" else DOCKER_MANIFEST
        digest = push_manifest(registry, repo, tag, body, mt, hdrs)
        return {
            "digest": digest,
            "media_type": mt,
            "size": len(body),
            "config": config,
            "children": {},
            "configs": {"linux/amd64": config},
        }
    oci = kind == "oci-index"
    child_type = OCI_MANIFEST if oci else DOCKER_MANIFEST
    entries, children, configs = [], {}, {}
    for os_, arch in PLATFORMS:
        body, config = _push_single(registry, repo, seed, os_, arch, oci, hdrs)
        d = push_manifest(registry, repo, sha256_digest(body), body, child_type, hdrs)
        children[f"{os_}/{arch}"] = d
        configs[f"{os_}/{arch}"] = config
        entries.append(
            {
                "mediaType": child_type,
                "size": len(body),
                "digest": d,
                "platform": {"architecture": arch, "os": os_},
            }
        )
    mt = OCI_INDEX if oci else DOCKER_LIST
    index = _canonical({"schemaVersion": 2, "mediaType": mt, "manifests": entries})
    digest = push_manifest(registry, repo, tag, index, mt, hdrs)
    return {
        "digest": digest,
        "media_type": mt,
        "size": len(index),
        "children": children,
        "configs": configs,
    }


def get_manifest(registry: Registry, repo: str, reference: str) -> Reply:
    return call(
        "GET",
        f"{registry.url}/v2/{repo}/manifests/{reference}",
        {**registry.admin_headers(repo), "Accept": ACCEPT_ALL},
    )


def retag(registry: Registry, repo: str, source: str, tag: str) -> str:
    """Point `tag` at the manifest `source` (a tag or digest) names; returns its digest.

    Moving an existing tag this way is how update tests make a tag change."""
    r = get_manifest(registry, repo, source)
    if r.status != 200:
        raise RuntimeError(f"no manifest {repo}:{source}: {r}")
    mt = r.headers["content-type"].split(";")[0].strip()
    return push_manifest(registry, repo, tag, r.body, mt)


def move_tag(registry: Registry, repo: str, tag: str, kind: str = "docker") -> dict[str, Any]:
    """Push a fresh image (new digest) under an existing tag."""
    return push_image(registry, repo, tag, kind, seed=f"{repo}:{tag}:{kind}:{uuid.uuid4().hex}")


# --------------------------------------------------------------------------
# Fault-injecting proxy
# --------------------------------------------------------------------------

_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "proxy-connection",
        "te",
        "server",
        "date",
        "trailer",
        "upgrade",
        "content-length",
        "host",
    }
)


class Fault:
    """One behaviour. kind: delay | status | drop | wrong_digest | no_digest | header |
    tamper | body | redirect | answer.

    `answer` replies itself, without asking the registry: `status`, Content-Type
    `value`, body `data` (an API the registry lacks, such as OCI 1.1 referrers).

    `tamper` flips one byte of a 200 answer's body and keeps every header (the
    registry's own Docker-Content-Digest included); `body` replaces the body with
    `data` (headers kept unless another fault changes them); `redirect` answers
    307 with `Location: value` (the path appended when `value` ends with "/").

    `path`: a regex searched in the request path (None: every path); `method`:
    only that method; `count`: how many matching requests it applies to (None:
    all of them)."""

    def __init__(
        self,
        kind: str,
        *,
        path: str | None = None,
        method: str | None = None,
        count: int | None = None,
        status: int = 500,
        retry_after: str | None = None,
        seconds: float = 0.0,
        name: str = "",
        value: str | None = None,
        data: bytes = b"",
    ) -> None:
        self.kind = kind
        self.data = data
        self.path = re.compile(path) if path else None
        self.method = method
        self.remaining = count
        self.status = status
        self.retry_after = retry_after
        self.seconds = seconds
        self.name = name.lower()
        self.value = value
        self.applied = 0

    def take(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        if self.path and not self.path.search(path):
            return False
        if self.remaining is not None:
            if self.remaining <= 0:
                return False
            self.remaining -= 1
        self.applied += 1
        return True


class FaultProxy:
    """A loopback HTTP proxy in front of `upstream` ("host:port") with switchable faults.

    `requests` counts the requests it received; `log` lists (method, path, status)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.faults: list[Fault] = []
        self.requests = 0
        self.log: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _proxy_handler(self))
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self.url = f"http://{self.host}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )
        self._thread.start()

    def ref(self, repo: str, tag: str | None = None, digest: str | None = None) -> str:
        return image_ref(self.host, repo, tag, digest)

    def add(self, kind: str, **kw: Any) -> Fault:
        f = Fault(kind, **kw)
        with self._lock:
            self.faults.append(f)
        return f

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.requests = 0
            self.log.clear()
        self._wake.set()
        self._wake = threading.Event()

    def stop(self) -> None:
        self._wake.set()
        self._server.shutdown()
        self._server.server_close()

    def _matching(self, method: str, path: str) -> list[Fault]:
        with self._lock:
            self.requests += 1
            return [f for f in self.faults if f.take(method, path)]


def _proxy_handler(proxy: FaultProxy) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(
            self,
            status: int,
            headers: list[tuple[str, str]],
            body: bytes,
            length: int | None = None,
        ) -> None:
            with proxy._lock:
                proxy.log.append((self.command, self.path, status))
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _handle(self) -> None:
            n = int(self.headers.get("Content-Length") or 0)
            req_body = self.rfile.read(n) if n else None
            faults = proxy._matching(self.command, self.path)
            for f in faults:
                if f.kind == "delay":
                    proxy._wake.wait(f.seconds)
            for f in faults:
                if f.kind == "drop":
                    with proxy._lock:
                        proxy.log.append((self.command, self.path, 0))
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                if f.kind == "status":
                    hdrs = [("Content-Type", "application/json")]
                    if f.retry_after is not None:
                        hdrs.append(("Retry-After", f.retry_after))
                    code = {429: "TOOMANYREQUESTS"}.get(f.status, "UNKNOWN")
                    body = json.dumps(
                        {"errors": [{"code": code, "message": "injected fault"}]}
                    ).encode()
                    return self._send(f.status, hdrs, body)
                if f.kind == "answer":
                    hdrs = [("Content-Type", f.value or "application/json")]
                    return self._send(f.status, hdrs, f.data)
                if f.kind == "redirect":
                    where = f.value or "/"
                    if where.endswith("/"):
                        where = where.rstrip("/") + self.path
                    return self._send(307, [("Location", where)], b"")
            hdrs = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            conn = http.client.HTTPConnection(*proxy.upstream.split(":"), timeout=30)
            try:
                conn.request(self.command, self.path, body=req_body, headers=hdrs)
                resp = conn.getresponse()
                body = resp.read()
                up_headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP]
                length = resp.getheader("Content-Length")
                status = resp.status
            finally:
                conn.close()
            for f in faults:
                if f.kind == "no_digest":
                    up_headers = [
                        (k, v) for k, v in up_headers if k.lower() != "docker-content-digest"
                    ]
                elif f.kind == "wrong_digest":
                    had = any(k.lower() == "docker-content-digest" for k, _ in up_headers)
                    up_headers = [
                        (k, v) for k, v in up_headers if k.lower() != "docker-content-digest"
                    ]
                    if had:
                        up_headers.append(
                            ("Docker-Content-Digest", sha256_digest(b"tampered:" + body))
                        )
                    if self.command == "GET" and status == 200:
                        body = body + b"\n"  # still valid JSON, different hash
                        length = None
                elif f.kind == "tamper" and status == 200 and self.command == "GET" and body:
                    flipped = bytearray(body)
                    i = next((i for i, c in enumerate(flipped) if c in b"0123456789"), 0)
                    flipped[i] = ord("1") if flipped[i] != ord("1") else ord("2")
                    body = bytes(flipped)  # same length, still JSON when it was
                elif f.kind == "body" and self.command == "GET":
                    body, length = f.data, None
                elif f.kind == "header":
                    up_headers = [(k, v) for k, v in up_headers if k.lower() != f.name]
                    if f.value is not None:
                        up_headers.append((f.name, f.value))
            head_len = (
                int(length) if self.command == "HEAD" and length and length.isdigit() else None
            )
            self._send(status, up_headers, body, head_len)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    return Handler


# --------------------------------------------------------------------------
# pytest fixtures (session-scoped registries shared by every module)
# --------------------------------------------------------------------------

_RUNNING: dict[str, Registry] = {}
_RUNNING_LOCK = threading.Lock()


def _shared(auth: str, tls: bool = False) -> Registry:
    require_registry()
    key = f"{auth}-tls" if tls else auth
    with _RUNNING_LOCK:
        reg = _RUNNING.get(key)
        if reg is None:
            reg = _RUNNING[key] = start_registry(auth, tls=tls)
        return reg


def _stop_all() -> None:
    with _RUNNING_LOCK:
        for reg in _RUNNING.values():
            reg.stop()
        _RUNNING.clear()


atexit.register(_stop_all)


@pytest.fixture(scope="session")
def registry_anon() -> Iterator[Registry]:
    """An anonymous registry (pull and push without credentials)."""
    yield _shared("anon")
    _stop_all()


@pytest.fixture(scope="session")
def registry_basic() -> Iterator[Registry]:
    """A registry with htpasswd (bcrypt) Basic auth; users in `USERS`."""
    yield _shared("basic")
    _stop_all()


@pytest.fixture(scope="session")
def registry_token() -> Iterator[Registry]:
    """A registry with token auth; `registry.token_server` is the TokenServer."""
    yield _shared("token")
    _stop_all()


@pytest.fixture(scope="session")
def registry_anon_tls() -> Iterator[Registry]:
    """The anonymous registry over https (a certificate from `shared_ca()`)."""
    yield _shared("anon", tls=True)
    _stop_all()


@pytest.fixture(scope="session")
def registry_token_tls() -> Iterator[Registry]:
    """Token auth over https, the token server (its realm) on https too."""
    yield _shared("token", tls=True)
    _stop_all()


@pytest.fixture
def token_server(registry_token: Registry) -> Iterator[TokenServer]:
    """The token server of `registry_token`, reset before and after each test."""
    ts = registry_token.token_server
    assert ts is not None
    ts.reset()
    yield ts
    ts.reset()


@pytest.fixture
def fault_proxy(registry_anon: Registry) -> Iterator[FaultProxy]:
    """A fresh fault-injecting proxy in front of the anonymous registry."""
    proxy = FaultProxy(registry_anon.host)
    yield proxy
    proxy.stop()
