"""A small HTTP/1.1 client for registries and package indexes, over `socket` (and
`ssl` for https, imported on the first https connection).

Why not `requests`, `urllib3` or even `http.client`: see docs/architecture.md (start-up:
`http.client` with the `email` package it parses headers with costs more than the 50
requests of a cold run on loopback). What hardpin needs is narrow. This client gives:

* keep-alive connections, one pool per thread (lookups run in a thread pool);
* TLS verified with the system trust store, or with the CA certificates of
  `cafile`; plain HTTP only to hosts listed in `insecure_hosts` (`None` allows it
  everywhere, for package indexes whose URL the user wrote);
* proxies from the environment (`https_proxy`, `http_proxy`, `all_proxy`,
  `no_proxy`, upper-case too; see `proxy_for`): https through a `CONNECT` tunnel,
  plain http as an absolute-form request to the proxy;
* bounded retries with exponential backoff and jitter on 5xx, 429 and
  transport errors (dropped connections, timeouts); a `Retry-After` longer
  than `MAX_RETRY_AFTER` is not waited for: the answer is returned at once
  (the caller reports the server's message);
* a total deadline for every request (`request_timeout`, retries and redirects
  included) and an optional one for the whole run (`run_deadline`): a server
  that drips a body or an endless header line byte by byte is cut off by a
  watchdog that shuts the socket down, since the per-read `timeout` alone
  never fires while bytes keep coming;
* a cap on the size of every response body;
* redirects followed, with `Authorization` dropped when the host changes
  (distribution spec: never forward credentials across hosts);
* messages that never contain credentials (user info and query strings are
  removed from URLs in errors).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from urllib.parse import unquote, urljoin, urlsplit

from hardpin import __version__
from hardpin._record import record
from hardpin.model import HardpinError
from hardpin.urls import display_url

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from collections.abc import Collection, Mapping
    from typing import Any

USER_AGENT = f"hardpin/{__version__}"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 10.0  # a longer Retry-After fails the request instead of waiting
MAX_REDIRECTS = 5
DEFAULT_REQUEST_TIMEOUT = 30.0


class HttpError(HardpinError):
    """A transport failure (after retries), a refused plain-HTTP URL, or an oversized body.

    The message is safe to print: it names the host and path, never credentials.
    """


class DeadlineExceeded(HttpError):
    """The request's (or the run's) time limit passed before a complete answer."""


class ProxyError(HttpError):
    """A proxy setting that cannot be used, or a proxy that refused the tunnel."""


# -- the wire ----------------------------------------------------------------------
# HTTP/1.1 over a socket, as much as the three request shapes need: no `http.client`
# (whose import, with `email` and its parsers, cost more than the 50 requests of a
# cold run on loopback), `ssl` imported only for https. Limits as http.client's.

MAX_LINE = 65536  # a status or header line
_UNSENDABLE = frozenset("\r\n\0")
MAX_HEADERS = 100


class ProtocolError(Exception):
    """An answer that breaks HTTP's rules (not retried)."""


class _Disconnected(ConnectionResetError):
    """The server closed the connection before the status line (a kept-alive connection
    it had closed meanwhile, usually: tried again once on a new one)."""


class _Incomplete(OSError):
    """The connection ended inside the body."""


