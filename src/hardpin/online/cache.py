"""The on-disk cache of network answers.

One JSON file per entry under `<root>/<namespace>/<hash of key>.json`, written
through a temporary file and `os.replace`, so concurrent runs never read half an
entry. The root is `$HARDPIN_CACHE_DIR`, else `$XDG_CACHE_HOME/hardpin`, else
`~/.cache/hardpin`.

Answers that can change (a tag's digest, an index page) are read with a TTL;
content-addressed answers (a manifest by digest, the hashes of a released
version's files) are read without one. `refresh=True` ignores what is stored
(and overwrites it); `offline=True` uses stored answers whatever their age, and
callers must not go to the network when `get` returns None.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from typing import Any


def default_root() -> str:
    env = os.environ.get("HARDPIN_CACHE_DIR")
    if env:
        return env
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = xdg if xdg else os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hardpin")


class Cache:
    VERSION = 1

    def __init__(self, root: str | None = None, *, refresh: bool = False, offline: bool = False) -> None:
        self.root = root or default_root()
        self.refresh = refresh
        self.offline = offline
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._made: set[str] = set()

    def _path(self, namespace: str, key: str) -> str:
        h = hashlib.sha256(f"{self.VERSION}\0{namespace}\0{key}".encode()).hexdigest()
        return os.path.join(self.root, namespace, h[:2], h + ".json")

    def get(self, namespace: str, key: str, ttl: float | None = None) -> Any:
        """The stored value, or None when absent, expired (ttl seconds) or refreshing."""
        if self.refresh:
            return None
        try:
            with open(self._path(namespace, key), encoding="utf-8") as fh:
                entry = json.load(fh)
        except (OSError, ValueError):
            with self._lock:
                self.misses += 1
            return None
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        if ttl is not None and not self.offline and time.time() - float(entry.get("time", 0)) > ttl:
            with self._lock:
                self.misses += 1
            return None
        with self._lock:
            self.hits += 1
        return entry.get("value")

    def put(self, namespace: str, key: str, value: Any) -> None:
        """Store `value` (JSON-serialisable). Failure to write the cache is not an error."""
        path = self._path(namespace, key)
        d = os.path.dirname(path)
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            if d not in self._made:
                os.makedirs(d, exist_ok=True)
                self._made.add(d)
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump({"key": key, "time": time.time(), "value": value}, fh)
            os.replace(tmp, path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass
