"""The vector index: one embedding per published article, kept in the store, searched exactly.

Vectors are derived data stored beside their articles (table `article_vectors`) under a model
key, "<embedder model id>:<what was embedded>", with the hash of the embedded text: an article
whose text has not changed is never embedded again, even after a rebuild or a model key's first
sync over an imported database.

Reading never embeds the collection (issue 15). `refresh` only reads: it takes up the vectors
other processes stored and sets aside the vector of an article whose text changed or that left
since, by the change log; an article without a current vector is simply not in the semantic
ranking, and hybrid search ranks it by its keywords alone. `embed` is the one writer, run where
someone asked to wait (import, reindex): it embeds the published articles' texts that have no
current vector, committing every `_SAVE_EVERY` texts, so an interrupted run keeps its work.

The number stored with a model's vectors (`vector_state.last_seq`) says: every vector stored
under this key matches its article's text as of this change (some articles may have none yet).
`embed` first deletes the vectors it is about to replace, then records the newest change.

What is embedded (`EMBEDDED_TEXTS`): "title", the question an article answers; "lead", the
question and the first words of its answer; or "title+lead", both, an article scoring the
better of its two cosines (docs/decisions.md, section 16); "title+lead+more" adds the question
with the answer's next MORE_WORDS words, where symptoms and causes are often listed, so a
reader who describes them finds the article that lists them (docs/quality.md).

Search is exact (a matrix product per text) below `approximate_from` articles: over the 17,942
articles of liveqa-med-dev it takes a few milliseconds. From there on, with usearch installed,
an approximate index (`index.approximate`, HNSW) finds the candidates and they are scored
exactly; it is derived from the same vectors and follows them (docs/decisions.md, section 29).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from healthqa.articles import Article
from healthqa.embedders import Embedder, blas_threads, embed_question
from healthqa.index import approximate, quantized
from healthqa.index.approximate import APPROXIMATE_FROM, ApproximateIndex
from healthqa.index.lexical import Hit
from healthqa.index.locks import file_lock
from healthqa.index.quantized import Int8Scores
from healthqa.store import ArticleFilter, NotFound, Store

EMBEDDED_TEXTS = ("title", "lead", "title+lead", "title+lead+more")
LEAD_WORDS = 60  # words of the answer that "lead" adds to the question
MORE_WORDS = 120  # the answer's words after the lead's that "more" adds to the question
_SAVE_EVERY = 64  # texts embedded between two saves: progress to show, and to keep if stopped
RELOAD_SECONDS = 60.0  # how often a reader whose vectors are incomplete looks for new ones
SAVE_SHARE = 0.01  # an approximate index is saved again once this share of it has changed
OVERFETCH = 4  # entries asked of the approximate index, as a multiple of those needed
QUANTIZED_FROM = 5_000  # from how many articles exact search picks candidates by int8 scores
CANDIDATES = 64  # the fewest candidates the int8 scores pick, scored again in float32
LOCK_FILE = ".healthqa-vectors.lock"
Progress = Callable[[int, int], None]  # (texts embedded so far, texts to embed)


def text_parts(kind: str) -> tuple[str, ...]:
    """The texts `kind` embeds of each article: "title+lead" is both, kept apart."""
    if kind not in EMBEDDED_TEXTS:
        raise ValueError(
            f"unknown embedded text {kind!r}: choose one of {', '.join(EMBEDDED_TEXTS)}"
        )
    return tuple(kind.split("+"))


def embedded_text(article: Article, part: str) -> str:
    """The text of `article` that is embedded for `part` ("title", "lead" or "more"). An
    answer too short to have more than its lead has its lead as its "more"."""
    if part == "title":
        return article.title
    if part in ("lead", "more"):
        words = article.body_text.split()
        start = LEAD_WORDS if part == "more" and len(words) > LEAD_WORDS else 0
        end = start + (MORE_WORDS if start else LEAD_WORDS)
        return f"{article.title} {' '.join(words[start:end])}".strip()
    raise ValueError(f"unknown embedded text {part!r}: choose one of title, lead, more")


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Coverage:
    """How far embedding is: articles with a current vector (of every embedded text), of the
    published articles."""

    model: str
    embedded: int
    articles: int

    @property
    def complete(self) -> bool:
        return self.embedded >= self.articles

    def to_dict(self) -> dict[str, object]:
        return {"model": self.model, "embedded": self.embedded, "articles": self.articles}


def stored_coverage(store: Store, embedder: Embedder, kind: str) -> Coverage:
    """What `VectorIndex.coverage` says once refreshed, counted in the store without reading a
    vector (the `healthqa serve` parent prints it; its workers open the vectors they serve):
    published articles with a vector of every text, less those changed since that text's
    vectors were stored whose text no longer matches (or all, where the stored vectors are not
    yet checked, or are ahead of this database's change log)."""
    models = [f"{embedder.model_id}:{part}" for part in text_parts(kind)]
    published = store.count_articles(ArticleFilter(status="published"))
    seqs = [store.vector_count(model)[1] for model in models]
    newest = store.last_change()
    model = f"{embedder.model_id}:{kind}"
    if min(seqs) == 0 or max(seqs) > newest:
        return Coverage(model, 0, published)
    embedded = store.count_embedded(models)
    touched = sorted(_changed_since(store, min(seqs))) if min(seqs) < newest else []
    current = {i: _article(store, i) for i in touched}
    stored = [store.stored_vectors(m, touched, vectors=False) for m in models]
    hashes = [dict(zip(s.article_ids, s.text_hashes, strict=True)) for s in stored]
    for article_id, article in current.items():
        if article is None or article.status != "published":
            continue  # not counted as covered in the first place
        if all(article_id in h for h in hashes) and any(
            h[article_id] != text_hash(embedded_text(article, part))
            for h, part in zip(hashes, text_parts(kind), strict=True)
        ):
            embedded -= 1
    return Coverage(model, embedded, published)


class VectorIndex:
    """The vectors of one embedder and one kind of text, in memory, in step with the store.

    With "title+lead" each article has two vectors, its title's and its lead's, stored under
    the same keys as the single kinds (so switching reuses them), and an article scores the
    better of its two cosines (max-passage scoring: a question can match what the article asks,
    or what its answer starts by saying).

    Opening it reads the stored vectors and embeds nothing; see the module docstring. From
    `approximate_from` articles on (0: never) search goes through an approximate index, kept in
    `folder` (the index folder) when one is given.
    """

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        kind: str = "title",
        reload_seconds: float = RELOAD_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        approximate_from: int = APPROXIMATE_FROM,
        folder: Path | None = None,
        quantized_from: int = QUANTIZED_FROM,
    ) -> None:
        self.store = store
        self.approximate_from = approximate_from
        self.quantized_from = quantized_from
        self.folder = folder
        self._approximate: ApproximateIndex | None = None
        self._unsaved = 0
        self.embedder = embedder
        self.kind = kind
        self.model = f"{embedder.model_id}:{kind}"
        self.reload_seconds = reload_seconds
        self._clock = clock
        self._parts = [_Part(store, embedder, part) for part in text_parts(kind)]
        self._loaded_at = clock()
        self._view = _View(
            np.zeros(0, dtype=np.int64),
            np.zeros((len(self._parts), 0, embedder.dimension), dtype=np.float32),
            frozenset(),
            None,
        )
        self._build()

    @property
    def size(self) -> int:
        """Articles in the semantic ranking (with a current vector of at least one text)."""
        return len(self._view.ids)

    @property
    def embedded(self) -> int:
        """Texts embedded by this object (the rest came from the store)."""
        return sum(part.embedded for part in self._parts)

    @property
    def last_seq(self) -> int:
        return min(part.checked_seq for part in self._parts)

    def missing(self, article_ids: Iterable[int]) -> set[int]:
        """The listed articles that have no current vector (not in the semantic ranking)."""
        present = self._view.present
        return {i for i in article_ids if i not in present}

    def coverage(self) -> Coverage:
        """Articles with a current vector of every text, of the published articles."""
        usable = [part.usable() for part in self._parts]
        embedded = len(set.intersection(*usable)) if usable else 0
        published = self.store.count_articles(ArticleFilter(status="published"))
        return Coverage(self.model, embedded, published)

    def refresh(self) -> bool:
        """Catch up without embedding anything: take up vectors other processes stored (at
        most every `reload_seconds` while some are missing) and set aside those whose article
        changed or left since; returns whether the vectors in use changed."""
        changed = False
        if self._reload_due():
            for part in self._parts:
                part.load()
            self._loaded_at = self._clock()
            changed = True
        newest = self.store.last_change()
        since = self.last_seq
        if since != newest:
            with_vectors = set().union(*(part.vectors for part in self._parts))
            touched = _changed_since(self.store, since) if since < newest else set()
            current = {i: _article(self.store, i) for i in sorted(touched & with_vectors)}
            for part in self._parts:
                part.check(current, newest)
            changed = changed or bool(current) or since > newest
        if changed:
            self._build()
        return changed

    def embed(
        self, progress: Progress | None = None, batch: int = _SAVE_EVERY, limit: int | None = None
    ) -> int:
        """Embed the published articles' texts that have no current vector (at most `limit`
        of them), saving every `batch` texts, and forget the vectors of articles that left;
        returns how many articles changed. `progress(done, total)` is called before the first
        text and after each save. It starts from what the store holds, so what another
        process embedded meanwhile is not embedded again."""
        for part in self._parts:
            part.load()
        self._loaded_at = self._clock()
        newest = self.store.last_change()
        plan = self._plan(newest)
        if limit is not None:
            plan.pending = plan.pending[:limit]
        for part, removed in zip(self._parts, plan.removed, strict=True):
            if removed or part.stored_seq != newest:
                part.save([], removed, newest)
        total = len(plan.pending)
        if progress is not None:
            progress(0, total)
        for start in range(0, total, batch):
            chunk = plan.pending[start : start + batch]
            vectors = self.embedder.embed([text for _, _, _, text in chunk])
            for row, part in enumerate(self._parts):
                rows = [
                    (article_id, digest, vector)
                    for (where, article_id, digest, _), vector in zip(chunk, vectors, strict=True)
                    if where == row
                ]
                part.save(rows, [], newest)
            if progress is not None:
                progress(min(start + batch, total), total)
        for part in self._parts:  # what was stale is deleted or embedded again by now
            part.stale.clear()
            part.checked_seq = newest
        self._build()
        changed = {article_id for _, article_id, _, _ in plan.pending}
        return len(changed.union(*plan.removed))

    def sync(self) -> int:
        """`refresh`, then `embed` what is missing; returns how many articles changed."""
        self.refresh()
        return self.embed()

    def embed_query(self, text: str) -> np.ndarray:
        """The question's vector, embedded once per process (`embedders.embed_question`)."""
        return embed_question(self.embedder, text)

    @property
    def approximate(self) -> bool:
        """Whether search goes through the approximate index (a large collection)."""
        return self._view.approximate is not None

    def search(self, query: np.ndarray, limit: int = 10) -> list[Hit]:
        """The `limit` articles whose vectors are most like `query` (cosine), best first."""
        ids, matrices, _, nearest, coarse = self._view  # one view, whatever a refresh does
        if not len(ids) or limit <= 0:
            return []
        if nearest is not None:
            return self._search_approximate(nearest, query, limit)
        rows, chosen = np.arange(len(ids)), matrices
        wanted = max(CANDIDATES, OVERFETCH * limit)
        if coarse is not None and len(ids) > wanted:  # candidates by int8 scores (decision 31)
            rough = coarse.scores(query).reshape(len(matrices), len(ids)).max(axis=0)
            rows = np.argpartition(-rough, wanted - 1)[:wanted]
            chosen = matrices[:, rows, :]
        with blas_threads(1):  # spinning BLAS threads on a busy machine cost 4 times more
            scores = (chosen @ query).max(axis=0)
        top = np.argpartition(-scores, min(limit, len(rows)) - 1)[:limit]
        top = top[np.lexsort((ids[rows[top]], -scores[top]))]
        return [Hit(int(ids[rows[i]]), float(scores[i])) for i in top]

    def _search_approximate(
        self, nearest: ApproximateIndex, query: np.ndarray, limit: int
    ) -> list[Hit]:
        """Candidates from the approximate index (each article's texts are entries of their
        own), scored exactly by the article's better text, best first, ties by id. The graph
        is asked for `OVERFETCH` times the entries needed: its int8 distances blur near-ties,
        which the exact scores then sort out (decision 29)."""
        rows = len(self._parts)
        keys, _ = nearest.search(query, OVERFETCH * limit * rows)
        found = self.similarities(query, dict.fromkeys(int(k) // rows for k in keys))
        ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [Hit(article_id, score) for article_id, score in ranked]

    def similarities(self, query: np.ndarray, article_ids: Iterable[int]) -> dict[int, float]:
        """Cosine of `query` with each listed article that has a vector (its best text's)."""
        found: dict[int, float] = {}
        wanted = list(article_ids)
        for part in self._parts:
            for i, score in part.similarities(query, wanted).items():
                found[i] = max(score, found.get(i, -1.0))
        return found

    # Internals ----------------------------------------------------------------------------

    def _reload_due(self) -> bool:
        """Whether to read the stored vectors again: a minute has passed since the last look
        (then the clock starts again), and the store holds another number of vectors, or
        vectors stored since (another process embedded). Counting is cheap; reading a million
        articles' vectors is not, and the articles no process embeds must not cost a reading
        every minute."""
        now = self._clock()
        if now - self._loaded_at < self.reload_seconds:
            return False
        self._loaded_at = now
        return any(part.behind() for part in self._parts)

    def _plan(self, newest: int) -> _Plan:
        """What `embed` must do: from the change log when the stored vectors allow it, else
        (a first or interrupted run, another database) by reading every published article."""
        published = self.store.count_articles(ArticleFilter(status="published"))
        since = min(part.stored_seq for part in self._parts)
        if 0 < since <= newest:
            touched = _changed_since(self.store, since)
            current = [a for a in map(lambda i: _article(self.store, i), sorted(touched)) if a]
            plan = _Plan.of(self._parts, current, touched)
            if all(count == published for count in plan.counts(self._parts)):
                return plan
        everything = list(self.store.iter_articles(ArticleFilter(status="published")))
        stored = set().union(*(part.hashes for part in self._parts))
        return _Plan.of(self._parts, everything, stored | {a.id for a in everything})

    def _build(self) -> None:
        usable = [part.usable() for part in self._parts]
        ids = sorted(set().union(*usable))
        dimension = self.embedder.dimension
        matrices = np.zeros((len(self._parts), 0, dimension), np.float32)
        if 0 < self.approximate_from <= len(ids) and approximate.available():
            nearest: ApproximateIndex | None = self._update_approximate(usable)
        else:
            nearest = self._approximate = None
            matrices = np.zeros((len(self._parts), len(ids), dimension), np.float32)
            zeros = np.zeros(dimension, dtype=np.float32)
            for row, part in enumerate(self._parts):
                if ids:
                    matrices[row] = np.vstack(
                        [part.vectors[i] if i in usable[row] else zeros for i in ids]
                    )
        coarse = None
        if nearest is None and 0 < self.quantized_from <= len(ids) and quantized.available():
            coarse = Int8Scores(matrices.reshape(-1, dimension))
        self._view = _View(np.array(ids, dtype=np.int64), matrices, frozenset(ids), nearest, coarse)

    def _update_approximate(self, usable: list[set[int]]) -> ApproximateIndex:
        """The approximate index brought to the usable vectors: read from the index folder
        the first time (where another process may have saved it), and saved there again
        once enough of it changed. Processes sharing the folder take turns."""
        rows, parts = len(self._parts), self._parts
        wanted = {
            approximate.key(i, row, rows): approximate.fingerprint(part.hashes[i])
            for row, part in enumerate(parts)
            for i in usable[row]
        }

        def vectors(keys: Sequence[int]) -> np.ndarray:
            return np.stack([parts[k % rows].vectors[k // rows] for k in keys])

        path = approximate.index_file(self.folder, self.model) if self.folder else None
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(path.parent / LOCK_FILE) if path else nullcontext(True):
            if self._approximate is None:
                dimension = self.embedder.dimension
                self._approximate = (
                    ApproximateIndex.load(path, self.model, dimension)
                    if path
                    else ApproximateIndex(dimension)
                )
            self._unsaved += self._approximate.update(wanted, vectors)
            if path and self._unsaved > SAVE_SHARE * len(wanted):
                self._approximate.save(path, self.model)
                self._unsaved = 0
        return self._approximate


class _View(NamedTuple):
    """What search reads, replaced whole: the article ids, their vectors (one matrix per
    embedded text, zeros where an article lacks that text's vector), the ids as a set, the
    approximate index when it is in use (the matrices are then empty), and the int8 scores
    that pick exact search's candidates in a collection of `QUANTIZED_FROM` articles or more."""

    ids: np.ndarray
    matrices: np.ndarray
    present: frozenset[int]
    approximate: ApproximateIndex | None
    coarse: Int8Scores | None = None


@dataclass
class _Plan:
    """Texts to embed, as (part's row, article id, text hash, text) in article order, and the
    stored vectors of each part to delete first (articles that left, or whose text changed)."""

    pending: list[tuple[int, int, str, str]]
    removed: list[list[int]]

    @classmethod
    def of(cls, parts: Sequence[_Part], current: Sequence[Article], touched: set[int]) -> _Plan:
        published = [a for a in current if a.status == "published"]
        seen = {a.id for a in published}
        pending: list[tuple[int, int, str, str]] = []
        removed: list[list[int]] = []
        for row, part in enumerate(parts):
            stale = sorted((touched - seen) & set(part.hashes))
            for article in published:
                text = embedded_text(article, part.part)
                digest = text_hash(text)
                if part.hashes.get(article.id) != digest:
                    pending.append((row, article.id, digest, text))
                    if article.id in part.hashes:
                        stale.append(article.id)
            removed.append(sorted(stale))
        pending.sort(key=lambda item: (item[1], item[0]))
        return cls(pending, removed)

    def counts(self, parts: Sequence[_Part]) -> list[int]:
        """How many vectors each part will hold once the plan is carried out."""
        return [
            len(part.hashes) - len(removed) + sum(1 for item in self.pending if item[0] == row)
            for row, (part, removed) in enumerate(zip(parts, self.removed, strict=True))
        ]


class _Part:
    """One kind of text's vectors ("title" or "lead"), kept in the store under its own key.

    `hashes` and `vectors` are what the store holds; `stale` the articles whose stored vector
    no longer matches their text (or that left), which readers leave out until `embed` runs."""

    def __init__(self, store: Store, embedder: Embedder, part: str) -> None:
        self.store = store
        self.embedder = embedder
        self.part = part
        self.model = f"{embedder.model_id}:{part}"
        self.embedded = 0
        self.load()

    def load(self) -> None:
        """Read the stored vectors. Vectors stored with no change number (a first run of an
        older healthqa, interrupted) cannot be trusted until `embed` has checked them."""
        stored = self.store.stored_vectors(self.model)
        self.stored_seq = stored.last_seq
        self.checked_seq = stored.last_seq
        self.hashes = dict(zip(stored.article_ids, stored.text_hashes, strict=True))
        self.vectors = {
            article_id: np.frombuffer(blob, dtype=np.float32)
            for article_id, blob in zip(stored.article_ids, stored.vectors, strict=True)
        }
        self.stale: set[int] = set(self.hashes) if stored.last_seq == 0 else set()

    def usable(self) -> set[int]:
        return set(self.vectors) - self.stale

    def behind(self) -> bool:
        """Whether the store holds vectors this part has not read."""
        return self.store.vector_count(self.model) != (len(self.hashes), self.stored_seq)

    def check(self, current: dict[int, Article | None], newest: int) -> None:
        """Set aside the vectors of `current` articles whose text no longer matches them."""
        if self.checked_seq > newest:  # another database, or a restored one: trust none
            self.stale = set(self.hashes)
        else:
            for article_id, article in current.items():
                if article_id in self.hashes and self._fits(article_id, article):
                    self.stale.discard(article_id)
                elif article_id in self.hashes:
                    self.stale.add(article_id)
        self.checked_seq = newest

    def _fits(self, article_id: int, article: Article | None) -> bool:
        if article is None or article.status != "published":
            return False
        return self.hashes[article_id] == text_hash(embedded_text(article, self.part))

    def similarities(self, query: np.ndarray, article_ids: Iterable[int]) -> dict[int, float]:
        return {
            i: float(self.vectors[i] @ query)
            for i in article_ids
            if i in self.vectors and i not in self.stale
        }

    def save(
        self, rows: Sequence[tuple[int, str, np.ndarray]], removed: list[int], seq: int
    ) -> None:
        """Store `rows` and delete `removed` in one transaction that records `seq`."""
        blobs = [(i, digest, v.astype(np.float32).tobytes()) for i, digest, v in rows]
        self.store.save_vectors(self.model, blobs, removed, seq)
        for article_id in removed:
            self.hashes.pop(article_id, None)
            self.vectors.pop(article_id, None)
        for article_id, digest, vector in rows:
            self.hashes[article_id] = digest
            self.vectors[article_id] = np.asarray(vector, dtype=np.float32)
            self.stale.discard(article_id)
        self.stored_seq = seq
        self.embedded += len(rows)


def _changed_since(store: Store, seq: int) -> set[int]:
    touched: set[int] = set()
    while changes := store.changes_since(seq):
        touched.update(change.article_id for change in changes)
        seq = changes[-1].seq
    return touched


def _article(store: Store, article_id: int) -> Article | None:
    try:
        return store.get_article(article_id)
    except NotFound:
        return None