class _Conn:
    """One connection to an origin (or, through a proxy, to the proxy): connected on
    the first request, kept alive between requests while the server allows it."""

    __slots__ = ("host", "port", "tls", "timeout", "sock", "_rfile", "proxy")

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float,
        tls: ssl.SSLContext | None,
        proxy: _Proxy | None,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.tls = tls
        self.proxy = proxy
        self.sock: socket.socket | None = None
        self._rfile: Any = None

    def close(self) -> None:
        sock, self.sock = self.sock, None
        rfile, self._rfile = self._rfile, None
        if rfile is not None:
            rfile.close()
        if sock is not None:
            sock.close()

    def _connect(self) -> None:
        proxy = self.proxy
        host, port = (proxy.host, proxy.port) if proxy is not None else (self.host, self.port)
        # an ASCII name as bytes: getaddrinfo would otherwise load the idna codec
        # (with stringprep and unicodedata) to encode it
        name = host.encode("ascii") if host.isascii() else host
        sock = socket.create_connection((name, port), self.timeout)  # type: ignore[arg-type]
        self.sock = sock
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:
                if proxy is not None:
                    self._rfile = sock.makefile("rb")
                    self._tunnel(proxy)
                    self._rfile.close()
                self.sock = sock = self.tls.wrap_socket(sock, server_hostname=self.host)
            self._rfile = sock.makefile("rb")
        except BaseException:
            self.close()
            raise

    def _tunnel(self, proxy: _Proxy) -> None:
        """CONNECT through the proxy to the origin (for https)."""
        assert self.sock is not None
        authority = _authority(self.host, self.port, 0)
        lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
        if proxy.authorization:
            lines.append(f"Proxy-Authorization: {proxy.authorization}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        resp = self._response("CONNECT")
        if resp.status == 407 or (resp.status == 401 and proxy.authorization):
            # (tinyproxy answers wrong credentials with a 401)
            raise ProxyError(_proxy_refusal(proxy))
        if not 200 <= resp.status < 300:
            raise ProxyError(
                f"the proxy {proxy.shown} refused to connect to {authority} (HTTP {resp.status})"
            )

    def request(
        self, method: str, target: str, body: bytes | None, headers: Mapping[str, str]
    ) -> None:
        if self.sock is None:
            self._connect()
        assert self.sock is not None
        lines = [f"{method} {target} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body or b'')}")
        if any(_UNSENDABLE.intersection(line) for line in lines) or " " in target:
            # a token or URL from a server must never add a header line (or a request)
            raise HttpError("refusing to send a request line or header with a line break")
        try:
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        except UnicodeEncodeError:
            raise HttpError("refusing to send a header that is not Latin-1 text") from None
        self.sock.sendall(head + body if body else head)

    def getresponse(self, method: str) -> _Response:
        return self._response(method)

    def _response(self, method: str) -> _Response:
        rfile = self._rfile
        while True:
            line = _line(rfile)
            if not line:
                raise _Disconnected("the server closed the connection")
            parts = line.decode("latin-1").rstrip("\r\n").split(None, 2)
            if (
                len(parts) < 2
                or not parts[0].startswith("HTTP/1.")
                or len(parts[1]) != 3
                or not parts[1].isdigit()
            ):
                raise ProtocolError("the answer is not HTTP (bad status line)")
            status = int(parts[1])
            headers: list[tuple[str, str]] = []
            while True:
                hl = _line(rfile)
                if hl in (b"\r\n", b"\n", b""):
                    break
                if len(headers) >= MAX_HEADERS:
                    raise ProtocolError(
                        f"the answer has too many header lines (got more than {MAX_HEADERS} "
                        "headers)"
                    )
                text = hl.decode("latin-1").rstrip("\r\n")
                if text[:1] in (" ", "\t") and headers:  # an obsolete folded line
                    name, value = headers[-1]
                    headers[-1] = (name, value + " " + text.strip())
                    continue
                name, sep, value = text.partition(":")
                if not sep:
                    continue  # as http.client: a line that is not a header is ignored
                headers.append((name.strip(), value.strip()))
            if 100 <= status < 200 and status != 101:
                continue  # an interim answer (100 Continue): the real one follows
            return _Response(rfile, method, status, parts[0], headers)


def _line(rfile: Any) -> bytes:
    line: bytes = rfile.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise ProtocolError("the answer has a header line (or status line) that is too long")
    return line


class _Response:
    """A status, headers and a body read on demand (`read`)."""

    __slots__ = ("_rfile", "status", "_headers", "will_close", "_length", "_chunked", "_eof")

    def __init__(
        self,
        rfile: Any,
        method: str,
        status: int,
        version: str,
        headers: list[tuple[str, str]],
    ) -> None:
        self._rfile = rfile
        self.status = status
        self._headers = headers
        connection = (self.getheader("Connection") or "").lower()
        self.will_close = "close" in connection or (
            version == "HTTP/1.0" and "keep-alive" not in connection
        )
        self._chunked = False
        self._length: int | None = None
        if method in ("HEAD", "CONNECT") or status in (204, 304):
            self._length = 0
        elif "chunked" in (self.getheader("Transfer-Encoding") or "").lower():
            self._chunked = True
        else:
            value = self.getheader("Content-Length")
            if value is not None:
                if not value.strip().isdigit():
                    raise ProtocolError(
                        f"the answer has an invalid Content-Length ({value[:20]!r})"
                    )
                self._length = int(value)
            else:
                self.will_close = True  # the body runs to the end of the connection
        self._eof = False

    def getheader(self, name: str) -> str | None:
        name = name.lower()
        found = [v for k, v in self._headers if k.lower() == name]
        return ", ".join(found) if found else None

    def getheaders(self) -> list[tuple[str, str]]:
        return list(self._headers)

    def read(self, limit: int | None = None) -> bytes:
        """The body, or its first `limit` bytes when longer (then the connection is no
        longer usable: the caller drops it)."""
        rfile = self._rfile
        cap = (1 << 62) if limit is None else limit  # (never allocated: see below)
        if self._length is not None:
            want = min(self._length, cap)
            data = rfile.read(want) if want else b""
            if len(data) < want:
                raise _Incomplete("the server closed the connection before the end of the answer")
            return data
        if not self._chunked:
            self.will_close = True
            return bytes(rfile.read() if limit is None else rfile.read(limit))
        out = bytearray()
        while True:
            size_line = _line(rfile)
            if not size_line:
                raise _Incomplete("the server closed the connection before the end of the answer")
            size_text = size_line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ProtocolError("the answer has an invalid chunk size") from None
            if size == 0:
                while _line(rfile) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(out)
            take = min(size, cap - len(out) + 1)
            chunk = rfile.read(take)
            if len(chunk) < take:
                raise _Incomplete("the server closed the connection before the end of the answer")
            out += chunk
            if len(out) > cap:
                return bytes(out)  # over the caller's limit: the caller drops the connection
            rfile.read(2)  # CRLF after the chunk


class _Watchdog:
    """One daemon thread that shuts down the socket of every request past its deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._items: dict[int, tuple[float, _Conn]] = {}
        self._expired: set[int] = set()
        self._next = 0
        self._thread: threading.Thread | None = None
        self._pid = 0  # the process that started the thread (a fork has no thread)

    def watch(self, deadline: float, conn: _Conn) -> int:
        with self._cond:
            self._next += 1
            token = self._next
            self._items[token] = (deadline, conn)
            if self._thread is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="hardpin-http-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()
            return token

    def release(self, token: int) -> bool:
        """Stop watching; True when the deadline had passed (the socket was shut down)."""
        with self._cond:
            self._items.pop(token, None)
            if token in self._expired:
                self._expired.discard(token)
                return True
            return False

    def _run(self) -> None:
        while True:
            with self._cond:
                now = time.monotonic()
                due = [t for t, (d, _c) in self._items.items() if d <= now]
                for token in due:
                    _d, conn = self._items.pop(token)
                    self._expired.add(token)
                    sock = conn.sock
                    if sock is not None:
                        try:
                            # the plain socket's shutdown, also under TLS: the reading
                            # thread gets end-of-file at once
                            socket.socket.shutdown(sock, socket.SHUT_RDWR)
                        except OSError:
                            pass
                nearest = min((d for d, _c in self._items.values()), default=None)
                self._cond.wait(None if nearest is None else max(0.0, nearest - now))


_WATCHDOG = _Watchdog()


@record
class Response:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    url: str


def host_port(url: str) -> str:
    """`host:port` as written in insecure-registries (the port only when the URL has one)."""
    p = urlsplit(url)
    host = p.hostname or ""
    return f"{host}:{p.port}" if p.port else host


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Http:
    def __init__(
        self,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.2,
        max_body: int = 8 << 20,
        insecure_hosts: Collection[str] | None = frozenset(),
        user_agent: str = USER_AGENT,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        run_deadline: float | None = None,
        cafile: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        """`timeout`: seconds one connect or read may wait; `request_timeout`: seconds a
        whole request may take (retries, redirects and the body included);
        `run_deadline`: a `time.monotonic()` value after which no request runs;
        `cafile`: trust these CA certificates instead of the system's;
        `environ`: where proxy variables are read (default: os.environ)."""
        self.timeout = timeout
        self.request_timeout = request_timeout
        self.run_deadline = run_deadline
        self.cafile = cafile
        self.retries = retries
        self.backoff = backoff
        self.max_body = max_body
        self.insecure_hosts = None if insecure_hosts is None else frozenset(insecure_hosts)
        self.user_agent = user_agent
        self.environ = os.environ if environ is None else environ
        self._local = threading.local()
        self._count_lock = threading.Lock()
        self._pools: list[
            dict[tuple[str, str, int], _Conn]
        ] = []  # every thread's pool, so close() reaches them all
        self.requests = 0  # requests sent (retries and redirects included)
        self._ssl: ssl.SSLContext | None = None
        self._proxies: dict[tuple[str, str, int], _Proxy | None] = {}

    # -- connections -------------------------------------------------------
    def _pool(self) -> dict[tuple[str, str, int], _Conn]:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
            with self._count_lock:
                self._pools.append(pool)
        return pool

    def _tls(self) -> ssl.SSLContext:
        with self._count_lock:
            if self._ssl is None:
                import ssl

                try:
                    self._ssl = ssl.create_default_context(cafile=self.cafile)
                except (OSError, ssl.SSLError) as exc:
                    why = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
                    raise HttpError(
                        f"cannot load the CA certificates of {self.cafile} ({why})"
                    ) from None
            return self._ssl

    def proxy(self, scheme: str, host: str, port: int) -> _Proxy | None:
        """The proxy a request to this origin goes through (from the environment)."""
        key = (scheme, host, port)
        if key not in self._proxies:
            self._proxies[key] = proxy_for(scheme, host, port, self.environ)
        return self._proxies[key]

    def _via(self, url: str) -> str:
        """` (through the proxy HOST:PORT)` when a request to `url` uses one."""
        try:
            p = urlsplit(url)
            scheme = p.scheme.lower()
            port = p.port or (443 if scheme == "https" else 80)
            proxy = self._proxies.get((scheme, p.hostname or "", port))
        except ValueError:
            return ""
        return f" (through the proxy {proxy.shown})" if proxy is not None else ""

    def _connection(self, scheme: str, host: str, port: int) -> _Conn:
        key = (scheme, host, port)
        pool = self._pool()
        conn = pool.get(key)
        if conn is None:
            tls = self._tls() if scheme == "https" else None
            conn = _Conn(host, port, self.timeout, tls, self.proxy(scheme, host, port))
            pool[key] = conn
        return conn

    def _drop(self, scheme: str, host: str, port: int) -> None:
        conn = self._pool().pop((scheme, host, port), None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        """Close the connections of every thread (call when the run's lookups are done)."""
        with self._count_lock:
            pools = list(self._pools)
        for pool in pools:
            for conn in list(pool.values()):
                conn.close()
            pool.clear()

    # -- requests ----------------------------------------------------------
    def _check_scheme(self, url: str) -> tuple[str, str, int, str]:
        try:
            p = urlsplit(url)
            port = p.port
        except ValueError:
            raise HttpError(f"invalid URL {display_url(url)}") from None
        scheme = p.scheme.lower()
        if scheme not in ("http", "https") or not p.hostname:
            raise HttpError(f"unsupported URL {display_url(url)}")
        if not url.isascii():
            raise HttpError(
                f"{display_url(url)!r}: the URL has characters other than ASCII, "
                "which no request can carry"
            )
        if scheme == "http" and self.insecure_hosts is not None:
            hp = host_port(url)
            if hp not in self.insecure_hosts and (p.hostname or "") not in self.insecure_hosts:
                raise HttpError(
                    f"refusing plain HTTP to {hp}: list it in `insecure-registries` to allow it"
                )
        port = port or (443 if scheme == "https" else 80)
        target = p.path or "/"
        if p.query:
            target += "?" + p.query
        return scheme, p.hostname, port, target

    def _deadline_error(self, url: str, deadline: float) -> DeadlineExceeded:
        if self.run_deadline is not None and deadline >= self.run_deadline:
            return DeadlineExceeded(
                f"{display_url(url)}: no complete answer before the run's network time limit"
            )
        return DeadlineExceeded(
            f"{display_url(url)}: no complete answer within {self.request_timeout:g} s "
            "(the request time limit)"
        )

    def _send_once(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        max_body: int,
        deadline: float,
    ) -> Response:
        scheme, host, port, target = self._check_scheme(url)
        hdrs = {"User-Agent": self.user_agent, "Accept-Encoding": "identity", **headers}
        if ":" in host:
            host_header = f"[{host}]"
        else:
            host_header = host
        if (scheme, port) not in (("http", 80), ("https", 443)):
            host_header += f":{port}"
        hdrs.setdefault("Host", host_header)
        for attempt in (0, 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._deadline_error(url, deadline)
            conn = self._connection(scheme, host, port)
            conn.timeout = min(self.timeout, remaining)
            proxy = conn.proxy
            if proxy is not None and conn.tls is None:
                # plain http through a proxy: the absolute form, to the proxy
                send_target = f"http://{host_header}{target}"
                send_headers = hdrs
                if proxy.authorization:
                    send_headers = {**hdrs, "Proxy-Authorization": proxy.authorization}
            else:
                send_target, send_headers = target, hdrs
            if conn.sock is not None:
                conn.sock.settimeout(conn.timeout)
            with self._count_lock:
                self.requests += 1
            token = _WATCHDOG.watch(deadline, conn)
            try:
                try:
                    conn.request(method, send_target, body, send_headers)
                    resp = conn.getresponse(method)
                except (BrokenPipeError, ConnectionResetError):
                    # a kept-alive connection the server closed meanwhile: reconnect once
                    self._drop(scheme, host, port)
                    if _WATCHDOG.release(token):
                        raise self._deadline_error(url, deadline) from None
                    if attempt == 0:
                        continue
                    raise
                except BaseException:
                    self._drop(scheme, host, port)
                    raise
                answer = self._read(resp, method, url, max_body, (scheme, host, port))
                if answer.status == 407 and proxy is not None and conn.tls is None:
                    raise ProxyError(_proxy_refusal(proxy))
                return answer
            except HttpError:
                raise
            except BaseException:
                if _WATCHDOG.release(token):
                    raise self._deadline_error(url, deadline) from None
                raise
            finally:
                if _WATCHDOG.release(token):
                    self._drop(scheme, host, port)
                    raise self._deadline_error(url, deadline)
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(
        self,
        resp: _Response,
        method: str,
        url: str,
        max_body: int,
        key: tuple[str, str, int],
    ) -> Response:
        try:
            length = resp.getheader("Content-Length")
            if (
                length is not None
                and length.isdigit()
                and int(length) > max_body
                and method != "HEAD"
            ):
                self._drop(*key)
                raise HttpError(
                    f"{display_url(url)}: response of {int(length)} bytes is over the {max_body}-byte limit"
                )
            data = resp.read(max_body + 1) if method != "HEAD" else resp.read()
            if len(data) > max_body:
                self._drop(*key)
                raise HttpError(f"{display_url(url)}: response is over the {max_body}-byte limit")
            if resp.will_close:
                self._drop(*key)
        except HttpError:
            raise
        except BaseException:
            self._drop(*key)
            raise
        return Response(
            status=resp.status,
            headers={k.lower(): v for k, v in resp.getheaders()},
            body=data,
            url=url,
        )

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        *,
        max_body: int | None = None,
    ) -> Response:
        """Send a request, retrying transient failures; follow redirects.

        Returns the final response whatever its status (a 5xx or 429 after the last
        retry included). Raises HttpError for transport failures after the last
        retry, refused plain-HTTP URLs and oversized bodies, DeadlineExceeded when
        the request time limit (or the run's) passes first.
        """
        limit = self.max_body if max_body is None else max_body
        hdrs = dict(headers or {})
        deadline = time.monotonic() + self.request_timeout
        if self.run_deadline is not None:
            deadline = min(deadline, self.run_deadline)
        for _ in range(MAX_REDIRECTS + 1):
            resp = self._with_retries(method, url, hdrs, body, limit, deadline)
            if resp.status in (301, 302, 303, 307, 308) and "location" in resp.headers:
                new = urljoin(url, resp.headers["location"])
                old_p, new_p = urlsplit(url), urlsplit(new)
                if old_p.scheme == "https" and new_p.scheme != "https":
                    raise HttpError(
                        f"{display_url(url)}: refusing a redirect from https to {display_url(new)}"
                    )
                if new_p.netloc != old_p.netloc:
                    hdrs = {k: v for k, v in hdrs.items() if k.lower() != "authorization"}
                    if body is not None and resp.status in (307, 308):
                        # a 307/308 re-sends the body: never a request body (a refresh
                        # token, say) to another host
                        raise HttpError(
                            f"{display_url(url)}: refusing to re-send a request body "
                            f"to another host ({display_url(new)})"
                        )
                if resp.status in (301, 302, 303) and method != "HEAD":
                    method, body = "GET", None  # as browsers and requests do
                url = new
                continue
            return resp
        raise HttpError(f"{display_url(url)}: too many redirects")

    def _with_retries(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        limit: int,
        deadline: float,
    ) -> Response:
        attempt = 0
        while True:
            try:
                resp = self._send_once(method, url, headers, body, limit, deadline)
            except HttpError:
                raise
            except (OSError, ProtocolError) as exc:
                if attempt >= self.retries or not _transient(exc):
                    raise HttpError(
                        f"{display_url(url)}: {_describe(exc)}{self._via(url)}"
                    ) from None
                if not self._sleep(attempt, None, deadline):
                    raise self._deadline_error(url, deadline) from None
                attempt += 1
                continue
            if resp.status in RETRY_STATUSES and attempt < self.retries:
                if resp.status == 429 and resp.headers.get("ratelimit-remaining", "").startswith(
                    "0"
                ):
                    return resp  # a pull quota: waiting seconds will not help
                wait = _retry_after(resp.headers.get("retry-after"))
                if wait is not None and wait > MAX_RETRY_AFTER:
                    return resp  # not worth waiting for: the caller reports the answer
                if not self._sleep(attempt, wait, deadline):
                    return resp  # no time left to try again
                attempt += 1
                continue
            resp.url = url
            return resp

    def _sleep(self, attempt: int, retry_after: float | None, deadline: float) -> bool:
        """Wait before a retry; False (without waiting) when the wait would pass `deadline`."""
        if retry_after is not None:
            delay = min(retry_after, MAX_RETRY_AFTER)
        else:
            import random

            delay = self.backoff * (2**attempt) * (0.5 + random.random())
        if time.monotonic() + delay >= deadline:
            return False
        if delay > 0:
            time.sleep(delay)
        return True


def _transient(exc: BaseException) -> bool:
    """Whether trying again may help: not for answers that break HTTP's rules, nor for
    an unusable proxy setting."""
    return not isinstance(exc, ProtocolError)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ProtocolError | _Incomplete):
        return str(exc)
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    ssl = sys.modules.get("ssl")  # loaded when a TLS connection was made
    if ssl is not None and isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"TLS certificate not trusted ({exc.verify_message}); to trust its CA, set "
            "`ca-file` or SSL_CERT_FILE"
        )
    if ssl is not None and isinstance(exc, ssl.SSLError):
        return f"TLS error ({exc.reason or exc})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "the server closed the connection"
    if isinstance(exc, socket.gaierror):
        return "host not found"
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__


