"""The embedded backend: one SQLite file in WAL mode (or memory, for tests).

Writes run in `BEGIN IMMEDIATE` transactions, so a writer takes the lock before it reads what it
will change and two writers never interleave; readers are never blocked (WAL) and each thread
reads on a connection of its own (healthqa/store/sql.py). Foreign keys are on and a busy
timeout makes a second writer wait instead of failing.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
import uuid
from pathlib import Path

from healthqa.store.base import StoreError, StoreFull
from healthqa.store.sql import Connection, SQLStore
from healthqa.store.url import DatabaseURL

BUSY_TIMEOUT_MS = 10_000


class SQLiteStore(SQLStore):
    """See the module docstring. `SQLiteStore(":memory:")` for tests."""

    DIALECT = "sqlite"
    _INTEGRITY_ERROR = sqlite3.IntegrityError

    def __init__(self, url: str | DatabaseURL) -> None:
        database = DatabaseURL.parse(url)
        self.path = database.path
        try:  # memory is one database per connection: the threads share it
            super().__init__(database, shared=database.memory)
        except sqlite3.DatabaseError as exc:
            raise StoreError(_cannot_open(self.path, exc)) from None

    def _connect(self, database: DatabaseURL) -> Connection:
        try:
            connection = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,  # closed by any thread
            )
            connection.row_factory = sqlite3.Row
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA foreign_keys = ON")
            if self.path != ":memory:":
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            raise StoreError(_cannot_open(self.path, exc)) from None
        return connection

    def _begin(self, db: Connection) -> None:
        """`BEGIN IMMEDIATE`: the write lock before the transaction reads what it changes.

        SQLite answers "database is locked" at once, without waiting out the busy timeout,
        when the connection's snapshot is older than another connection's last write
        (SQLITE_BUSY_SNAPSHOT), so a busy answer is tried again until the timeout."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                busy = getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY
                if not busy or time.monotonic() > deadline:
                    raise
            time.sleep(random.uniform(0.005, 0.03))

    def _failure(self, exc: BaseException) -> StoreError | None:
        return _full(exc) if isinstance(exc, sqlite3.DatabaseError) else None

    # Backups ------------------------------------------------------------------------------

    def backup(self, dest: str) -> None:
        """A consistent copy of the database at one moment, taken by `VACUUM INTO` in one read
        transaction while other processes write on (WAL: they are not blocked), checked with
        `PRAGMA integrity_check`, flushed to disk and only then given the name `dest`."""
        if self.database.memory:
            raise StoreError("an in-memory database cannot be backed up")
        target = Path(dest)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        try:
            with self._read() as db:
                db.execute("VACUUM INTO ?", (str(partial),))
            _check_copy(partial)
            partial.replace(target)
        except sqlite3.DatabaseError as exc:
            partial.unlink(missing_ok=True)
            raise _full(exc) or StoreError(f"cannot write the backup {dest}: {exc}") from exc
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise StoreError(f"cannot write the backup {dest}: {exc.strerror or exc}") from exc


def _full(exc: sqlite3.DatabaseError) -> StoreFull | None:
    """StoreFull for SQLite's "database or disk is full" (SQLITE_FULL); None for other errors."""
    if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_FULL:
        return None
    return StoreFull(f"the database has no room for this change ({exc}); nothing was saved")


def _check_copy(path: Path) -> None:
    """Give the copy at `path` an identity of its own; raise StoreError unless it passes
    SQLite's integrity check; then flush it to disk."""
    copy = sqlite3.connect(path, isolation_level=None)
    try:
        copy.execute("UPDATE database_identity SET id = ?", (uuid.uuid4().hex,))
        problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
    finally:
        copy.close()
    if problems != ["ok"]:
        raise StoreError(f"the backup failed its integrity check: {'; '.join(problems[:3])}")
    with open(path, "rb") as copied:
        os.fsync(copied.fileno())


def _cannot_open(path: str, exc: sqlite3.DatabaseError) -> str:
    """Why the database file cannot be opened, in words a reader can act on."""
    folder = Path(path).parent
    if not folder.is_dir():
        return f"cannot open the database {path}: the folder {folder} does not exist"
    if "not a database" in str(exc):
        return f"cannot open the database {path}: the file is not a healthqa (SQLite) database"
    return f"cannot open the database {path}: {exc}"
