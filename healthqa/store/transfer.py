"""Move a whole site from one database to another: SQLite to PostgreSQL, or back.

Every table the store keeps is copied row for row, ids and all (articles, topics, sources,
revisions, links, the change log, near-duplicates, editors' pins, tokens, readers' feedback,
slug aliases, vectors and how far each model has embedded), in one write transaction on the
destination: a copy lands whole or not at all. Then each table is counted and hashed on both
sides; a difference is an error. The destination keeps its own identity (`Store.identity`),
so an index derived from the source is never taken for the copy's: it is rebuilt on first use.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from healthqa.store.base import Store, StoreError
from healthqa.store.migrations import TABLES
from healthqa.store.sql import SQLStore

Progress = Callable[[str, int, int], None]  # table, rows copied so far, rows in the table


@dataclass(frozen=True)
class TableCopy:
    """One table as copied: its rows, and the digest both sides agreed on."""

    table: str
    rows: int
    digest: str


def copy_site(source: Store, dest: Store, progress: Progress | None = None) -> list[TableCopy]:
    """Copy every table of `source` into the empty `dest`, then check counts and digests."""
    if not isinstance(source, SQLStore) or not isinstance(dest, SQLStore):
        raise StoreError("copy moves sites between SQL databases (SQLite, PostgreSQL) only")
    if source.identity() == dest.identity():
        raise StoreError(f"{source.url} and {dest.url} are the same database")
    held = {table: n for table, n in dest.table_counts().items() if n}
    if held:
        what = ", ".join(f"{n:,} {table}" for table, n in held.items())
        raise StoreError(f"the destination {dest.url} is not empty ({what}); copy needs a new one")
    totals = source.table_counts()
    dest.load_tables(_chunks(source, totals, progress))
    return [_check(source, dest, table, totals[table]) for table, _ in TABLES]


def _chunks(
    source: SQLStore, totals: dict[str, int], progress: Progress | None
) -> Iterator[tuple[str, Sequence[str], list[Sequence[Any]]]]:
    for table, order in TABLES:
        done = 0
        if progress is not None:
            progress(table, 0, totals[table])
        for columns, rows in source.dump_table(table, order):
            yield table, columns, rows
            done += len(rows)
            if progress is not None:
                progress(table, done, totals[table])


def _check(source: SQLStore, dest: SQLStore, table: str, rows: int) -> TableCopy:
    found = dest.table_counts()[table]
    if found != rows:
        raise StoreError(f"the copy of {table} has {found:,} rows, the source {rows:,}")
    digest = table_digest(source, table)
    if table_digest(dest, table) != digest:
        raise StoreError(f"the copy of {table} differs from the source (content hash)")
    return TableCopy(table, rows, digest)


def table_digest(store: SQLStore, table: str) -> str:
    """A hash of a table's content, the same on either backend: each row hashed by its column
    names and values (floats to 6 places: PostgreSQL's REAL is single precision), and the
    row hashes sorted (the databases order text differently)."""
    order = dict(TABLES)[table]
    hashes = []
    for columns, rows in store.dump_table(table, order):
        for row in rows:
            values = {name: _plain(value) for name, value in zip(columns, row, strict=True)}
            text = json.dumps(values, sort_keys=True, ensure_ascii=False)
            hashes.append(hashlib.sha256(text.encode()).hexdigest())
    return hashlib.sha256("".join(sorted(hashes)).encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, float):
        return round(value, 6)
    return value
