"""A Django cache in one SQLite file, shared by every process on the machine, with atomic counters.

The embedded default runs several processes (gunicorn workers, Celery) against one `var/`; rate limits
must count their requests together. Django's file-based cache reads, adds one and writes back, so two
processes counting at once lose hits; and its database cache does the same. Here every write is one
statement inside BEGIN IMMEDIATE, so SQLite's write lock orders them: `incr` is a single
`UPDATE … RETURNING`, `add` a single `INSERT … ON CONFLICT`. Redis does the same job when CACHE_URL
points at it; this is for a single machine.

Integers are stored as SQLite integers so that `incr` can add in SQL; everything else is pickled.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

BUSY_TIMEOUT_SECONDS = 20
# Expired rows are deleted by every this-many-th write of a process, so the file stays small.
PURGE_EVERY = 200
SQLITE_INT_RANGE = range(-(2**63), 2**63)

SCHEMA = """
CREATE TABLE IF NOT EXISTS cache_entry (
    key TEXT PRIMARY KEY,
    value NOT NULL,
    expires REAL  -- Unix time; NULL never expires
);
-- For the purge: DELETE FROM cache_entry WHERE expires <= ?
CREATE INDEX IF NOT EXISTS cache_entry_expires ON cache_entry (expires);
"""


class SQLiteCache(BaseCache):
    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.path = Path(location)
        self._local = threading.local()
        self._writes = 0

    # --- Connections: one per thread and process, never shared across a fork -----------------------

    def connection(self) -> sqlite3.Connection:
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[1]
        if held is not None:
            # Opened before a fork(): SQLite must not use, or even close, it in this process.
            _INHERITED_ACROSS_FORK.append(held[1])
        connection = self.connect()
        self._local.held = (os.getpid(), connection)
        return connection

    def connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we say BEGIN ourselves, so nothing is left open between calls.
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.executescript(SCHEMA)
        return connection

    def write(self, sql: str, params: tuple) -> list[tuple]:
        connection = self.connection()
        # IMMEDIATE takes the write lock before reading, so no other process can slip in between the
        # read and the write of one statement; waiting writers queue for up to BUSY_TIMEOUT_SECONDS.
        connection.execute("BEGIN IMMEDIATE")
        try:
            rows = connection.execute(sql, params).fetchall()
            self.purge_now_and_then(connection)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return rows

    def purge_now_and_then(self, connection: sqlite3.Connection) -> None:
        self._writes += 1
        if self._writes % PURGE_EVERY == 0:
            connection.execute("DELETE FROM cache_entry WHERE expires <= ?", (time.time(),))

    # --- The cache API -----------------------------------------------------------------------------

    def add(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        # Inserts, or replaces a row that has expired; a live row is left alone and nothing returns.
        rows = self.write(
            """INSERT INTO cache_entry (key, value, expires) VALUES (?, ?, ?)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires
               WHERE cache_entry.expires IS NOT NULL AND cache_entry.expires <= ?
               RETURNING 1""",
            (key, encode(value), self.get_backend_timeout(timeout), time.time()),
        )
        return bool(rows)

    def get(self, key: str, default: Any = None, version=None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        row = (
            self.connection()
            .execute(
                "SELECT value FROM cache_entry WHERE key = ? AND (expires IS NULL OR expires > ?)",
                (key, time.time()),
            )
            .fetchone()
        )
        return default if row is None else decode(row[0])

    def set(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version=None) -> None:
        key = self.make_and_validate_key(key, version=version)
        self.write(
            """INSERT INTO cache_entry (key, value, expires) VALUES (?, ?, ?)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires""",
            (key, encode(value), self.get_backend_timeout(timeout)),
        )

    def touch(self, key: str, timeout: float | None = DEFAULT_TIMEOUT, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        rows = self.write(
            """UPDATE cache_entry SET expires = ?
               WHERE key = ? AND (expires IS NULL OR expires > ?) RETURNING 1""",
            (self.get_backend_timeout(timeout), key, time.time()),
        )
        return bool(rows)

    def delete(self, key: str, version=None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        rows = self.write(
            "DELETE FROM cache_entry WHERE key = ? AND (expires IS NULL OR expires > ?) RETURNING 1",
            (key, time.time()),
        )
        return bool(rows)

    def has_key(self, key: str, version=None) -> bool:
        return self.get(key, default=_MISSING, version=version) is not _MISSING

    def incr(self, key: str, delta: int = 1, version=None) -> int:
        key = self.make_and_validate_key(key, version=version)
        try:
            rows = self.write(
                """UPDATE cache_entry SET value = value + ?
                   WHERE key = ? AND (expires IS NULL OR expires > ?) AND typeof(value) = 'integer'
                   RETURNING value""",
                (delta, key, time.time()),
            )
        except sqlite3.OperationalError as error:  # "integer overflow"
            raise ValueError(str(error)) from error
        if not rows:
            # Django's contract: a missing (or non-integer) key is an error, never a silent 0.
            raise ValueError(f"Key '{key}' not found, or its value is not an integer")
        return rows[0][0]

    def clear(self) -> None:
        self.write("DELETE FROM cache_entry", ())

    def close(self, **kwargs) -> None:
        # Called at the end of every request; the connection is cheap to keep and is reused.
        pass


_MISSING = object()
_INHERITED_ACROSS_FORK: list[sqlite3.Connection] = []  # kept referenced so they are never closed


def encode(value: Any) -> int | bytes:
    if type(value) is int and value in SQLITE_INT_RANGE:  # not bool: True must come back as True
        return value
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def decode(stored: int | bytes) -> Any:
    return stored if isinstance(stored, int) else pickle.loads(stored)
