"""A small HTTP client for registries and package indexes (stdlib `http.client`).

Why not `requests`: it costs ~60 ms to import and brings four dependencies; what
hardpin needs is narrow. This client gives:

* keep-alive connections, one pool per thread (lookups run in a thread pool);
* TLS verified with the system trust store; plain HTTP only to hosts listed in
  `insecure_hosts` (`None` allows it everywhere, for package indexes whose URL
  the user wrote);
* bounded retries with exponential backoff and jitter on 5xx, 429 and
  transport errors (dropped connections, timeouts), honouring `Retry-After`
  up to a cap;
* a cap on the size of every response body;
* redirects followed, with `Authorization` dropped when the host changes
  (distribution spec: never forward credentials across hosts);
* messages that never contain credentials (user info and query strings are
  removed from URLs in errors).
"""

from __future__ import annotations

import http.client
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
MAX_RETRY_AFTER = 30.0
MAX_REDIRECTS = 5


class HttpError(HardpinError):
    """A transport failure (after retries), a refused plain-HTTP URL, or an oversized body.

    The message is safe to print: it names the host and path, never credentials.
    """


@record
class Response:
    status: int
    headers: dict  # lower-case names
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
    ) -> None:
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_body = max_body
        self.insecure_hosts = None if insecure_hosts is None else frozenset(insecure_hosts)
        self.user_agent = user_agent
        self._local = threading.local()
        self._count_lock = threading.Lock()
        self._pools: list[dict] = []  # every thread's pool, so close() reaches them all
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
                    self._ssl = ssl.create_default_context()
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
            scheme = p.scheme.lower()
            port = p.port or (443 if scheme == "https" else 80)
        except ValueError:  # a port that is no number (a password holding `/`, say)
            raise HttpError(f"invalid URL {display_url(url)}") from None
        if scheme not in ("http", "https") or not p.hostname:
            raise HttpError(f"unsupported URL {display_url(url)}")
        if scheme == "http" and self.insecure_hosts is not None:
            hp = host_port(url)
            if hp not in self.insecure_hosts and (p.hostname or "") not in self.insecure_hosts:
                raise HttpError(
                    f"refusing plain HTTP to {hp}: list it in `insecure-registries` to allow it"
                )
        target = p.path or "/"
        if p.query:
            target += "?" + p.query
        return scheme, p.hostname, port, target

    def _send_once(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, max_body: int
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
            conn = self._connection(scheme, host, port)
            with self._count_lock:
                self.requests += 1
            try:
                conn.request(method, target, body=body, headers=hdrs)
                resp = conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # a kept-alive connection the server closed meanwhile: reconnect once
                self._drop(scheme, host, port)
                if attempt == 0:
                    continue
                raise
            except BaseException:
                self._drop(scheme, host, port)
                raise
            break
        try:
            length = resp.getheader("Content-Length")
            if (
                length is not None
                and length.isdigit()
                and int(length) > max_body
                and method != "HEAD"
            ):
                self._drop(scheme, host, port)
                raise HttpError(
                    f"{display_url(url)}: response of {int(length)} bytes is over the {max_body}-byte limit"
                )
            data = resp.read(max_body + 1) if method != "HEAD" else resp.read()
            if len(data) > max_body:
                self._drop(scheme, host, port)
                raise HttpError(f"{display_url(url)}: response is over the {max_body}-byte limit")
            if resp.will_close:
                self._drop(scheme, host, port)
        except HttpError:
            raise
        except BaseException:
            self._drop(scheme, host, port)
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
        retry, refused plain-HTTP URLs and oversized bodies.
        """
        limit = self.max_body if max_body is None else max_body
        hdrs = dict(headers or {})
        for _ in range(MAX_REDIRECTS + 1):
            resp = self._with_retries(method, url, hdrs, body, limit)
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
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None, limit: int
    ) -> Response:
        attempt = 0
        while True:
            try:
                resp = self._send_once(method, url, headers, body, limit)
            except HttpError:
                raise
            except (OSError, http.client.HTTPException) as exc:
                if attempt >= self.retries:
                    raise HttpError(f"{display_url(url)}: {_describe(exc)}") from None
                self._sleep(attempt, None)
                attempt += 1
                continue
            if resp.status in RETRY_STATUSES and attempt < self.retries:
                if resp.status == 429 and resp.headers.get("ratelimit-remaining", "").startswith(
                    "0"
                ):
                    return resp  # a pull quota: waiting seconds will not help
                self._sleep(attempt, _retry_after(resp.headers.get("retry-after")))
                attempt += 1
                continue
            resp.url = url
            return resp

    def _sleep(self, attempt: int, retry_after: float | None) -> None:
        if retry_after is not None:
            delay = min(retry_after, MAX_RETRY_AFTER)
        else:
            delay = self.backoff * (2**attempt) * (0.5 + random.random())
        if delay > 0:
            time.sleep(delay)


def _describe(exc: BaseException) -> str:
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
