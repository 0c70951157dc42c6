"""Answer the pending fixes and online questions of a whole run.

Rules stay offline: a finding that needs a network answer carries a `Pending`
(what to look up, where the answer goes). This module collects the pending items
of every file of the run, looks each distinct (kind, key) up once — concurrently,
through the on-disk cache — and turns the answers into edits or verdicts:

| kind           | key                                   | answer                       |
|----------------|---------------------------------------|------------------------------|
| `image`        | (`registry/repo:tag`,)                | (index or manifest digest,)  |
| `image-update` | (`registry/repo:tag`, pinned digest)  | (digest to pin now,)         |
| `image-exists` | (`registry/repo`, pinned digest)      | ("yes",) or ("no",)          |
| `pip-hashes`   | (file's index URLs, project, version) | ("sha256:…", …) sorted       |
| `lock`         | (input path, output path, index URLs) | (new file text,)             |

A failed lookup answers with an error message instead; the finding keeps its
place, gains the reason, and every other item of the run is still fixed.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from hardpin._record import record, replace
from hardpin.model import Applicability, Finding, Fix, Pending

Answer = tuple[str, ...]
PROGRESS_MIN = 8  # show a progress bar on a terminal from this many lookups


class LookupFailed(Exception):
    """A per-item failure with a one-line message fit for the user."""


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
    progress: bool | None = None  # None: on a terminal


class Online:
    """The network side of a run: one cache, one HTTP client per service, one pool."""

    def __init__(self, opts: OnlineOptions, environ: dict[str, str] | None = None) -> None:
        from hardpin.online.cache import Cache

        self.opts = opts
        self.environ = dict(os.environ if environ is None else environ)
        self.cache = Cache(opts.cache_dir, refresh=opts.refresh, offline=opts.offline)
        import time

        self.run_deadline = time.monotonic() + opts.run_timeout
        self._registry = None
        self._index_http = None
        self._lock = threading.Lock()

    # -- services (created on first use) ------------------------------------
    @property
    def registry(self):
        with self._lock:
            if self._registry is None:
                from hardpin.online.auth import Keychain
                from hardpin.online.http import Http
                from hardpin.online.registry import RegistryClient

                http = Http(
                    timeout=self.opts.timeout,
                    retries=self.opts.retries,
                    insecure_hosts=frozenset(self.opts.insecure_registries),
                    request_timeout=self.opts.request_timeout,
                    run_deadline=self.run_deadline,
                )
                self._registry = RegistryClient(
                    http,
                    self.cache,
                    insecure_registries=self.opts.insecure_registries,
                    tag_ttl=self.opts.tag_ttl,
                    auth=Keychain(env=self.environ),
                )
            return self._registry

    @property
    def index_http(self):
        with self._lock:
            if self._index_http is None:
                from hardpin.online.http import Http

                self._index_http = Http(
                    timeout=self.opts.timeout,
                    retries=self.opts.retries,
                    insecure_hosts=None,
                    request_timeout=self.opts.request_timeout,
                    run_deadline=self.run_deadline,
                )
            return self._index_http

    def close(self) -> None:
        for http in (self._registry.http if self._registry is not None else None, self._index_http):
            if http is not None:
                http.close()

    @property
    def requests(self) -> int:
        """Network requests made so far (registry and index)."""
        n = 0
        if self._registry is not None:
            n += self._registry.http.requests
        if self._index_http is not None:
            n += self._index_http.requests
        return n

    # -- answering ------------------------------------------------------------
    def answer(self, pending: Iterable[Pending]) -> dict[tuple[str, tuple], Answer | str]:
        """Look every distinct (kind, key) up once; values are answers or error messages."""
        keys = list(dict.fromkeys((p.kind, p.key) for p in pending))
        results: dict[tuple[str, tuple], Answer | str] = {}
        if not keys:
            return results
        show = self.opts.progress if self.opts.progress is not None else sys.stderr.isatty()
        bar = _Progress(len(keys)) if show and len(keys) >= PROGRESS_MIN else None

        def one(item: tuple[str, tuple]) -> tuple[tuple[str, tuple], Answer | str]:
            try:
                return item, self._lookup(*item)
            except LookupFailed as exc:
                return item, str(exc)
            except Exception as exc:
                return item, f"unexpected answer ({type(exc).__name__}: {exc})"
            finally:
                if bar is not None:
                    bar.advance()

        workers = max(1, min(self.opts.concurrency, len(keys)))
        try:
            if workers == 1:
                results.update(one(k) for k in keys)
            else:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    results.update(pool.map(one, keys))
        finally:
            if bar is not None:
                bar.close()
            self.close()
        return results

    def _lookup(self, kind: str, key: tuple) -> Answer:
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise LookupFailed(f"no online handler for {kind!r}")
        return handler(self, key)


# -- per-kind lookups ---------------------------------------------------------


def _image_ref(text: str):
    from hardpin.refs import InvalidReference, parse_image

    try:
        return parse_image(text)
    except InvalidReference as exc:
        raise LookupFailed(str(exc)) from None


def _registry_call(fn: Callable[[], object]) -> object:
    from hardpin.online.http import HttpError
    from hardpin.online.registry import RegistryError

    try:
        return fn()
    except (RegistryError, HttpError) as exc:
        raise LookupFailed(str(exc)) from None


def _lookup_image(online: Online, key: tuple) -> Answer:
    ref = _image_ref(key[0])
    desc = _registry_call(lambda: online.registry.resolve(ref))
    return (desc.digest,)  # type: ignore[attr-defined]


def _lookup_image_exists(online: Online, key: tuple) -> Answer:
    ref = _image_ref(key[0])
    found = _registry_call(lambda: online.registry.exists(ref, key[1]))
    return ("yes" if found else "no",)


def _index_types() -> frozenset[str]:
    from hardpin.online.registry import INDEX_TYPES

    return INDEX_TYPES


def _platform_of(online: Online, ref, digest: str) -> dict | None:
    """(os, architecture, variant) of a single-platform manifest, from its config blob."""
    import json

    reg = online.registry
    _desc, manifest = _registry_call(lambda: reg.manifest(ref, digest))  # type: ignore[misc]
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
            data = json.loads(raw)  # type: ignore[arg-type]
        except (ValueError, RecursionError):
            raise LookupFailed(f"{ref.familiar}: the image config is not JSON") from None
        cached = {k: data.get(k) for k in ("os", "architecture", "variant") if data.get(k)}
        online.cache.put("platforms", key, cached)
    return cached


def _lookup_image_update(online: Online, key: tuple) -> Answer:
    """The digest to pin now; keeps a single-platform pin single-platform."""
    ref = _image_ref(key[0])
    old = key[1]
    reg = online.registry
    now = _registry_call(lambda: reg.resolve(ref))
    new_digest = now.digest  # type: ignore[attr-defined]
    if new_digest == old:
        return (old,)
    old_platform = _platform_of(online, ref, old)
    if old_platform is None or now.media_type not in _index_types():  # type: ignore[attr-defined]
        return (new_digest,)
    _d, index = _registry_call(lambda: reg.manifest(ref, new_digest))  # type: ignore[misc]
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


def _lookup_pip_hashes(online: Online, key: tuple) -> Answer:
    from hardpin.online.pypi import IndexLookupError, file_hashes

    file_urls, project, version = key
    urls = index_urls_of(file_urls, online.environ, online.opts.index_url)
    try:
        return tuple(file_hashes(online.index_http, online.cache, urls, project, version))
    except IndexLookupError as exc:
        raise LookupFailed(str(exc)) from None


def _lookup_lock(online: Online, key: tuple) -> Answer:
    from hardpin.online.lock import LockError, lock

    in_path, out_path, file_urls = key
    if online.opts.offline:
        raise LookupFailed("locking needs the package index (--offline is set)")
    urls = index_urls_of(file_urls, online.environ, online.opts.index_url)
    try:
        return (lock(in_path, out_path, index_urls=urls),)
    except LockError as exc:
        raise LookupFailed(str(exc)) from None


_HANDLERS: dict[str, Callable[[Online, tuple], Answer]] = {
    "image": _lookup_image,
    "image-update": _lookup_image_update,
    "image-exists": _lookup_image_exists,
    "pip-hashes": _lookup_pip_hashes,
    "lock": _lookup_lock,
}


# -- answers -> findings --------------------------------------------------------


ONLINE_CHECKS = frozenset({"image-exists", "image-update"})


def complete(
    findings: Sequence[Finding],
    answers: dict[tuple[str, tuple], Answer | str],
    *,
    updates: bool = False,
) -> list[Finding]:
    """Findings with their pending fixes completed (or dropped, for online verdicts).

    * a fix answer becomes an edit (safe; a whole-file lock is unsafe);
    * an error is added to the finding's message, which stays;
    * online checks are candidates: `image-exists` is kept only when the registry
      says the digest is gone, `image-update` only when the tag moved. Unanswered
      (a reference a fix has just pinned) or failed (the registry could not be
      asked: that is not a verdict) candidates are dropped. The edit that moves a
      digest is attached only with `updates` (`hardpin update`).
    """
    out: list[Finding] = []
    for f in findings:
        p = f.pending
        if p is None:
            out.append(f)
            continue
        ans = answers.get((p.kind, p.key))
        if p.kind in ONLINE_CHECKS:
            if ans is None or isinstance(ans, str):
                continue
            if p.kind == "image-exists":
                if ans == ("no",):
                    out.append(f)
            elif ans[0] != p.key[1]:
                msg = f"{f.message}: now {ans[0]}"
                fix = Fix((p.edit(ans),), Applicability.SAFE) if updates else None
                out.append(replace(f, message=msg, edits=fix))
        elif ans is None:
            out.append(f)
        elif isinstance(ans, str):
            out.append(replace(f, message=f"{f.message} [cannot fix: {ans}]"))
        else:
            applicability = Applicability.UNSAFE if p.kind == "lock" else Applicability.SAFE
            out.append(replace(f, edits=Fix((p.edit(ans),), applicability)))
    return out


class _Progress:
    def __init__(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._p = Progress(
            TextColumn("resolving"),
            BarColumn(),
            MofNCompleteColumn(),
            transient=True,
            console=_stderr_console(),
        )
        self._task = self._p.add_task("resolve", total=total)
        self._p.start()
        self._lock = threading.Lock()

    def advance(self) -> None:
        with self._lock:
            self._p.advance(self._task)

    def close(self) -> None:
        self._p.stop()


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)
