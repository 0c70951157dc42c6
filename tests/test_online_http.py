"""The HTTP layer and the on-disk cache, against a real loopback HTTP server."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator

import pytest

from hardpin.online.cache import Cache
from hardpin.online.http import Http, HttpError
from hardpin.urls import display_url


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    plan: dict[str, list[str]] = {}
    seen: list[tuple[str, str, str | None]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.seen.append((self.command, self.path, self.headers.get("Authorization")))
        steps = self.plan.get(self.path.split("?")[0], [])
        step = steps.pop(0) if len(steps) > 1 else (steps[0] if steps else "ok")
        if step == "500":
            self._reply(500, b"boom")
        elif step == "429":
            self._reply(429, b"slow down", {"Retry-After": "0"})
        elif step == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
        elif step == "slow":
            time.sleep(0.6)
            self._reply(200, b"late")
        elif step == "big":
            self._reply(200, b"x" * 5000)
        elif step.startswith("redirect:"):
            self._reply(302, b"", {"Location": step[len("redirect:") :]})
        elif step.startswith("redirect307:"):
            self._reply(307, b"", {"Location": step[len("redirect307:") :]})
        else:
            self._reply(200, json.dumps({"path": self.path}).encode())


@pytest.fixture()
def server() -> Iterator[str]:
    _Handler.plan = {}
    _Handler.seen = []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _http(host: str, **kw: object) -> Http:
    opts: dict = {"timeout": 2.0, "retries": 2, "backoff": 0.01, "insecure_hosts": {host}}
    opts.update(kw)
    return Http(**opts)


def test_keeps_the_connection_and_counts_requests(server: str) -> None:
    h = _http(server)
    for i in range(3):
        r = h.request("GET", f"http://{server}/a{i}")
        assert r.status == 200 and json.loads(r.body) == {"path": f"/a{i}"}
    assert h.requests == 3


@pytest.mark.parametrize("fault", ["500", "429", "drop"])
def test_transient_faults_are_retried(server: str, fault: str) -> None:
    _Handler.plan["/x"] = [fault, "ok"]
    r = _http(server).request("GET", f"http://{server}/x")
    assert r.status == 200
    assert [p for _m, p, _a in _Handler.seen] == ["/x", "/x"]


def test_retries_are_bounded_and_the_last_answer_is_returned(server: str) -> None:
    _Handler.plan["/x"] = ["500"]
    h = _http(server, retries=2)
    assert h.request("GET", f"http://{server}/x").status == 500
    assert len(_Handler.seen) == 3


def test_a_dropped_connection_every_time_is_a_clear_error(server: str) -> None:
    _Handler.plan["/x"] = ["drop"]
    with pytest.raises(
        HttpError, match=r"^http://127\.0\.0\.1:\d+/x: the server closed the connection$"
    ):
        _http(server, retries=1).request("GET", f"http://{server}/x")


def test_timeout(server: str) -> None:
    _Handler.plan["/x"] = ["slow"]
    with pytest.raises(HttpError, match="timed out"):
        _http(server, timeout=0.2, retries=0).request("GET", f"http://{server}/x")


def test_body_size_cap(server: str) -> None:
    _Handler.plan["/x"] = ["big"]
    with pytest.raises(HttpError, match="over the 100-byte limit"):
        _http(server).request("GET", f"http://{server}/x", max_body=100)


def test_plain_http_only_to_listed_hosts(server: str) -> None:
    with pytest.raises(HttpError, match="refusing plain HTTP to 127.0.0.1:.*insecure-registries"):
        Http(insecure_hosts=frozenset()).request("GET", f"http://{server}/x")
    assert _Handler.seen == []
    assert Http(insecure_hosts=None).request("GET", f"http://{server}/x").status == 200


def test_redirect_to_another_host_drops_authorization(server: str) -> None:
    port = server.split(":")[1]
    other = f"localhost:{port}"  # same server, another host name
    _Handler.plan["/a"] = [f"redirect:http://{other}/b"]
    _Handler.plan["/c"] = ["redirect:/d"]
    h = Http(timeout=2, insecure_hosts={server, other})
    assert h.request("GET", f"http://{server}/a", {"Authorization": "Bearer s3cret"}).status == 200
    assert h.request("GET", f"http://{server}/c", {"Authorization": "Bearer s3cret"}).status == 200
    assert [(p, a) for _m, p, a in _Handler.seen] == [
        ("/a", "Bearer s3cret"),
        ("/b", None),
        ("/c", "Bearer s3cret"),
        ("/d", "Bearer s3cret"),
    ]


def test_messages_never_carry_credentials() -> None:
    assert (
        display_url("https://user:pa55@host:8443/simple/x/?token=abc#frag")
        == "https://host:8443/simple/x/"
    )
    with pytest.raises(HttpError) as exc:
        Http(timeout=0.5, retries=0).request("GET", "https://user:pa55@127.0.0.1:9/simple/")
    assert "pa55" not in str(exc.value) and "user" not in str(exc.value)


def test_cache_ttl_refresh_and_offline(tmp_path) -> None:
    c = Cache(str(tmp_path))
    assert c.get("tags", "k") is None
    c.put("tags", "k", {"digest": "sha256:00"})
    assert c.get("tags", "k", ttl=3600) == {"digest": "sha256:00"}
    assert c.get("tags", "k", ttl=-1) is None  # expired
    assert Cache(str(tmp_path), offline=True).get("tags", "k", ttl=-1) == {"digest": "sha256:00"}
    assert Cache(str(tmp_path), refresh=True).get("tags", "k") is None
    assert Cache(str(tmp_path)).get("other", "k") is None


def test_cache_root_follows_xdg(monkeypatch, tmp_path) -> None:
    from hardpin.online.cache import default_root

    monkeypatch.delenv("HARDPIN_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_root() == str(tmp_path / "hardpin")
    monkeypatch.setenv("HARDPIN_CACHE_DIR", str(tmp_path / "x"))
    assert default_root() == str(tmp_path / "x")


def test_an_unusable_cache_is_a_miss_not_an_error(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    c = Cache(str(blocker / "cache"))
    c.put("tags", "k", 1)
    assert c.get("tags", "k") is None
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "cache.sqlite3").write_bytes(b"this is not a database" * 100)
    c = Cache(str(corrupt))
    c.put("tags", "k", 1)
    assert c.get("tags", "k") is None


def test_cache_is_shared_between_instances_and_threads(tmp_path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    a = Cache(str(tmp_path))
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: a.put("n", str(i), {"i": i}), range(200)))
    b = Cache(str(tmp_path))
    assert [b.get("n", str(i)) for i in range(200)] == [{"i": i} for i in range(200)]
    assert b.hits == 200 and b.misses == 0


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = tmp_path / "cert.pem"
    key_pem = tmp_path / "key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_pem), str(key_pem)


def test_tls_is_verified_and_never_downgraded(server: str, tmp_path, monkeypatch) -> None:
    import ssl

    cert, key = _self_signed(tmp_path)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    tls = f"https://127.0.0.1:{srv.server_address[1]}"
    try:
        # an unknown certificate is refused
        with pytest.raises(HttpError, match="TLS certificate not trusted"):
            Http(timeout=2, retries=0).request("GET", f"{tls}/x")
        # trusted (SSL_CERT_FILE, as OpenSSL reads it): served; a redirect to plain
        # http is refused even to a host listed as insecure, credentials and all
        monkeypatch.setenv("SSL_CERT_FILE", cert)
        h = Http(timeout=2, retries=0, insecure_hosts={server})
        assert h.request("GET", f"{tls}/x").status == 200
        _Handler.plan["/down"] = [f"redirect:http://{server}/plain"]
        _Handler.seen.clear()
        with pytest.raises(HttpError, match="refusing a redirect from https to http://127"):
            h.request("GET", f"{tls}/down", {"Authorization": "Basic c2VjcmV0"})
        assert [p for _m, p, _a in _Handler.seen] == ["/down"]
    finally:
        srv.shutdown()
        srv.server_close()


def test_a_request_body_is_never_re_sent_to_another_host(server: str) -> None:
    port = server.split(":")[1]
    _Handler.plan["/token"] = [f"redirect:http://localhost:{port}/elsewhere"]
    h = Http(timeout=2, insecure_hosts={server, f"localhost:{port}"})
    _Handler.do_POST = _Handler.do_GET  # type: ignore[attr-defined]
    try:
        # a 302 turns into a GET without the body (followed); a 307 would re-send it
        assert (
            h.request("POST", f"http://{server}/token", body=b"refresh_token=s3cret").status == 200
        )
        assert [(m, p) for m, p, _a in _Handler.seen] == [("POST", "/token"), ("GET", "/elsewhere")]
        _Handler.seen.clear()
        _Handler.plan["/token307"] = [f"redirect307:http://localhost:{port}/elsewhere"]
        with pytest.raises(HttpError, match="refusing to re-send a request body to another host"):
            h.request("POST", f"http://{server}/token307", body=b"refresh_token=s3cret")
        assert [p for _m, p, _a in _Handler.seen] == ["/token307"]
    finally:
        del _Handler.do_POST  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------
# Unbounded work: servers that never finish (hostile fakes: no real server does this)
# ---------------------------------------------------------------------------


class _Hostile(http.server.BaseHTTPRequestHandler):
    """Answers that keep a client busy: a body or a header line dripped a byte at a
    time, too many headers, an endless header line, a long Retry-After."""

    protocol_version = "HTTP/1.1"
    seen: list[str] = []

    def log_message(self, *args: object) -> None:
        pass

    def _drip(self, data: bytes) -> None:
        for i in range(len(data)):
            try:
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.05)

    def do_GET(self) -> None:
        self.seen.append(self.path)
        w = self.wfile
        if self.path == "/drip-body":
            w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4000\r\n\r\n")
            w.flush()
            self._drip(b"x" * 4000)
        elif self.path == "/drip-header":
            w.write(b"HTTP/1.1 200 OK\r\nX-Endless: ")
            w.flush()
            self._drip(b"y" * 4000)
        elif self.path == "/many-headers":
            w.write(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(150)))
            w.write(b"Content-Length: 0\r\n\r\n")
        elif self.path == "/long-header":
            w.write(b"HTTP/1.1 200 OK\r\nX-Long: " + b"z" * 70000 + b"\r\n\r\n")
        elif self.path == "/retry-after-long":
            body = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"come back in an hour"}]}'
            w.write(
                b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3600\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body
            )
        w.flush()


@pytest.fixture()
def hostile() -> Iterator[str]:
    _Hostile.seen = []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("path", ["/drip-body", "/drip-header"])
def test_a_request_has_a_total_deadline(hostile: str, path: str) -> None:
    # each byte comes well within the read timeout, so only a total deadline ends it
    from hardpin.online.http import DeadlineExceeded

    h = Http(timeout=2.0, retries=2, backoff=0.01, insecure_hosts={hostile}, request_timeout=0.6)
    t0 = time.monotonic()
    with pytest.raises(DeadlineExceeded, match=r"no complete answer within 0\.6 s"):
        h.request("GET", f"http://{hostile}{path}")
    assert time.monotonic() - t0 < 1.5
    assert _Hostile.seen == [path]  # a deadline is not retried


def test_the_run_has_a_deadline_too(hostile: str) -> None:
    from hardpin.online.http import DeadlineExceeded

    h = Http(
        timeout=2.0,
        insecure_hosts={hostile},
        request_timeout=30.0,
        run_deadline=time.monotonic() + 0.4,
    )
    t0 = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="the run's network time limit"):
        h.request("GET", f"http://{hostile}/drip-body")
    assert time.monotonic() - t0 < 1.2
    with pytest.raises(DeadlineExceeded, match="the run's network time limit"):
        h.request("GET", f"http://{hostile}/many-headers")  # nothing is sent any more
    assert _Hostile.seen == ["/drip-body"]


@pytest.mark.parametrize(
    "path, message",
    [
        ("/many-headers", r"too many header lines \(got more than 100 headers\)"),
        ("/long-header", "a header line .* that is too long"),
    ],
)
def test_malformed_answers_get_a_clear_message_and_no_retry(
    hostile: str, path: str, message: str
) -> None:
    h = Http(timeout=2.0, retries=3, backoff=0.01, insecure_hosts={hostile})
    with pytest.raises(HttpError, match=message):
        h.request("GET", f"http://{hostile}{path}")
    assert _Hostile.seen == [path]


def test_a_long_retry_after_is_not_waited_for(hostile: str) -> None:
    h = Http(timeout=2.0, retries=3, backoff=0.01, insecure_hosts={hostile})
    t0 = time.monotonic()
    resp = h.request("GET", f"http://{hostile}/retry-after-long")
    assert time.monotonic() - t0 < 1.0
    assert resp.status == 429 and b"come back in an hour" in resp.body
    assert _Hostile.seen == ["/retry-after-long"]


def test_a_url_that_is_not_ascii_is_a_clear_error() -> None:
    with pytest.raises(HttpError, match="characters other than ASCII"):
        Http(insecure_hosts=None).request("GET", "http://127.0.0.1:9/v2/r/manifests/tag-é")


# ---------------------------------------------------------------------------
# The cache does not trust what it reads back
# ---------------------------------------------------------------------------


def test_cache_entries_are_checked_when_read(tmp_path) -> None:
    import sqlite3

    c = Cache(str(tmp_path))
    c.put("tags", "k", {"digest": "sha256:" + "1" * 64})
    c.put("tags", "other", {"digest": "sha256:" + "2" * 64})
    c.close()
    db = sqlite3.connect(str(tmp_path / "cache.sqlite3"))
    db.execute(
        "UPDATE entries SET value = ? WHERE key = 'k'",
        (json.dumps({"digest": "sha256:" + "e" * 64}),),
    )
    db.commit()
    db.close()
    c = Cache(str(tmp_path))
    assert c.get("tags", "k") is None  # changed behind the cache's back
    assert c.get("tags", "other") == {"digest": "sha256:" + "2" * 64}
    assert c.rejected == 1


def test_future_stamped_entries_expire(tmp_path) -> None:
    import sqlite3

    c = Cache(str(tmp_path))
    c.put("tags", "k", "v")
    c.close()
    db = sqlite3.connect(str(tmp_path / "cache.sqlite3"))
    db.execute("UPDATE entries SET time = ?", (time.time() + 10 * 365 * 86400,))
    db.commit()
    db.close()
    assert Cache(str(tmp_path)).get("tags", "k", ttl=3600) is None
    # content-addressed answers have no age; offline runs use what there is
    assert Cache(str(tmp_path)).get("tags", "k") == "v"
    assert Cache(str(tmp_path), offline=True).get("tags", "k", ttl=3600) == "v"


def test_a_cache_others_can_write_is_not_used(tmp_path, caplog) -> None:
    import os
    import stat

    shared = tmp_path / "shared"
    Cache(str(shared)).put("tags", "k", "v")
    assert stat.S_IMODE(os.stat(shared / "cache.sqlite3").st_mode) & 0o077 == 0
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o700
    os.chmod(shared, 0o777)
    c = Cache(str(shared))
    assert c.get("tags", "k") is None
    c.put("tags", "k2", "v")
    assert "writable by others" in caplog.text
    os.chmod(shared, 0o700)
    os.chmod(shared / "cache.sqlite3", 0o664)
    assert Cache(str(shared)).get("tags", "k") is None
    assert "writable by its group" in caplog.text
    os.chmod(shared / "cache.sqlite3", 0o600)
    assert Cache(str(shared)).get("tags", "k") == "v"
    assert Cache(str(shared)).get("tags", "k2") is None  # never written while refused


def test_a_cache_owned_by_another_user_is_not_used(tmp_path, monkeypatch) -> None:
    import os

    from hardpin.online import cache as cache_mod

    Cache(str(tmp_path)).put("tags", "k", "v")
    real = os.getuid()
    monkeypatch.setattr(cache_mod.os, "getuid", lambda: real + 1)
    assert cache_mod.ownership_problem(str(tmp_path)) == f"it belongs to another user (uid {real})"
    assert Cache(str(tmp_path)).get("tags", "k") is None


def test_a_locked_cache_is_a_miss_after_a_short_wait(tmp_path) -> None:
    import sqlite3

    first = Cache(str(tmp_path))
    first.put("tags", "k", "v")
    first.close()
    holder = sqlite3.connect(str(tmp_path / "cache.sqlite3"), isolation_level=None)
    # in WAL mode only an exclusive locking mode shuts readers out
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT OR REPLACE INTO meta VALUES ('held', 'yes')")
    try:
        c = Cache(str(tmp_path))
        t0 = time.monotonic()
        for i in range(10):
            assert c.get("tags", "k") is None
            c.put("tags", f"k{i}", "v")
        assert time.monotonic() - t0 < 2.0  # not 10 s per get and put
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert Cache(str(tmp_path)).get("tags", "k") == "v"


def test_deferred_puts_are_read_back_and_written_in_one_flush(tmp_path) -> None:
    c = Cache(str(tmp_path))
    c.put("tags", "before", 0)
    c.defer()
    for i in range(20):
        c.put("tags", f"k{i}", {"i": i})
    c.put("tags", "before", 1)  # replaces the stored entry
    assert c.get("tags", "k3", ttl=3600) == {"i": 3}  # this cache sees its own puts
    assert c.get("tags", "k3", ttl=-1) is None  # and reads them with the same TTL
    other = Cache(str(tmp_path))
    assert other.get("tags", "k3") is None  # nothing written yet
    assert other.get("tags", "before") == 0
    c.flush()
    assert [other.get("tags", f"k{i}") for i in range(20)] == [{"i": i} for i in range(20)]
    assert other.get("tags", "before") == 1
    c.put("tags", "after", 2)  # no longer deferred: written at once
    assert other.get("tags", "after") == 2


def test_a_deferred_put_into_a_locked_cache_is_dropped_not_raised(tmp_path) -> None:
    import sqlite3

    first = Cache(str(tmp_path))
    first.put("tags", "k", "v")
    first.close()
    c = Cache(str(tmp_path))
    c.defer()
    c.put("tags", "new", "v")
    holder = sqlite3.connect(str(tmp_path / "cache.sqlite3"), isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT OR REPLACE INTO meta VALUES ('held', 'yes')")
    try:
        t0 = time.monotonic()
        c.close()  # flushes: the database is locked, so the entry is dropped
        assert time.monotonic() - t0 < 2.0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    fresh = Cache(str(tmp_path))
    assert fresh.get("tags", "k") == "v" and fresh.get("tags", "new") is None


def test_run_all_keeps_order_uses_threads_and_raises_the_first_error() -> None:
    from hardpin.online.resolve import _run_all

    seen: set[int] = set()
    lock = threading.Lock()

    def fn(i: int) -> tuple[int, int]:
        with lock:
            seen.add(threading.get_ident())
        time.sleep(0.01)
        return i, i * i

    got = _run_all(fn, list(range(40)), 8)
    assert got == [(i, i * i) for i in range(40)]
    assert 2 <= len(seen) <= 8  # the calling thread and up to 7 more
    assert _run_all(fn, [], 8) == []
    assert _run_all(fn, [3], 8) == [(3, 9)]

    def boom(i: int) -> tuple[int, int]:
        if i == 5:
            raise ValueError("five")
        return i, i

    with pytest.raises(ValueError, match="five"):
        _run_all(boom, list(range(40)), 4)


def test_a_header_with_a_line_break_is_never_sent(server: str) -> None:
    # a token a hostile token server returned must not smuggle a header or a request
    h = Http(timeout=2, retries=0, insecure_hosts={server})
    _Handler.seen.clear()
    with pytest.raises(HttpError, match="line break"):
        h.request("GET", f"http://{server}/x", {"Authorization": "Bearer t\r\nX-Evil: 1"})
    with pytest.raises(HttpError, match="line break"):
        h.request("GET", f"http://{server}/x", {"Authorization": "Bearer t\nGET /y HTTP/1.1"})
    with pytest.raises(HttpError, match="not Latin-1"):
        h.request("GET", f"http://{server}/x", {"Authorization": "Bearer \u2603"})
    assert _Handler.seen == []
    assert h.request("GET", f"http://{server}/x", {"Authorization": "Bearer t"}).status == 200
