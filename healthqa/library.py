"""One entry point to a healthqa installation: its settings, store, index and search.

The CLI and the web app both open a `Library` and call the same library functions through it,
so a command and a page can never disagree about where the data lives or how it is searched.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from healthqa import config
from healthqa.embedders import describe, embedding_off, load_embedder
from healthqa.index.lexical import LexicalIndex
from healthqa.index.sync import sync
from healthqa.search import Search, choose_ranking
from healthqa.store import ChangeListener, DatabaseURL, Store, StoreError, open_store

if TYPE_CHECKING:
    from healthqa.embedders import Embedder
    from healthqa.index.vectors import Coverage, Progress, VectorIndex
    from healthqa.rerank import Reranker


class Library:
    """Settings, and the store, index and search opened on first use.

    `db` overrides the `database_url` setting; either is parsed once, here, into `self.db`
    (a `DatabaseURL`: `str()` of it shows it with any password hidden), and `replica_url`
    into `self.replica` (None without one). `settings` (for
    tests) replaces loading them.
    With `create=False` (reading: search, stats, serve...) a database file that does not
    exist is `NoDatabase`, never a new empty one.
    """

    def __init__(
        self,
        db: str | DatabaseURL | None = None,
        settings: dict[str, Any] | None = None,
        create: bool = True,
    ) -> None:
        self.settings = settings if settings is not None else config.load()
        self.db = DatabaseURL.parse(db or self.settings["database_url"])
        replica = self.settings["replica_url"]
        self.replica = DatabaseURL.parse(replica) if replica else None
        self.create = create
        self._store: Store | None = None
        self._primary: Store | None = None
        self._index: LexicalIndex | None = None
        self._search: Search | None = None
        self._embedder: tuple[Embedder | None] | None = None
        self._vectors: tuple[VectorIndex | None] | None = None
        self._reranker: tuple[Reranker | None] | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            if not self.create and not self.db.exists():
                raise NoDatabase(
                    f"There is no database at {self.db}. Make one with "
                    f"`healthqa --db {self.db} import FILE...`, or try the demo articles with "
                    f"`healthqa --db {self.db} init --demo`."
                )
            self._store = open_store(self.db, self.replica)
        return self._store

    @property
    def primary(self) -> Store:
        """The store reading what it writes: `store` itself, unless reads go to a replica
        (`replica_url`), which may lag behind. Editors read and write here, so that an edit
        is checked against the article as it stands."""
        if self.replica is None:
            return self.store
        if self._primary is None:
            self.store  # noqa: B018  (the same checks, and the migrations, first)
            self._primary = open_store(self.db)
        return self._primary

    @property
    def index(self) -> LexicalIndex:
        """The search index beside the database, brought up to date with its change log."""
        if self._index is None:
            self._index = LexicalIndex(self.index_path())
            sync(self.store, self._index)
        return self._index

    @property
    def embedding(self) -> bool:
        """Whether the settings allow embeddings at all: `ranking = "keywords"` and
        `embedding_model = "none"` each turn them off, and then no embedder is even loaded."""
        return self.settings["ranking"] != "keywords" and not embedding_off(
            self.settings["embedding_model"]
        )

    @property
    def embedder(self) -> Embedder | None:
        """The embedder the settings name, loaded once, when embeddings are on and the semantic
        extra is installed (else None). Loading it reads the model, not the vectors."""
        if self._embedder is None:
            found = None
            if self.embedding:
                found = load_embedder(
                    self.settings["embedding_model"],
                    self.settings["embedding_threads"],
                    self.settings["bulk_embedding_threads"],
                )
            self._embedder = (found,)
            _give_back_freed_memory()  # the model's graph was built, then copied by the runtime
        return self._embedder[0]

    @property
    def vectors(self) -> VectorIndex | None:
        """The article vectors stored so far, when embeddings are on and the semantic extra is
        installed (else None). Opening them embeds nothing: an article without a vector yet is
        ranked by its keywords until `embed` (import, reindex) has embedded it."""
        if self._vectors is None:
            embedder, found = self.embedder, None
            if embedder is not None:
                from healthqa.index.vectors import VectorIndex

                found = VectorIndex(
                    self.store,
                    embedder,
                    self._embedding_text(),
                    approximate_from=self.settings["approximate_from"],
                    folder=self.index_path(),
                )
                found.refresh()
                _give_back_freed_memory()
            self._vectors = (found,)
        return self._vectors[0]

    def _embedding_text(self) -> str:
        from healthqa.index.vectors import EMBEDDED_TEXTS

        kind: str = self.settings["embedding_text"]
        if kind not in EMBEDDED_TEXTS:
            raise config.ConfigError(
                f"embedding_text must be one of {', '.join(EMBEDDED_TEXTS)}, got {kind!r}"
            )
        return kind

    def embed(
        self,
        progress: Progress | None = None,
        limit: int | None = None,
        waiting: Callable[[], None] | None = None,
    ) -> int | None:
        """Embed the articles that have no current vector (at most `limit` texts; committed in
        batches, so an interrupted run keeps its work); returns how many articles changed,
        None when embeddings are off. The only place healthqa embeds the collection.

        One process embeds a collection at a time (`index.locks`). When another is at it,
        `waiting` is called and this one waits its turn; without `waiting` it returns 0."""
        vectors = self.vectors
        if vectors is None:
            return None
        from healthqa.index.locks import embedding_lock

        with embedding_lock(self.db, wait=False) as held:
            if held:
                return vectors.embed(progress, limit=limit)
        if waiting is None:
            return 0
        waiting()
        with embedding_lock(self.db, wait=True):
            return vectors.embed(progress, limit=limit)

    def coverage(self) -> Coverage | None:
        """How far embedding is (None when embeddings are off); it embeds nothing. Vectors not
        opened yet stay so: the store counts them (`healthqa serve`'s parent process says how
        far embedding is without holding a million articles' vectors)."""
        if self._vectors is not None:
            vectors = self._vectors[0]
            return None if vectors is None else vectors.coverage()
        embedder = self.embedder
        if embedder is None:
            return None
        from healthqa.index.vectors import stored_coverage

        return stored_coverage(self.store, embedder, self._embedding_text())

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
        if ranking == "keywords":
            return "keywords only (ranking = keywords)"
        if not words.startswith("hybrid"):
            return words
        path = self.settings["reranker_path"]
        if ranking and ranking != "hybrid":
            words = f"{ranking} ({words.removeprefix('hybrid: ')})"
        trained = "present" if Path(path).is_file() else "none: healthqa train makes one"
        return f"{words}; re-ranker {path} ({trained})"

    def sync(self, wait: bool = True) -> int:
        """Apply changes other processes made since the index last looked; returns how many.

        Vectors already opened take up what others stored and set aside what changed; nothing
        is embedded here (a read never waits for the collection to be embedded). With `wait`
        False, when another process is updating the index, the index is left to it."""
        count = sync(self.store, self.index, wait)
        if self._vectors is not None and self._vectors[0] is not None:
            self._vectors[0].refresh()
        return count

    def listener(self) -> ChangeListener | None:
        """Something to wait on for the database's changes, where it announces them
        (PostgreSQL); None for SQLite, whose processes look at the change log instead."""
        return self.store.listener() if self.db.postgres else None

    def index_path(self) -> Path | None:
        return index_path(self.db, self.settings["index_path"])

    def close(self) -> None:
        for store in (self._store, self._primary):
            if store is not None:
                store.close()
        self._store = self._primary = None
        self._index = None
        self._search = None
        self._vectors = None
        self._embedder = None
        self._reranker = None


def coverage_note(
    coverage: Coverage | None, remedy: str = "run `healthqa reindex` to embed the rest"
) -> str | None:
    """The one line a read prints when some articles have no vector yet (else None)."""
    if coverage is None or coverage.complete:
        return None
    return (
        f"Semantic ranking covers {coverage.embedded:,} of {coverage.articles:,} articles; "
        f"{remedy}."
    )


def _give_back_freed_memory() -> None:
    """Return to the system the heap pages freed after a big load. glibc keeps them for the
    process otherwise (after the model is loaded, about 90 MB that were the graph it was built
    from: docs/decisions.md, section 32), and a web worker's size is what a node can run.
    Nothing happens where the C library is not glibc."""
    _glibc("malloc_trim", 0)


MALLOC_ARENAS = 2  # heaps a web worker's threads share (glibc's default: 8 a core)
_M_ARENA_MAX = -8  # mallopt's parameter number for it, in glibc's malloc.h


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """Make this process's threads share `arenas` heaps. glibc gives threads heaps of their
    own, up to 8 a core, and each keeps the pages it once used: a web worker's threads
    (uvicorn's pool, the follower, tantivy's) grew a site's server by 10% in 10 minutes of
    steady load and held about 190 MB more from the start (docs/reliability.md, the soak).
    Called as a worker starts, before its threads. An operator's MALLOC_ARENA_MAX wins, and
    nothing happens where the C library is not glibc."""
    if "MALLOC_ARENA_MAX" not in os.environ:
        _glibc("mallopt", _M_ARENA_MAX, arenas)


def _glibc(function: str, *arguments: int) -> None:
    """Call one of glibc's malloc tuning functions, if this is glibc."""
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError, AttributeError, TypeError):
        getattr(ctypes.CDLL(ctypes.util.find_library("c")), function)(*arguments)


class NoDatabase(StoreError):
    """A command that only reads was pointed at a database file that does not exist."""


def index_path(db: DatabaseURL, configured: str) -> Path | None:
    """Where the search index lives: the setting, else a folder beside the database file.

    For a PostgreSQL database, each app node keeps its own index in its cache folder
    (~/.cache/healthqa/index-HASH, by the URL), following the shared change log.
    """
    if configured:
        return Path(configured)
    if db.postgres:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        return cache / "healthqa" / f"index-{db.digest()}"
    return db.beside(".index")
