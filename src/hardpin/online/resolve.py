"""Answer the pending fixes and online questions of a whole run.

Rules stay offline: a finding that needs a network answer carries a `Pending`
(what to look up, where the answer goes). This module collects the pending items
of every file of the run, looks each distinct (kind, key) up once — concurrently,
through the on-disk cache — and turns the answers into edits or verdicts:

| kind           | key (model.py)                                  | answer                      |
|----------------|-------------------------------------------------|-----------------------------|
| `image`        | ImageKey(`registry/repo:tag`)                   | (index or manifest digest,) |
| `image-update` | ImageUpdateKey(`registry/repo:tag`, digest)     | (digest to pin now,)        |
| `image-exists` | ImageExistsKey(`registry/repo`, digest)         | ("yes",) or ("no",)         |
| `pip-hashes`   | PipHashesKey(file's index URLs, project, version) | ("sha256:…", …) sorted    |
| `lock`         | LockKey(input path, output path, index URLs)    | (new file text,)            |
| `git-ref`      | GitRefKey(repository URL, tag or branch, comment) | (commit,) or (commit, tag) |
| `git-update`   | GitUpdateKey(repository URL, tag, pinned commit)  | (commit the tag names now,) |

A failed lookup answers with an error message instead; the finding keeps its
place, gains the reason, and every other item of the run is still fixed
(`hardpin.engine.complete`). Progress is reported through a callback; drawing it
is the command line's business.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence

from hardpin._record import record
from hardpin.model import (
    GitRefKey,
    GitUpdateKey,
    HardpinError,
    ImageExistsKey,
    ImageKey,
    ImageUpdateKey,
    LockKey,
    PendingKey,
    PipHashesKey,
)
from hardpin.urls import scrub

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from hardpin.online.http import Http
    from hardpin.online.registry import RegistryClient
    from hardpin.refs import ImageRef

    T = TypeVar("T")
    U = TypeVar("U")

Answer = tuple[str, ...]


class LookupFailed(HardpinError):
    """A per-item failure with a one-line message fit for the user."""


class _NeedsNetwork(BaseException):
    # raised by a _LazyHttp used while `Online.answer` answers from the cache alone: the
    # key goes to the worker threads. A BaseException, so that no `except Exception` on
    # the way turns it into an answer.
    pass


class _LazyHttp:
    """The HTTP client of one service, created when a request is first made through it
    (importing http.client and ssl only then). While its `Online` answers from the cache
    alone, any use of it raises _NeedsNetwork instead."""

    __slots__ = ("_factory", "_online", "real")

    def __init__(self, online: Online, factory: Callable[[], Http]) -> None:
        self._online = online
        self._factory = factory
        self.real: Http | None = None

    def __getattr__(self, name: str) -> Any:
        if self._online._cache_only:
            raise _NeedsNetwork
        with self._online._lock:
            if self.real is None:
                self.real = self._factory()
        return getattr(self.real, name)


@record
class OnlineOptions:
    cache_dir: str | None = None
    refresh: bool = False
    offline: bool = False
    concurrency: int = 16
    insecure_registries: tuple[str, ...] = ()
    index_url: str | None = None  # --index-url on the command line
    timeout: float = 15.0  # one connect or read
    request_timeout: float = 30.0  # one request in all (setting `request-timeout`)
    run_timeout: float = 600.0  # every request of the run
    retries: int = 3
    tag_ttl: float = 3600.0
    ca_file: str | None = None  # setting `ca-file` (an absolute path)


class Online:
    """The network side of a run: one cache, one HTTP client per service, one pool."""

    def __init__(self, opts: OnlineOptions, environ: dict[str, str] | None = None) -> None:
        from hardpin.online.cache import Cache

        self.opts = opts
        self.environ = dict(os.environ if environ is None else environ)
        self.cache = Cache(opts.cache_dir, refresh=opts.refresh, offline=opts.offline)
        import time

        self.run_deadline = time.monotonic() + opts.run_timeout
        self._registry: RegistryClient | None = None
        self._index_http: Http | None = None
        self._https: list[_LazyHttp] = []  # every service's client, created or not
        self._cache_only = False  # answering from the cache alone (see `answer`)
        self._lock = threading.Lock()
        # `git ls-remote` answers of this run, one lock per repository (one run each)
        self._git_refs: dict[str, dict[str, str]] = {}
        self._git_locks: dict[str, threading.Lock] = {}

    def _http(self, insecure_hosts: frozenset[str] | None) -> Http:
        """A client for one service, created on first use (see _LazyHttp)."""

        def make() -> Http:
            from hardpin.online.http import Http

            return Http(
                timeout=self.opts.timeout,
                retries=self.opts.retries,
                insecure_hosts=insecure_hosts,
                request_timeout=self.opts.request_timeout,
                run_deadline=self.run_deadline,
                cafile=ca_file(self.opts.ca_file, self.environ),
                environ=self.environ,
            )

        lazy = _LazyHttp(self, make)
        self._https.append(lazy)
        return lazy  # type: ignore[return-value]  # stands in for the Http it creates

    def _urls_of(self, key: object) -> list[str]:
        """The index URLs whose secrets an error about `key` must not show (those of
        the key, with `${VAR}`s filled in, the command line's and the environment's)."""
        out = [self.opts.index_url or ""]
        out += (self.environ.get("PIP_INDEX_URL") or "").split()
        out += (self.environ.get("PIP_EXTRA_INDEX_URL") or "").split()
        file_urls = getattr(key, "index_urls", None)
        if file_urls is not None:
            out += index_urls_of(file_urls, self.environ, self.opts.index_url)
        return [u for u in out if "://" in u]

    # -- services (created on first use) ------------------------------------
    @property
    def registry(self) -> RegistryClient:
        with self._lock:
            if self._registry is None:
                from hardpin.online.auth import Keychain
                from hardpin.online.registry import RegistryClient

                http = self._http(frozenset(self.opts.insecure_registries))
                self._registry = RegistryClient(
                    http,
                    self.cache,
                    insecure_registries=self.opts.insecure_registries,
                    tag_ttl=self.opts.tag_ttl,
                    auth=Keychain(env=self.environ),
                )
            return self._registry

    @property
    def index_http(self) -> Http:
        with self._lock:
            if self._index_http is None:
                self._index_http = self._http(None)
            return self._index_http

    def close(self) -> None:
        for lazy in self._https:
            if lazy.real is not None:
                lazy.real.close()

    @property
    def requests(self) -> int:
        """Network requests made so far (registry and index)."""
        return sum(lazy.real.requests for lazy in self._https if lazy.real is not None)

    # -- answering ------------------------------------------------------------
    def answer(
        self,
        keys: Iterable[PendingKey],
        on_answer: Callable[[int, int], None] | None = None,
    ) -> dict[PendingKey, Answer | str]:
        """Look every distinct key up once; values are answers or error messages.

        `on_answer(done, total)` is called once before the first lookup (done 0) and
        after each one, from the worker threads but never two at a time."""
        todo = list(dict.fromkeys(keys))
        results: dict[PendingKey, Answer | str] = {}
        if not todo:
            return results
        lock = threading.Lock()
        done = 0
        if on_answer is not None:
            on_answer(0, len(todo))

        def attempt(key: PendingKey) -> Answer | str:
            try:
                return self._lookup(key)
            except LookupFailed as exc:
                return scrub(str(exc), self._urls_of(key))
            except Exception as exc:
                why = f"unexpected answer ({type(exc).__name__}: {exc})"
                return scrub(why, self._urls_of(key))

        def answered() -> None:
            nonlocal done
            if on_answer is not None:
                with lock:
                    done += 1
                    on_answer(done, len(todo))

        def one(key: PendingKey) -> tuple[PendingKey, Answer | str]:
            try:
                return key, attempt(key)
            finally:
                answered()

        try:
            # first here, from the cache alone; only the keys that need a request go to
            # worker threads, so a run the cache answers starts no thread and imports no
            # HTTP client
            misses = todo if self.opts.refresh else []
            if not self.opts.refresh:
                cache = self.cache
                self._cache_only = True
                try:
                    for key in todo:
                        counts = (cache.hits, cache.misses, cache.rejected)
                        try:
                            results[key] = attempt(key)
                        except _NeedsNetwork:
                            # asked again by a worker: count its cache reads once
                            cache.hits, cache.misses, cache.rejected = counts
                            misses.append(key)
                        else:
                            answered()
                finally:
                    self._cache_only = False
            # what the lookups store is written in one transaction when they are done
            self.cache.defer()
            results.update(_run_all(one, misses, self.opts.concurrency))
        finally:
            self.close()
            self.cache.flush()
        return {k: results[k] for k in todo}  # in the order of `keys`

    def _lookup(self, key: PendingKey) -> Answer:
        if isinstance(key, ImageKey):
            return _lookup_image(self, key)
        if isinstance(key, ImageUpdateKey):
            return _lookup_image_update(self, key)
        if isinstance(key, ImageExistsKey):
            return _lookup_image_exists(self, key)
        if isinstance(key, PipHashesKey):
            return _lookup_pip_hashes(self, key)
        if isinstance(key, LockKey):
            return _lookup_lock(self, key)
        if isinstance(key, GitRefKey):
            return _lookup_git_ref(self, key)
        if isinstance(key, GitUpdateKey):
            return _lookup_git_update(self, key)
        raise LookupFailed(f"no online handler for {key!r}")


CA_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT")


def ca_file(setting: str | None, environ: Mapping[str, str]) -> str | None:
    """The CA certificates to trust instead of the system's: the `ca-file` setting,
    else the first of SSL_CERT_FILE (OpenSSL's own), REQUESTS_CA_BUNDLE (requests,
    and so twine and many CI images) and PIP_CERT (pip's `--cert`) that is set; None
    for the system's trust store."""
    if setting:
        return setting
    return next((environ[v] for v in CA_VARIABLES if environ.get(v)), None)


def _run_all(fn: Callable[[T], tuple[T, U]], items: list[T], concurrency: int) -> list[tuple[T, U]]:
    """`fn` over `items`, on up to `concurrency` threads: the calling thread and as many
    more (named `hardpin-lookup-N`) as there are items left, each taking the next item
    when it is free. The first exception `fn` raises stops the rest and is raised here,
    once every thread is done. Unlike concurrent.futures, it imports nothing (that
    package imports `logging`) and the calling thread does its share of the work."""
    import _thread

    workers = max(1, min(concurrency, len(items)))
    out: list[tuple[T, U] | None] = [None] * len(items)
    it = iter(enumerate(items))
    take = _thread.allocate_lock()
    finished = _thread.allocate_lock()
    finished.acquire()
    running = workers
    errors: list[BaseException] = []

    def work() -> None:
        nonlocal running
        try:
            while True:
                with take:
                    nxt = None if errors else next(it, None)
                if nxt is None:
                    return
                out[nxt[0]] = fn(nxt[1])
        except BaseException as exc:
            with take:
                errors.append(exc)
        finally:
            with take:
                running -= 1
                if running == 0:
                    finished.release()

    for started in range(workers - 1):
        try:
            threading.Thread(target=work, name=f"hardpin-lookup-{started}", daemon=True).start()
        except RuntimeError:  # no more threads: the ones running take the rest
            with take:
                running -= workers - 1 - started
            break
    work()
    finished.acquire()
    if errors:
        raise errors[0]
    return [r for r in out if r is not None]


# -- per-kind lookups ---------------------------------------------------------


def _image_ref(text: str) -> ImageRef:
    from hardpin.refs import InvalidReference, parse_image

    try:
        return parse_image(text)
    except InvalidReference as exc:
        raise LookupFailed(str(exc)) from None


def _registry_call(fn: Callable[[], T]) -> T:
    from hardpin.online.registry import RegistryError

    try:
        return fn()
    except RegistryError as exc:
        raise LookupFailed(str(exc)) from None
    except Exception as exc:
        # an HttpError comes only from a client that was created, so its module is
        # loaded: an answer from the cache does not import it (nor http.client, ssl)
        http = sys.modules.get("hardpin.online.http")
        if http is not None and isinstance(exc, http.HttpError):
            raise LookupFailed(str(exc)) from None
        raise


def _lookup_image(online: Online, key: ImageKey) -> Answer:
    ref = _image_ref(key.name)
    desc = _registry_call(lambda: online.registry.resolve(ref))
    return (desc.digest,)


def _lookup_image_exists(online: Online, key: ImageExistsKey) -> Answer:
    ref = _image_ref(key.repository)
    found = _registry_call(lambda: online.registry.exists(ref, key.digest))
    return ("yes" if found else "no",)


def _index_types() -> frozenset[str]:
    from hardpin.online.registry import INDEX_TYPES

    return INDEX_TYPES


def _platform_of(online: Online, ref: ImageRef, digest: str) -> dict[str, Any] | None:
    """(os, architecture, variant) of a single-platform manifest, from its config blob."""
    import json

    reg = online.registry
    _desc, manifest = _registry_call(lambda: reg.manifest(ref, digest))
    if manifest.get("mediaType") in _index_types() or "manifests" in manifest:
        return None
    cfg = manifest.get("config") or {}
    cdigest = cfg.get("digest")
    if not isinstance(cdigest, str):
        raise LookupFailed(f"{ref.familiar}@{digest}: the manifest names no config")
    key = f"{ref.name}@{cdigest}"
    cached = online.cache.get("platforms", key)
    if cached is None:
        raw = _registry_call(lambda: reg.blob(ref, cdigest, 1 << 20))
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            raise LookupFailed(f"{ref.familiar}: the image config is not JSON") from None
        cached = {k: data.get(k) for k in ("os", "architecture", "variant") if data.get(k)}
        online.cache.put("platforms", key, cached)
    return cached if isinstance(cached, dict) else None


def _lookup_image_update(online: Online, key: ImageUpdateKey) -> Answer:
    """The digest to pin now; keeps a single-platform pin single-platform."""
    ref = _image_ref(key.name)
    old = key.digest
    reg = online.registry
    now = _registry_call(lambda: reg.resolve(ref))
    new_digest = now.digest
    if new_digest == old:
        return (old,)
    old_platform = _platform_of(online, ref, old)
    if old_platform is None or now.media_type not in _index_types():
        return (new_digest,)
    _d, index = _registry_call(lambda: reg.manifest(ref, new_digest))
    for m in index.get("manifests", []):
        p = m.get("platform") or {}
        if all(p.get(k) == v for k, v in old_platform.items()) and "digest" in m:
            # fetched and hashed before it is written (Digest.parse refuses a malformed one)
            child, _m = _registry_call(lambda d=m["digest"]: reg.manifest(ref, d))  # type: ignore[misc]
            return (child.digest,)
    want = "/".join(old_platform.get(k, "") for k in ("os", "architecture", "variant")).rstrip("/")
    raise LookupFailed(
        f"{ref.familiar} is pinned to a single-platform image ({want}), and the tag's new index has no {want} image"
    )


def index_urls_of(
    file_urls: Sequence[str | None], environ: Mapping[str, str], cli_index_url: str | None
) -> tuple[str, ...]:
    """The indexes to ask for a file's index URLs as `analysis.requirements.index_urls` gives
    them (a leading None: the file names only extra indexes, so the primary index of
    the command line or environment comes first)."""
    from hardpin.online.pypi import index_urls_for

    extra_only = bool(file_urls) and file_urls[0] is None
    return index_urls_for(
        tuple(u for u in file_urls if u is not None),
        environ,
        cli_index_url,
        file_extra_only=extra_only,
    )


def _lookup_pip_hashes(online: Online, key: PipHashesKey) -> Answer:
    from hardpin.online.pypi import IndexLookupError, file_hashes

    urls = index_urls_of(key.index_urls, online.environ, online.opts.index_url)
    try:
        return tuple(file_hashes(online.index_http, online.cache, urls, key.project, key.version))
    except IndexLookupError as exc:
        raise LookupFailed(str(exc)) from None


def _lookup_lock(online: Online, key: LockKey) -> Answer:
    from hardpin.online.lock import LockError, lock

    if online.opts.offline:
        raise LookupFailed("locking needs the package index (--offline is set)")
    urls = index_urls_of(key.index_urls, online.environ, online.opts.index_url)
    try:
        return (lock(key.input_path, key.output_path, index_urls=urls),)
    except LockError as exc:
        raise LookupFailed(str(exc)) from None


def git_refs(online: Online, url: str) -> dict[str, str]:
    """{ref: commit} of the repository at `url` (cached for the tag TTL, by the URL
    without credentials): one `git ls-remote` per repository and run."""
    from hardpin.urls import redact

    cache_key = redact(url)
    with online._lock:
        lock = online._git_locks.setdefault(cache_key, threading.Lock())
    with lock:
        got = online._git_refs.get(cache_key)
        if got is not None:
            return got
        cached = online.cache.get("git-refs", cache_key, ttl=online.opts.tag_ttl)
        if isinstance(cached, dict):
            online._git_refs[cache_key] = cached
            return cached
        if online._cache_only:
            raise _NeedsNetwork
        if online.opts.offline:
            raise LookupFailed(f"{cache_key}: its tags are not cached and --offline is set")
        import time

        from hardpin.online.git import GitError, ls_remote, parse_refs

        left = online.run_deadline - time.monotonic()
        if left <= 0:
            raise LookupFailed(f"{cache_key}: the run's time for network lookups is over")
        try:
            out = ls_remote(
                url, timeout=min(online.opts.request_timeout, left), environ=online.environ
            )
        except GitError as exc:
            raise LookupFailed(str(exc)) from None
        refs = parse_refs(out)
        online.cache.put("git-refs", cache_key, refs)
        online._git_refs[cache_key] = refs
        return refs


def _commit_of(online: Online, url: str, ref: str) -> tuple[dict[str, str], str]:
    from hardpin.online.git import resolve
    from hardpin.urls import display_url

    refs = git_refs(online, url)
    sha = resolve(refs, ref)
    if sha is None:
        raise LookupFailed(f"{display_url(url)} has no tag or branch {ref!r}")
    return refs, sha


def _lookup_git_ref(online: Online, key: GitRefKey) -> Answer:
    from hardpin.online.git import best_tag

    refs, sha = _commit_of(online, key.url, key.ref)
    if not key.comment:
        return (sha,)
    return (sha, best_tag(refs, sha, key.ref) or key.ref)


def _lookup_git_update(online: Online, key: GitUpdateKey) -> Answer:
    return (_commit_of(online, key.url, key.ref)[1],)
