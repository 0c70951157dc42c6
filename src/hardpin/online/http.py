"""A small HTTP client for registries and package indexes (stdlib `http.client`).

Why not `requests`: it costs ~60 ms to import and brings four dependencies; what
hardpin needs is narrow. This client gives:

* keep-alive connections, one pool per thread (lookups run in a thread pool);
* TLS verified with the system trust store; plain HTTP only to hosts listed in
  `insecure_hosts` (`None` allows it everywhere, for package indexes whose URL
  the user wrote);
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

import http.client
import os
import random
import socket
import ssl
import threading
import time
from collections.abc import Collection, Mapping
from urllib.parse import urljoin, urlsplit

from hardpin import __version__
from hardpin._record import record
from hardpin.model import HardpinError
from hardpin.urls import display_url

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


class _Watchdog:
    """One daemon thread that shuts down the socket of every request past its deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._items: dict[int, tuple[float, http.client.HTTPConnection]] = {}
        self._expired: set[int] = set()
        self._next = 0
        self._thread: threading.Thread | None = None
        self._pid = 0  # the process that started the thread (a fork has no thread)

    def watch(self, deadline: float, conn: http.client.HTTPConnection) -> int:
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
    ) -> None:
        """`timeout`: seconds one connect or read may wait; `request_timeout`: seconds a
        whole request may take (retries, redirects and the body included);
        `run_deadline`: a `time.monotonic()` value after which no request runs;
        `cafile`: trust these CA certificates instead of the system's."""
        self.timeout = timeout
        self.request_timeout = request_timeout
        self.run_deadline = run_deadline
        self.cafile = cafile
        self.retries = retries
        self.backoff = backoff
        self.max_body = max_body
        self.insecure_hosts = None if insecure_hosts is None else frozenset(insecure_hosts)
        self.user_agent = user_agent
        self._local = threading.local()
        self._count_lock = threading.Lock()
        self._pools: list[
            dict[tuple[str, str, int], http.client.HTTPConnection]
        ] = []  # every thread's pool, so close() reaches them all
        self.requests = 0  # requests sent (retries and redirects included)
        self._ssl: ssl.SSLContext | None = None

    # -- connections -------------------------------------------------------
    def _pool(self) -> dict[tuple[str, str, int], http.client.HTTPConnection]:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
            with self._count_lock:
                self._pools.append(pool)
        return pool

    def _connection(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        key = (scheme, host, port)
        pool = self._pool()
        conn = pool.get(key)
        if conn is None:
            if scheme == "https":
                if self._ssl is None:
                    self._ssl = ssl.create_default_context(cafile=self.cafile)
                conn = http.client.HTTPSConnection(
                    host, port, timeout=self.timeout, context=self._ssl
                )
            else:
                conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
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
            if conn.sock is not None:
                conn.sock.settimeout(conn.timeout)
            with self._count_lock:
                self.requests += 1
            token = _WATCHDOG.watch(deadline, conn)
            try:
                try:
                    conn.request(method, target, body=body, headers=hdrs)
                    resp = conn.getresponse()
                except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
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
                return self._read(resp, method, url, max_body, (scheme, host, port))
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
        resp: http.client.HTTPResponse,
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
            except (OSError, http.client.HTTPException) as exc:
                if attempt >= self.retries or not _transient(exc):
                    raise HttpError(f"{display_url(url)}: {_describe(exc)}") from None
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
            delay = self.backoff * (2**attempt) * (0.5 + random.random())
        if time.monotonic() + delay >= deadline:
            return False
        if delay > 0:
            time.sleep(delay)
        return True


def _transient(exc: BaseException) -> bool:
    """Whether trying again may help: not for answers that break HTTP's rules."""
    if isinstance(exc, http.client.RemoteDisconnected):
        return True  # (a BadStatusLine too) a dropped connection
    if isinstance(exc, http.client.LineTooLong | http.client.BadStatusLine):
        return False
    return not (type(exc) is http.client.HTTPException and "headers" in str(exc))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, http.client.LineTooLong):
        return "the answer has a header line (or status line) that is too long"
    if type(exc) is http.client.HTTPException and "headers" in str(exc):
        return f"the answer has too many header lines ({exc})"
    if isinstance(exc, http.client.BadStatusLine) and not isinstance(
        exc, http.client.RemoteDisconnected
    ):
        return "the answer is not HTTP (bad status line)"
    if isinstance(exc, http.client.IncompleteRead):
        return "the server closed the connection before the end of the answer"
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error ({exc.reason or exc})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError):
        return "the server closed the connection"
    if isinstance(exc, socket.gaierror):
        return "host not found"
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
