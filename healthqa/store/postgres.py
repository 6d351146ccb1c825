"""The scaled-out backend: PostgreSQL, the source of truth for many stateless app nodes.

The SQL is shared with the embedded backend (healthqa/store/sql.py): the migrations fill in each
dialect's few differing words, and the queries are written in the subset both databases speak.
Each thread has a connection of its own (autocommit outside write transactions), as on SQLite.
`_Connection` lets that code run on psycopg: `?` placeholders become `%s`, and rows answer by
position and by column name, as `sqlite3.Row` does.

Writes are serialised across every node by a transaction-level advisory lock, taken first in
each write transaction. That is what `BEGIN IMMEDIATE` gives SQLite, and what the change log
needs: sequence numbers then commit in order, so an index that has applied change N has seen
every change before it. Reads never wait (MVCC). Imports and edits are rare next to reads,
so one writer at a time costs little.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from healthqa.store.base import ChangeListener, StoreError, StoreUnavailable
from healthqa.store.migrations import CHANNEL
from healthqa.store.sql import Connection, SQLStore
from healthqa.store.url import DatabaseURL

# Every identity column of the schema, brought in step after rows came with their ids.
_IDENTITIES = (
    ("sources", "id"),
    ("topics", "id"),
    ("articles", "id"),
    ("revisions", "id"),
    ("links", "id"),
    ("changes", "seq"),
    ("tokens", "id"),
    ("accounts", "id"),
    ("feedback", "id"),
)
WRITE_LOCK = 0x68717761  # "hqwa": the advisory lock key every healthqa writer takes
CONNECT_TIMEOUT_S = 10


class PostgresStore(SQLStore):
    """The store on a PostgreSQL database, given its URL (`postgresql://user@host/db`)."""

    DIALECT = "postgres"
    _INTEGRITY_ERROR = psycopg.IntegrityError

    def _connect(self, database: DatabaseURL) -> Connection:
        try:
            connection = psycopg.connect(
                database.text,
                autocommit=True,
                row_factory=_rows,
                connect_timeout=CONNECT_TIMEOUT_S,
            )
        except psycopg.Error as exc:
            message = str(exc).replace(database.text, str(database))
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL at {database}: {message}"
            ) from None
        return _Connection(connection, str(database))

    def _new_ids(self, db: Connection, count: int) -> list[int]:
        """Ids from the articles' identity sequence, so that it stays in step."""
        rows = db.execute(
            "SELECT nextval(pg_get_serial_sequence('articles', 'id')) FROM generate_series(1, ?)",
            (count,),
        )
        return [int(row[0]) for row in rows]

    _OVERRIDING = "OVERRIDING SYSTEM VALUE"  # the change log's seq is GENERATED ALWAYS

    def _loaded(self, db: Connection) -> None:
        for table, column in _IDENTITIES:
            db.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"COALESCE(MAX({column}), 0) + 1, false) FROM {table}"
            )

    def _begin(self, db: Connection) -> None:
        db.execute("BEGIN")
        db.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))

    def listener(self) -> ChangeListener:
        return PostgresListener(self.database)

    def identity(self) -> str:
        """The id made with the database, and where its rows live: the cluster (its system
        identifier) and the identity table (its OID). A dump restored anywhere, even under the
        database's own name, makes new tables, so it is a new identity although the id came
        with it; a streaming replica, promoted or not, is the same cluster and the same tables."""
        row = self._one(
            "SELECT i.id, (SELECT system_identifier FROM pg_control_system()), "
            "'database_identity'::regclass::oid FROM database_identity i"
        )
        return f"{row[0]}/{row[1]}/{row[2]}"

    # Backups ------------------------------------------------------------------------------

    def backup(self, dest: str) -> None:
        """pg_dump of the site in its custom format (pg_restore reads it): the site's schema,
        or the whole database when the site is in `public`. pg_dump reads one snapshot while
        others write on; the copy is checked by reading its table of contents back
        (pg_restore --list), flushed to disk, and only then given the name `dest`."""
        schema = str(self._one("SELECT current_schema()")[0])
        target = Path(dest)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        only = [] if schema == "public" else ["--schema", '"' + schema.replace('"', '""') + '"']
        try:
            _run("pg_dump", self.database, "--format=custom", *only, "--file", str(partial))
            contents = _run("pg_restore", None, "--list", str(partial))
            if f"TABLE DATA {schema} articles " not in contents:
                raise StoreError(f"the backup of {self.url} holds no articles table")
            with open(partial, "rb") as written:
                os.fsync(written.fileno())
            partial.replace(target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise


def _run(program: str, database: DatabaseURL | None, *args: str) -> str:
    """Run one of PostgreSQL's client programs (on `database`, its password passed in the
    environment, never on the command line); its output, or a `StoreError` in words."""
    found = shutil.which(program)
    if found is None:
        raise StoreError(
            f"{program} is not on PATH: backing up PostgreSQL needs its client programs "
            "(apt-get install postgresql-client, or add /usr/lib/postgresql/15/bin to PATH)"
        )
    env = dict(os.environ)
    command = [found, *args]
    if database is not None:
        params = conninfo_to_dict(database.text)
        if (password := params.pop("password", None)) is not None:
            env["PGPASSWORD"] = str(password)
        command += ["--dbname", make_conninfo("", **params)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        said = next((line for line in lines if "error:" in line), lines[-1])
        raise StoreError(f"{program} failed: {said.split('error: ', 1)[-1]}")
    return done.stdout


class PostgresListener(ChangeListener):
    """LISTENs, on a connection of its own, for what every commit to the change log announces
    (migration 11: the schema and the newest change number), and keeps its own schema's.
    It listens from the moment it is made; a `StoreError` when the database cannot be reached."""

    def __init__(self, database: DatabaseURL) -> None:
        self.database = database
        self._pg: psycopg.Connection[Any] | None = None
        self._schema = ""
        self.wait(0)

    def wait(self, timeout: float) -> int | None:
        try:
            pg = self._connection()
            found = self._newest(pg.notifies(timeout=timeout, stop_after=1))
            if found is not None:  # and whatever else arrived meanwhile, without waiting
                later = self._newest(pg.notifies(timeout=0.001))
                found = max(found, later or 0)
            return found
        except psycopg.Error as exc:
            self.close()
            raise StoreError(f"lost the change notices from {self.database}: {exc}") from None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._pg is None:
            pg = psycopg.connect(
                self.database.text, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
            )
            row = pg.execute("SELECT current_schema()").fetchone()
            self._schema = str(row[0]) if row else ""
            pg.execute(f"LISTEN {CHANNEL}")
            self._pg = pg
        return self._pg

    def _newest(self, notices: Iterable[psycopg.Notify]) -> int | None:
        newest = None
        for notice in notices:
            schema, _, seq = notice.payload.rpartition(" ")
            if schema == self._schema and seq.isdigit():
                newest = max(newest or 0, int(seq))
        return newest

    def close(self) -> None:
        if self._pg is not None:
            pg, self._pg = self._pg, None
            pg.close()


class _Row(tuple[Any, ...]):
    """A row that answers `row[0]` and `row["name"]`, like sqlite3.Row."""

    names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return super().__getitem__(self.names[key])
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        return list(self.names)


def _rows(cursor: psycopg.Cursor[Any]) -> Any:
    """psycopg row factory making `_Row`s for this cursor's columns."""
    names = {column.name: i for i, column in enumerate(cursor.description or ())}
    row_class = type("Row", (_Row,), {"names": names})
    return lambda values: row_class(values)


class _Connection:
    """The part of sqlite3.Connection the store uses, on a psycopg connection."""

    def __init__(self, connection: psycopg.Connection[Any], name: str) -> None:
        self._pg = connection
        self._name = name  # the database's URL, any password hidden

    @property
    def in_transaction(self) -> bool:
        status = self._pg.info.transaction_status
        return status not in (
            psycopg.pq.TransactionStatus.IDLE,
            psycopg.pq.TransactionStatus.UNKNOWN,
        )

    @property
    def broken(self) -> bool:
        """Whether the server dropped this connection (stopped, restarted, unreachable)."""
        return self._pg.broken or self._pg.closed

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        with self._lost():
            return self._pg.execute(_placeholders(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            with self._lost(), self._pg.cursor() as cursor:
                cursor.executemany(_placeholders(sql), rows)

    @contextmanager
    def _lost(self) -> Iterator[None]:
        """A dropped connection as `StoreUnavailable` (its thread's next call reconnects)."""
        try:
            yield
        except psycopg.OperationalError as exc:
            if not self.broken:
                raise
            raise StoreUnavailable(f"lost the connection to {self._name}: {exc}") from None

    def close(self) -> None:
        self._pg.close()


@lru_cache(maxsize=512)
def _placeholders(sql: str) -> str:
    """SQLite's `?` placeholders as psycopg's `%s` (a literal `%` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")
