"""The on-disk cache of network answers.

One SQLite database, `<root>/cache.sqlite3`, in WAL mode, shared by concurrent
runs (SQLite locks it). The root is `$HARDPIN_CACHE_DIR`, else
`$XDG_CACHE_HOME/hardpin`, else `~/.cache/hardpin`. One file rather than a file
per entry: creating hundreds of small files and directories cost more than the
network requests they saved (measured on the registry benchmark).

Answers that can change (a tag's digest, an index page) are read with a TTL;
content-addressed answers (a manifest by digest, the hashes of a released
version's files) are read without one. `refresh=True` ignores what is stored
(and overwrites it); `offline=True` uses stored answers whatever their age, and
callers must not go to the network when `get` returns None.

The cache is an optimisation: a database that cannot be opened or written
(read-only home, a corrupt file) makes every `get` a miss and every `put` a
no-op, never an error.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

FILENAME = "cache.sqlite3"


def default_root() -> str:
    env = os.environ.get("HARDPIN_CACHE_DIR")
    if env:
        return env
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = xdg if xdg else os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hardpin")


class Cache:
    VERSION = 1

    def __init__(
        self, root: str | None = None, *, refresh: bool = False, offline: bool = False
    ) -> None:
        self.root = root or default_root()
        self.refresh = refresh
        self.offline = offline
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._db: Any = None
        self._broken = False

    @property
    def path(self) -> str:
        return os.path.join(self.root, FILENAME)

    def _conn(self) -> Any:
        """The connection (opened on first use), or None when the cache is unusable.
        Call with the lock held."""
        if self._db is not None or self._broken:
            return self._db
        import sqlite3

        try:
            os.makedirs(
                self.root, mode=0o700, exist_ok=True
            )  # names of private images and packages
            db = sqlite3.connect(
                self.path, timeout=10.0, check_same_thread=False, isolation_level=None
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")  # a cache: losing the last writes is fine
            db.execute(
                "CREATE TABLE IF NOT EXISTS entries (ns TEXT NOT NULL, key TEXT NOT NULL, "
                "time REAL NOT NULL, value TEXT NOT NULL, PRIMARY KEY (ns, key))"
            )
            db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
            row = db.execute("SELECT value FROM meta WHERE name = 'version'").fetchone()
            if row is None:
                db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(self.VERSION),)
                )
            elif row[0] != str(self.VERSION):
                db.execute("DELETE FROM entries")
                db.execute("UPDATE meta SET value = ? WHERE name = 'version'", (str(self.VERSION),))
        except (OSError, sqlite3.Error):
            self._broken = True
            return None
        self._db = db
        return db

    def get(self, namespace: str, key: str, ttl: float | None = None) -> Any:
        """The stored value, or None when absent, expired (ttl seconds) or refreshing."""
        if self.refresh:
            return None
        import sqlite3

        with self._lock:
            db = self._conn()
            row = None
            if db is not None:
                try:
                    row = db.execute(
                        "SELECT time, value FROM entries WHERE ns = ? AND key = ?", (namespace, key)
                    ).fetchone()
                except sqlite3.Error:
                    row = None
            fresh = row is not None and (
                ttl is None or self.offline or time.time() - float(row[0]) <= ttl
            )
            if not fresh:
                self.misses += 1
                return None
            self.hits += 1
        try:
            return json.loads(row[1])
        except ValueError:
            return None

    def put(self, namespace: str, key: str, value: Any) -> None:
        """Store `value` (JSON-serialisable). Failure to write the cache is not an error."""
        import sqlite3

        data = json.dumps(value, separators=(",", ":"))
        with self._lock:
            db = self._conn()
            if db is None:
                return
            try:
                db.execute(
                    "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)",
                    (namespace, key, time.time(), data),
                )
            except sqlite3.Error:
                pass

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
