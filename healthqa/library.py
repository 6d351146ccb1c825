"""One entry point to a healthqa installation: its settings, store, index and search.

The CLI and the web app both open a `Library` and call the same library functions through it,
so a command and a page can never disagree about where the data lives or how it is searched.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from healthqa import config
from healthqa.index.lexical import LexicalIndex
from healthqa.index.sync import sync
from healthqa.search import Search
from healthqa.store import POSTGRES_PREFIXES, Store, open_store


class Library:
    """Settings, and the store, index and search opened on first use.

    `db` overrides the `database_url` setting; `settings` (for tests) replaces loading them.
    """

    def __init__(self, db: str | None = None, settings: dict[str, Any] | None = None) -> None:
        self.settings = settings if settings is not None else config.load()
        self.db: str = db or self.settings["database_url"]
        self._store: Store | None = None
        self._index: LexicalIndex | None = None
        self._search: Search | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.db)
        return self._store

    @property
    def index(self) -> LexicalIndex:
        """The search index beside the database, brought up to date with its change log."""
        if self._index is None:
            self._index = LexicalIndex(self.index_path())
            sync(self.store, self._index)
        return self._index

    @property
    def search(self) -> Search:
        """Search over the index; it caches its speller and vocabulary, so keep this one."""
        if self._search is None:
            self._search = Search(self.store, self.index)
        return self._search

    def sync(self) -> int:
        """Apply changes other processes made since the index last looked; returns how many."""
        return sync(self.store, self.index)

    def index_path(self) -> Path | None:
        return index_path(self.db, self.settings["index_path"])

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        self._index = None
        self._search = None


def index_path(db: str, configured: str) -> Path | None:
    """Where the search index lives: the setting, else a folder beside the database file.

    For a PostgreSQL database, each app node keeps its own index in its cache folder
    (~/.cache/healthqa/index-HASH, by the URL), following the shared change log.
    """
    if configured:
        return Path(configured)
    if db == ":memory:":
        return None
    if db.startswith(POSTGRES_PREFIXES):
        digest = hashlib.sha256(db.encode()).hexdigest()[:16]
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        return cache / "healthqa" / f"index-{digest}"
    return Path(db.removeprefix("sqlite:///") + ".index")