# -- proxies ---------------------------------------------------------------------


@record
class _Proxy:
    host: str
    port: int
    authorization: str | None  # "Basic ..." from the proxy URL's user info
    shown: str  # host:port, for messages


def _proxy_refusal(proxy: _Proxy) -> str:
    if proxy.authorization:
        return f"the proxy {proxy.shown} refused the credentials in its URL (HTTP 407)"
    return (
        f"the proxy {proxy.shown} asks for credentials (HTTP 407): put them in the proxy "
        "URL (http://user:password@host:port)"
    )


def _authority(host: str, port: int, default_port: int) -> str:
    name = f"[{host}]" if ":" in host else host
    return name if port == default_port else f"{name}:{port}"


def _env(environ: Mapping[str, str], name: str) -> str:
    """A proxy variable, the lower-case spelling first (as curl and urllib read them).
    Upper-case HTTP_PROXY is ignored in a CGI request (`REQUEST_METHOD` set), where a
    client's `Proxy:` header would become it."""
    value = environ.get(name.lower())
    if value is None and not (name == "HTTP_PROXY" and "REQUEST_METHOD" in environ):
        value = environ.get(name)
    return (value or "").strip()


def bypass_proxy(host: str, port: int, no_proxy: str) -> bool:
    """Whether `no_proxy` (comma- or space-separated: `*`, host names, `.domain` or
    `domain` suffixes, IP addresses, CIDR blocks, each with an optional `:port`) names
    this host."""
    host = host.lower().strip("[]").rstrip(".")
    for raw in no_proxy.replace(",", " ").split():
        entry = raw.lower()
        if entry == "*":
            return True
        entry_port = None
        if entry.startswith("["):  # [v6] or [v6]:port
            close = entry.find("]")
            rest = entry[close + 1 :]
            if rest.startswith(":") and rest[1:].isdigit():
                entry_port = int(rest[1:])
            entry = entry[1:close]
        elif entry.count(":") == 1:
            name, _, p = entry.partition(":")
            if p.isdigit():
                entry, entry_port = name, int(p)
        if entry_port is not None and entry_port != port:
            continue
        entry = entry.rstrip(".")
        if "/" in entry:
            import ipaddress

            try:
                if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        bare = entry.lstrip(".")
        if bare and (host == bare or host.endswith("." + bare)):
            return True
    return False


