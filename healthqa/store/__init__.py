"""Storage backends behind one interface, chosen by the database URL.

    open_store("healthqa.db")                 # SQLite file (the embedded default)
    open_store("sqlite:///var/lib/hq.db")     # the same, as a URL
    open_store(":memory:")                    # SQLite in memory, for tests
    open_store("postgresql://app@db1/healthqa")  # PostgreSQL (pip install 'healthqa[postgres]')

Each backend's driver is imported inside its branch, so SQLite users never import a PostgreSQL
driver.
"""

from __future__ import annotations

from healthqa.store.base import (
    AlreadyExists,
    ArticleFilter,
    BatchResult,
    Change,
    Conflict,
    Duplicate,
    NotFound,
    Store,
    StoreError,
    StoreFull,
    Token,
)

POSTGRES_PREFIXES = ("postgresql://", "postgres://")


def open_store(url: str) -> Store:
    """The store for `url`: a PostgreSQL URL, a `sqlite:///` URL, a file path or ":memory:"."""
    if url.startswith(POSTGRES_PREFIXES):
        try:
            from healthqa.store.postgres import PostgresStore
        except ImportError:
            raise StoreError(
                "PostgreSQL needs its driver: pip install 'healthqa[postgres]'"
            ) from None
        return PostgresStore(url)
    from healthqa.store.sqlite import SQLiteStore

    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
    return SQLiteStore(path)


__all__ = [
    "AlreadyExists",
    "ArticleFilter",
    "BatchResult",
    "Change",
    "Conflict",
    "Duplicate",
    "NotFound",
    "Store",
    "StoreError",
    "StoreFull",
    "Token",
    "open_store",
]
