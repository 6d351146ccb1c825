"""Who may embed now: one process at a time per collection, across every node.

Embedding is slow (minutes), so two processes embedding one collection at once (two app nodes'
background embedders, or one of them and an import) would embed the same texts twice.
`embedding_lock` is held for a run of embedding. For SQLite it is an exclusive lock on a file
beside the database (the processes of a SQLite site share its machine); for PostgreSQL, a
session advisory lock named for healthqa and the schema, on a connection of its own, so every
node that shares the database shares the lock, and a node that dies lets go of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from healthqa.store import DatabaseURL

_NAME = "healthqa-embedding"  # with the schema, the advisory lock's two keys


@contextmanager
def embedding_lock(db: DatabaseURL, wait: bool = True) -> Iterator[bool]:
    """Hold the embedding lock of `db` while the block runs and yield True; with `wait` False,
    yield False at once when another process holds it."""
    beside = db.beside(".embedding.lock")
    if db.postgres:
        with _advisory_lock(db.text, wait) as held:
            yield held
    elif beside is not None:
        with file_lock(beside, wait) as held:
            yield held
    else:  # in memory: one connection, one process, nobody to share with
        yield True


@contextmanager
def file_lock(path: Path, wait: bool = True) -> Iterator[bool]:
    """An exclusive lock on the file `path` (made if missing) while the block runs, between
    processes of one machine: yields True, or False at once when `wait` is off and another
    holds it. Not re-entrant: a process must not take the same file twice."""
    import fcntl

    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _advisory_lock(url: str, wait: bool) -> Iterator[bool]:
    import psycopg

    keys = "hashtext(%s), hashtext(current_schema())"
    with psycopg.connect(url, autocommit=True) as connection:
        function = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
        row = connection.execute(f"SELECT {function}({keys})", (_NAME,)).fetchone()
        held = wait or bool(row and row[0])
        try:
            yield held
        finally:
            if held:
                connection.execute(f"SELECT pg_advisory_unlock({keys})", (_NAME,))
