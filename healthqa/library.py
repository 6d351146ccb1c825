"""One entry point to a healthqa installation: its settings, store, index and search.

The CLI and the web app both open a `Library` and call the same library functions through it,
so a command and a page can never disagree about where the data lives or how it is searched.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from healthqa import config
from healthqa.embedders import describe, load_embedder
from healthqa.index.lexical import LexicalIndex
from healthqa.index.sync import sync
from healthqa.search import Search, choose_ranking
from healthqa.store import POSTGRES_PREFIXES, Store, StoreError, open_store

if TYPE_CHECKING:
    from healthqa.index.vectors import VectorIndex
    from healthqa.rerank import Reranker


class Library:
    """Settings, and the store, index and search opened on first use.

    `db` overrides the `database_url` setting; `settings` (for tests) replaces loading them.
    With `create=False` (reading: search, stats, serve...) a database file that does not
    exist is `NoDatabase`, never a new empty one.
    """

    def __init__(
        self, db: str | None = None, settings: dict[str, Any] | None = None, create: bool = True
    ) -> None:
        self.settings = settings if settings is not None else config.load()
        self.db: str = db or self.settings["database_url"]
        self.create = create
        self._store: Store | None = None
        self._index: LexicalIndex | None = None
        self._search: Search | None = None
        self._vectors: tuple[VectorIndex | None] | None = None
        self._reranker: tuple[Reranker | None] | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            if not self.create and not database_exists(self.db):
                raise NoDatabase(
                    f"There is no database at {self.db}. Make one with "
                    f"`healthqa --db {self.db} import FILE...`, or try the demo articles with "
                    f"`healthqa --db {self.db} init --demo`."
                )
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
    def vectors(self) -> VectorIndex | None:
        """The article vectors, up to date, when the semantic extra is installed (else None).

        The first use over a large collection embeds every article once (the vectors are
        kept in the database, so later uses only embed what changed)."""
        if self._vectors is None:
            embedder = load_embedder(
                self.settings["embedding_model"], self.settings["embedding_threads"]
            )
            found = None
            if embedder is not None:
                from healthqa.index.vectors import EMBEDDED_TEXTS, VectorIndex

                kind = self.settings["embedding_text"]
                if kind not in EMBEDDED_TEXTS:
                    raise config.ConfigError(
                        f"embedding_text must be one of {', '.join(EMBEDDED_TEXTS)}, got {kind!r}"
                    )
                found = VectorIndex(self.store, embedder, kind)
                found.sync()
            self._vectors = (found,)
        return self._vectors[0]

    @property
    def reranker(self) -> Reranker | None:
        """The trained re-ranker at `reranker_path` when it is there and its embedder is on."""
        if self._reranker is None:
            from healthqa.rerank import load_reranker

            vectors, path = self.vectors, Path(self.settings["reranker_path"])
            embedder = vectors.embedder if vectors is not None else None
            kind = vectors.kind if vectors is not None else None
            self._reranker = (load_reranker(path, embedder, kind),)
        return self._reranker[0]

    @property
    def search(self) -> Search:
        """Search over the index; it caches its speller and vocabulary, so keep this one."""
        if self._search is None:
            found = Search(self.store, self.index, self.vectors, self.reranker)
            choose_ranking(found, self.settings["ranking"])
            self._search = found
        return self._search

    def mode(self) -> str:
        """Which ranking ask and search use, in words (`healthqa stats` prints it); it does
        not load the model."""
        words = describe(self.settings["embedding_model"])
        ranking = self.settings["ranking"]
        if not words.startswith("hybrid"):
            return words
        if ranking and ranking != "hybrid":
            words = f"{ranking} ({words.removeprefix('hybrid: ')})"
        path = self.settings["reranker_path"]
        trained = "present" if Path(path).is_file() else "none: healthqa train makes one"
        return f"{words}; re-ranker {path} ({trained})"

    def sync(self) -> int:
        """Apply changes other processes made since the index last looked; returns how many."""
        count = sync(self.store, self.index)
        if self.vectors is not None:
            self.vectors.sync()
        return count

    def index_path(self) -> Path | None:
        return index_path(self.db, self.settings["index_path"])

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        self._index = None
        self._search = None
        self._vectors = None
        self._reranker = None


class NoDatabase(StoreError):
    """A command that only reads was pointed at a database file that does not exist."""


def database_exists(db: str) -> bool:
    """Whether `db` names a database that is there: a PostgreSQL URL or memory always is (the
    server says otherwise when connecting), a SQLite file when the file exists."""
    if db == ":memory:" or db.startswith(POSTGRES_PREFIXES):
        return True
    return Path(db.removeprefix("sqlite:///")).is_file()


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
