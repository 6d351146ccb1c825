"""Storage backends behind one interface, chosen by the database URL.

    open_store("healthqa.db")                 # SQLite file (the embedded default)
    open_store("sqlite:///var/lib/hq.db")     # the same, as a URL
    open_store(":memory:")                    # SQLite in memory, for tests
    open_store("postgresql://app@db1/healthqa")  # PostgreSQL (pip install 'healthqa[postgres]')

The URL is parsed once into a `DatabaseURL` (healthqa/store/url.py), which callers pass down.
Each backend's driver is imported inside its branch, so SQLite users never import a PostgreSQL
driver.
"""

from __future__ import annotations

from healthqa.store.base import (
    ROLES,
    Account,
    AlreadyExists,
    ArticleFilter,
    BatchResult,
    Change,
    ChangeListener,
    Conflict,
    Duplicate,
    LastAdmin,
    NotFound,
    Session,
    Store,
    StoreError,
    StoreFull,
    StoreUnavailable,
    Token,
)
from healthqa.store.url import DatabaseURL


def open_store(url: str | DatabaseURL, replica: str | DatabaseURL | None = None) -> Store:
    """The store for `url`: a PostgreSQL URL, a `sqlite:///` URL, a file path or ":memory:".

    `replica`: a PostgreSQL streaming replica of `url`, that reads go to; writes go to `url`."""
    database = DatabaseURL.parse(url)
    copy = DatabaseURL.parse(replica) if replica else None
    if copy is not None and not (database.postgres and copy.postgres):
        raise StoreError(f"a read replica ({copy}) needs PostgreSQL on both sides: {database}")
    if database.postgres:
        try:
            from healthqa.store.postgres import PostgresStore
        except ImportError:
            raise StoreError(
                "PostgreSQL needs its driver: pip install 'healthqa[postgres]'"
            ) from None
        return PostgresStore(database, replica=copy)
    from healthqa.store.sqlite import SQLiteStore

    return SQLiteStore(database)


__all__ = [
    "ROLES",
    "Account",
    "AlreadyExists",
    "ArticleFilter",
    "BatchResult",
    "Change",
    "ChangeListener",
    "Conflict",
    "DatabaseURL",
    "Duplicate",
    "LastAdmin",
    "NotFound",
    "Session",
    "Store",
    "StoreError",
    "StoreFull",
    "StoreUnavailable",
    "Token",
    "open_store",
]
