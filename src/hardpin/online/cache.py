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

What is read back is not trusted blindly:

* like ssh with its files, the cache is used only when its directory and
  database belong to the user running hardpin and neither is writable by group
  or others (a shared cache directory another user can write is ignored, with
  a warning); the database is created with mode 0600;
* every entry is stored with the sha256 of its value and checked when read (a
  changed value is a miss); callers check what the value claims (a manifest
  against its digest, digests and hashes through `hardpin.refs`);
* an entry stamped in the future counts as expired, so it cannot live forever;
* a database another process keeps locked is a miss after `BUSY_WAIT` seconds,
  and is then left alone for the rest of the run.

The cache is an optimisation: a database that cannot be opened or written
(read-only home, a corrupt file, a foreign owner) makes every `get` a miss and
every `put` a no-op, never an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
import time

from hardpin.online import Log

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import Any

log = Log("hardpin.online.cache")

FILENAME = "cache.sqlite3"
BUSY_WAIT = 0.2  # seconds to wait for a database another process holds locked
CLOCK_SKEW = 60.0  # seconds an entry's time may lie in the future


def default_root() -> str:
    env = os.environ.get("HARDPIN_CACHE_DIR")
    if env:
        return env
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = xdg if xdg else os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hardpin")


def ownership_problem(path: str) -> str | None:
    """Why `path` may not be trusted as this user's private file or directory, or None
    (also None when it does not exist, or on systems without user ids)."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return None
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot examine it ({exc.strerror})"
    if st.st_uid != getuid():
        return f"it belongs to another user (uid {st.st_uid})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"it is writable by {'others' if st.st_mode & stat.S_IWOTH else 'its group'}"
    return None


def _checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Cache:
    VERSION = 2

    def __init__(
        self, root: str | None = None, *, refresh: bool = False, offline: bool = False
    ) -> None:
        self.root = root or default_root()
        self.refresh = refresh
        self.offline = offline
        self.hits = 0
        self.misses = 0
        self.rejected = 0  # entries whose checksum or time did not hold up
        self._lock = threading.Lock()
        self._db: Any = None
        self._broken = False
        # while deferring (see `defer`): rows not written yet, by (namespace, key)
        self._pending: dict[tuple[str, str], tuple[float, str, str]] | None = None

    @property
    def path(self) -> str:
        return os.path.join(self.root, FILENAME)

    def _refuse(self, what: str, problem: str) -> None:
        log.warning("not using the cache %s: %s", what, problem)
        self._broken = True

    def _conn(self) -> Any:
        """The connection (opened on first use), or None when the cache is unusable.
        Call with the lock held."""
        if self._db is not None or self._broken:
            return self._db
        import sqlite3

        try:
            # names of private images and packages: for this user only
            os.makedirs(self.root, mode=0o700, exist_ok=True)
            problem = ownership_problem(self.root)
            if problem is not None:
                self._refuse(self.root, problem)
                return None
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
            os.close(os.open(self.path, flags, 0o600))
            for path in (self.path, self.path + "-wal", self.path + "-shm"):
                problem = ownership_problem(path)
                if problem is not None:
                    self._refuse(path, problem)
                    return None
            db = sqlite3.connect(
                self.path, timeout=BUSY_WAIT, check_same_thread=False, isolation_level=None
            )
            # a cache: losing the last writes is fine. Set before the switch to WAL, which
            # otherwise syncs a new file to disk twice (30 ms of a cold run)
            db.execute("PRAGMA synchronous=OFF")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
            row = db.execute("SELECT value FROM meta WHERE name = 'version'").fetchone()
            if row is None or row[0] != str(self.VERSION):
                db.execute("DROP TABLE IF EXISTS entries")
                db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(self.VERSION),)
                )
            db.execute(
                "CREATE TABLE IF NOT EXISTS entries (ns TEXT NOT NULL, key TEXT NOT NULL, "
                "time REAL NOT NULL, value TEXT NOT NULL, sum TEXT NOT NULL, "
                "PRIMARY KEY (ns, key))"
            )
        except (OSError, sqlite3.Error) as exc:
            log.debug("the cache %s cannot be used: %s", self.path, exc)
            self._broken = True
            return None
        self._db = db
        return db

    def _failed(self, exc: Exception) -> None:
        """After a database error: a locked database is left alone for the rest of the run."""
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            log.debug("the cache %s is locked by another process; not using it", self.path)
            self._broken = True
            if self._db is not None:
                self._db.close()
                self._db = None

    def get(self, namespace: str, key: str, ttl: float | None = None) -> Any:
        """The stored value, or None when absent, expired (ttl seconds), changed since it
        was stored, or refreshing."""
        if self.refresh:
            return None
        import sqlite3

        with self._lock:
            row: Any = None
            if self._pending is not None:
                row = self._pending.get((namespace, key))
            db = self._conn() if row is None else None
            if db is not None:
                try:
                    row = db.execute(
                        "SELECT time, value, sum FROM entries WHERE ns = ? AND key = ?",
                        (namespace, key),
                    ).fetchone()
                except sqlite3.Error as exc:
                    self._failed(exc)
                    row = None
            if row is None:
                self.misses += 1
                return None
            stamp, text, stored_sum = row
            now = time.time()
            sound = (
                isinstance(text, str)
                and isinstance(stored_sum, str)
                and isinstance(stamp, int | float)
                and _checksum(text) == stored_sum
            )
            future = sound and float(stamp) > now + CLOCK_SKEW
            fresh = sound and (
                ttl is None or self.offline or (not future and now - float(stamp) <= ttl)
            )
            if not sound or (future and ttl is not None and not self.offline):
                self.rejected += 1
            if not fresh:
                self.misses += 1
                return None
            self.hits += 1
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            return None

    def put(self, namespace: str, key: str, value: Any) -> None:
        """Store `value` (JSON-serialisable). Failure to write the cache is not an error."""
        import sqlite3

        data = json.dumps(value, separators=(",", ":"))
        row = (time.time(), data, _checksum(data))
        with self._lock:
            if self._pending is not None:
                self._pending[(namespace, key)] = row
                return
            db = self._conn()
            if db is None:
                return
            try:
                db.execute(
                    "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)", (namespace, key, *row)
                )
            except sqlite3.Error as exc:
                self._failed(exc)

    def defer(self) -> None:
        """Keep what `put` stores in memory (where `get` finds it) until `flush`, which
        writes it in one transaction: one commit per run rather than one per entry."""
        with self._lock:
            if self._pending is None:
                self._pending = {}

    def flush(self) -> None:
        """Write what was deferred, in one transaction, and stop deferring."""
        import sqlite3

        with self._lock:
            pending, self._pending = self._pending, None
            if not pending:
                return
            db = self._conn()
            if db is None:
                return
            rows = [(ns, key, *row) for (ns, key), row in pending.items()]
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)", rows)
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._failed(exc)

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