def proxy_for(scheme: str, host: str, port: int, environ: Mapping[str, str]) -> _Proxy | None:
    """The proxy for a request to scheme://host:port: `https_proxy` for https,
    `http_proxy` for http, else `all_proxy`; none when `no_proxy` names the host.
    Only `http://` proxies (the usual corporate kind) are supported: any other scheme
    is a ProxyError rather than a direct connection the user did not ask for."""
    url = _env(environ, f"{scheme.upper()}_PROXY") or _env(environ, "ALL_PROXY")
    if not url or bypass_proxy(host, port, _env(environ, "NO_PROXY")):
        return None
    if "://" not in url:
        url = "http://" + url
    try:
        p = urlsplit(url)
        proxy_port = p.port or 80
    except ValueError:
        raise ProxyError(f"the proxy setting {display_url(url)} is not a valid URL") from None
    if p.scheme.lower() != "http" or not p.hostname:
        raise ProxyError(
            f"the proxy {display_url(url)} is not supported: only http:// proxies are "
            "(https is still verified end to end through them)"
        )
    auth = None
    if p.username is not None:
        import base64

        pair = f"{unquote(p.username)}:{unquote(p.password or '')}"
        auth = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    return _Proxy(p.hostname, proxy_port, auth, _authority(p.hostname, proxy_port, 80))
