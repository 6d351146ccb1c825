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
articles of liveqa-med-dev it takes a few milliseconds. From there on, with FAISS installed,
an approximate index (`index.approximate`, an inverted file) finds the candidates and they are
scored exactly; it is derived from the same vectors and follows them (docs/decisions.md,
sections 29 and 35). It then holds the vectors (as 8-bit scalars), and this index keeps only
the articles' ids and text hashes: the candidates' float32 vectors are read from the store
(section 32).
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
_READ_CHUNK = 20_000  # vectors read from the store at a time, to keep or to add to the index
_DIGEST = "S40"  # a text hash (hex SHA-1) as 40 ASCII bytes in an array
_NO_VECTOR = np.zeros(0, dtype=np.float32)  # what `save` keeps while the approximate index serves
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
    """What `VectorIndex.coverage` says once refreshed, counted in the store without holding
    the vectors (the `healthqa serve` parent prints it; its workers open what they serve):
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
    touched = sorted(_changed_since(store, min(seqs))) if min(seqs) < newest else []
    changed = 0
    for start in range(0, len(touched), _READ_CHUNK):  # bounded memory after a long import
        chunk = touched[start : start + _READ_CHUNK]
        stored = [store.stored_vectors(m, chunk) for m in models]
        hashes = [dict(zip(s.article_ids, s.text_hashes, strict=True)) for s in stored]
        for article_id in chunk:
            if not all(article_id in h for h in hashes):
                continue  # not counted as covered in the first place
            article = _article(store, article_id)
            if article is None or article.status != "published":
                continue  # not counted either
            changed += any(
                h[article_id] != text_hash(embedded_text(article, part))
                for h, part in zip(hashes, text_parts(kind), strict=True)
            )
    return Coverage(model, store.count_embedded(models) - changed, published)


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
        self._parts = [
            _Part(store, embedder, part, keep=not self._graph_serves(f"{embedder.model_id}:{part}"))
            for part in text_parts(kind)
        ]
        self._loaded_at = clock()
        self._view = _View.empty(len(self._parts))
        self._build()

    @property
    def size(self) -> int:
        """Articles in the semantic ranking (with a current vector of at least one text)."""
        return len(self._view.rows)

    @property
    def embedded(self) -> int:
        """Texts embedded by this object (the rest came from the store)."""
        return sum(part.embedded for part in self._parts)

    @property
    def last_seq(self) -> int:
        return min(part.checked_seq for part in self._parts)

    def missing(self, article_ids: Iterable[int]) -> set[int]:
        """The listed articles that have no current vector (not in the semantic ranking)."""
        wanted = list(article_ids)
        at, found = _positions(self._view.ids, wanted)
        ranked = np.zeros(len(wanted), dtype=bool)
        ranked[found] = self._view.usable[:, at[found]].any(axis=0)
        return {i for i, inside in zip(wanted, ranked, strict=True) if not inside}

    def coverage(self) -> Coverage:
        """Articles with a current vector of every text, of the published articles."""
        usable = self._view.usable
        embedded = int(usable.all(axis=0).sum()) if len(usable) else 0
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
            touched = _changed_since(self.store, since) if since < newest else set()
            held = [i for i in sorted(touched) if any(p.hash_of(i) for p in self._parts)]
            current = {i: _article(self.store, i) for i in held}
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
        view = self._view  # one view, whatever a refresh does
        if not len(view.rows) or limit <= 0:
            return []
        if view.approximate is not None:
            return self._search_approximate(view.approximate, query, limit)
        rows, wanted = view.rows, max(CANDIDATES, OVERFETCH * limit)
        picked = view.coarse is not None and len(rows) > wanted
        if picked and view.coarse is not None:  # candidates by int8 scores (decision 31)
            rough = view.coarse.scores(query).reshape(len(view.usable), len(view.ids))
            rough = np.where(view.usable, rough, 0.0).max(axis=0)[rows]
            rows = rows[np.argpartition(-rough, wanted - 1)[:wanted]]
        each = []
        with blas_threads(1):  # spinning BLAS threads on a busy machine cost 4 times more
            for usable, matrix in zip(view.usable, view.matrices, strict=True):
                assert matrix is not None  # exact search keeps the vectors
                if picked:  # a text without a current vector scores 0, as zeros would
                    each.append(np.where(usable[rows], matrix[rows] @ query, 0.0))
                else:
                    each.append(np.where(usable, matrix @ query, 0.0)[rows])
        scores = np.max(each, axis=0)
        ids = view.ids[rows]
        top = np.argpartition(-scores, min(limit, len(rows)) - 1)[:limit]
        top = top[np.lexsort((ids[top], -scores[top]))]
        return [Hit(int(ids[i]), float(scores[i])) for i in top]

    def _search_approximate(
        self, nearest: ApproximateIndex, query: np.ndarray, limit: int
    ) -> list[Hit]:
        """Candidates from the approximate index (each article's texts are entries of their
        own), scored exactly by the article's better text, best first, ties by id. The index
        is asked for `OVERFETCH` times the entries needed: its 8-bit distances blur near-ties,
        which the exact scores then sort out (decision 29)."""
        rows = len(self._parts)
        keys, _ = nearest.search(query, OVERFETCH * limit * rows)
        found = self.similarities(query, dict.fromkeys(int(k) // rows for k in keys))
        ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [Hit(article_id, score) for article_id, score in ranked]

    def similarities(self, query: np.ndarray, article_ids: Iterable[int]) -> dict[int, float]:
        """Cosine of `query` with each listed article that has a vector (its best text's).
        While the approximate index serves, the vectors are read from the store (a few
        hundred a question) and used only where their text hash is the one in use."""
        view, found = self._view, dict[int, float]()
        wanted = np.unique(np.fromiter(article_ids, dtype=np.int64))
        at, inside = _positions(view.ids, wanted)
        at = at[inside]
        for part, usable, digests, matrix in zip(
            self._parts, view.usable, view.digests, view.matrices, strict=True
        ):
            rows = at[usable[at]]
            if matrix is not None:
                scores = matrix[rows] @ query
                ids = view.ids[rows]
            else:
                ids, vectors = part.read(view.ids[rows], digests[rows])
                scores = vectors @ query
            for i, score in zip(ids.tolist(), scores.tolist(), strict=True):
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
        stored = set(np.unique(np.concatenate([p.held() for p in self._parts])).tolist())
        return _Plan.of(self._parts, everything, stored | {a.id for a in everything})

    def _graph_serves(self, model: str) -> bool:
        """Whether the approximate index will serve, judged by the vectors stored under
        `model` before reading them: its vectors then stay in the store (and in that index)."""
        count = self.store.vector_count(model)[0]
        return 0 < self.approximate_from <= count and approximate.available()

    def _build(self) -> None:
        """A new view: every part on one axis of article ids, the usable vectors marked; the
        approximate index brought to them, or the vectors kept for exact search."""
        axis = np.zeros(0, dtype=np.int64)
        for part in self._parts:
            axis = np.union1d(axis, part.held())
        for part in self._parts:
            part.settle(axis)
        usable = np.stack([part.usable() for part in self._parts])
        rows = np.flatnonzero(usable.any(axis=0))
        serves = 0 < self.approximate_from <= len(rows) and approximate.available()
        for part in self._parts:
            part.keep(not serves)
        nearest = self._update_approximate(axis, usable) if serves else None
        if nearest is None:
            self._approximate = None
        matrices = tuple(part.matrix for part in self._parts)
        coarse = None
        exact = [m for m in matrices if m is not None]
        if not serves and exact and 0 < self.quantized_from <= len(rows) and quantized.available():
            coarse = Int8Scores(np.concatenate(exact))
        digests = tuple(part.digests for part in self._parts)
        self._view = _View(axis, rows, usable, digests, matrices, nearest, coarse)

    def _update_approximate(self, axis: np.ndarray, usable: np.ndarray) -> ApproximateIndex:
        """The approximate index brought to the usable vectors: read from the index folder
        the first time (where another process may have saved it), and saved there again
        once enough of it changed. Processes sharing the folder take turns. The vectors it
        adds are read from the store, a chunk at a time."""
        rows, parts = len(self._parts), self._parts
        keys = np.concatenate(
            [approximate.key(axis[usable[row]], row, rows) for row in range(rows)]
        )
        marks = np.concatenate(
            [_fingerprints(part.digests[usable[row]]) for row, part in enumerate(parts)]
        )

        def vectors(keys: Sequence[int]) -> np.ndarray:
            wanted = np.asarray(keys, dtype=np.int64)
            found = np.zeros((len(wanted), self.embedder.dimension), dtype=np.float32)
            found[:, 0] = 1.0  # gone from the store since: a placeholder the next refresh drops
            for row, part in enumerate(parts):
                which = np.flatnonzero(wanted % rows == row)
                ids, vectors = part.read(wanted[which] // rows)
                at, there = _positions(ids, wanted[which] // rows)
                found[which[there]] = vectors[at[there]]
            return found

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
            self._unsaved += self._approximate.update(keys, marks, vectors)
            if path and self._unsaved > SAVE_SHARE * len(keys):
                self._approximate.save(path, self.model)
                self._unsaved = 0
        return self._approximate


class _View(NamedTuple):
    """What search reads, replaced whole. `ids`: an axis of article ids (sorted), every one
    with a stored vector of some text; `rows`: the positions on it of the articles in the
    semantic ranking; `usable` (texts x axis): whether that text's vector is current;
    `digests` and `matrices`, one per text: its text hashes and its float32 vectors on the
    axis (zeros where it has none), the matrices None while the approximate index serves
    (which holds them as int8; candidates are scored from the store); `coarse`: the int8
    scores that pick exact search's candidates in a collection of `QUANTIZED_FROM` articles
    or more. The parts' arrays are shared, never copied: they are replaced, not written."""

    ids: np.ndarray
    rows: np.ndarray
    usable: np.ndarray
    digests: tuple[np.ndarray, ...]
    matrices: tuple[np.ndarray | None, ...]
    approximate: ApproximateIndex | None
    coarse: Int8Scores | None = None

    @classmethod
    def empty(cls, texts: int) -> _View:
        none = np.zeros(0, dtype=np.int64)
        usable = np.zeros((texts, 0), dtype=bool)
        return cls(none, none, usable, (np.zeros(0, _DIGEST),) * texts, (None,) * texts, None)


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
            stale = [i for i in touched - seen if part.hash_of(i) is not None]
            for article in published:
                text = embedded_text(article, part.part)
                digest = text_hash(text)
                held = part.hash_of(article.id)
                if held != digest:
                    pending.append((row, article.id, digest, text))
                    if held is not None:
                        stale.append(article.id)
            removed.append(sorted(stale))
        pending.sort(key=lambda item: (item[1], item[0]))
        return cls(pending, removed)

    def counts(self, parts: Sequence[_Part]) -> list[int]:
        """How many vectors each part will hold once the plan is carried out."""
        return [
            part.count() - len(removed) + sum(1 for item in self.pending if item[0] == row)
            for row, (part, removed) in enumerate(zip(parts, self.removed, strict=True))
        ]


class _Part:
    """One kind of text's vectors ("title" or "lead"), kept in the store under its own key.

    What the store holds, as arrays on an axis of article ids (`ids`, sorted, shared by every
    part once `settle` has run): `present`, whether this text has a stored vector; `digests`,
    its text hash (hex, ASCII); `matrix`, the float32 vectors (a contiguous matrix, zeros where
    absent) while exact search needs them (`keep`), else None. `stale`: the articles whose
    stored vector no longer matches their text (or that left), which readers leave out until
    `embed` runs. What `save` stores waits in `_new` and `_gone` until `settle`, so that
    embedding in batches does not copy the matrix at each one. Arrays are replaced, never
    written in place: a view in use keeps the ones it was made with."""

    def __init__(self, store: Store, embedder: Embedder, part: str, keep: bool = True) -> None:
        self.store = store
        self.embedder = embedder
        self.part = part
        self.model = f"{embedder.model_id}:{part}"
        self.embedded = 0
        self.keeps = keep
        self.load()

    def load(self) -> None:
        """Read the stored text hashes (and the vectors, if kept). Vectors stored with no
        change number (a first run of an older healthqa, interrupted) cannot be trusted until
        `embed` has checked them."""
        ids, digests, last = [], [], 0
        while True:  # a chunk at a time: a million Python strings at once stay in the heap
            stored = self.store.vector_hashes(self.model, last, _READ_CHUNK)
            ids.append(np.array(stored.article_ids, dtype=np.int64))
            digests.append(np.array(stored.text_hashes, dtype=_DIGEST))
            if len(stored.article_ids) < _READ_CHUNK:
                break
            last = stored.article_ids[-1]
        self.stored_seq = self.checked_seq = stored.last_seq
        self.ids, self.digests = np.concatenate(ids), np.concatenate(digests)
        self.present = np.ones(len(self.ids), dtype=bool)
        self.matrix: np.ndarray | None = None
        self._new: dict[int, tuple[str, np.ndarray]] = {}
        self._gone: set[int] = set()
        self.stale: set[int] = set(self.ids.tolist()) if stored.last_seq == 0 else set()
        if self.keeps:
            self.keep(True)

    def keep(self, vectors: bool) -> None:
        """Hold the float32 vectors on the axis (read from the store, a chunk at a time), or
        let them go."""
        self.keeps = vectors
        if not vectors:
            self.matrix = None
        elif self.matrix is None:
            rows = np.flatnonzero(self.present)
            matrix = np.zeros((len(self.ids), self.embedder.dimension), dtype=np.float32)
            present, digests = self.present.copy(), self.digests.copy()
            present[rows] = False
            for start in range(0, len(rows), _READ_CHUNK):
                chunk = rows[start : start + _READ_CHUNK]
                ids, found, hashes = self._stored(self.ids[chunk])
                at = np.searchsorted(self.ids, ids)
                matrix[at], digests[at] = found, hashes
                present[at] = True
            self.present, self.digests, self.matrix = present, digests, matrix

    def read(
        self, ids: np.ndarray, digests: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The stored vectors of `ids` (those the store has, with these text hashes if given):
        their ids, in order, and a matrix."""
        found, vectors, hashes = self._stored(ids)
        if digests is not None:
            order = np.argsort(ids)
            same = hashes == digests[order][_positions(ids[order], found)[0]]
            found, vectors = found[same], vectors[same]
        return found, vectors

    def _stored(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        stored = self.store.stored_vectors(self.model, np.sort(ids).tolist())
        dimension = self.embedder.dimension
        vectors = np.frombuffer(b"".join(stored.vectors), dtype=np.float32)
        return (
            np.array(stored.article_ids, dtype=np.int64),
            vectors.reshape(-1, dimension),
            np.array(stored.text_hashes, dtype=_DIGEST),
        )

    def hash_of(self, article_id: int) -> str | None:
        """The text hash of this text's stored vector for `article_id`, or None."""
        if article_id in self._new:
            return self._new[article_id][0]
        if article_id in self._gone:
            return None
        at = int(np.searchsorted(self.ids, article_id))
        if at < len(self.ids) and self.ids[at] == article_id and self.present[at]:
            return bytes(self.digests[at]).decode("ascii")
        return None

    def held(self) -> np.ndarray:
        """The ids of the articles with a stored vector of this text, saved ones included."""
        ids = self.ids[self.present]
        if self._gone:
            ids = ids[~np.isin(ids, np.fromiter(self._gone, dtype=np.int64))]
        return np.union1d(ids, np.fromiter(self._new, dtype=np.int64))

    def count(self) -> int:
        return len(self.held()) if self._new or self._gone else int(self.present.sum())

    def settle(self, axis: np.ndarray) -> None:
        """Put what `save` stored on the arrays, and the arrays on `axis` (which holds every
        id of `held`)."""
        if not self._new and not self._gone and np.array_equal(axis, self.ids):
            return
        new = np.fromiter(self._new, dtype=np.int64)
        dropped = np.fromiter(self._gone, dtype=np.int64)
        keep = self.present & ~np.isin(self.ids, dropped) & ~np.isin(self.ids, new)
        present = np.zeros(len(axis), dtype=bool)
        digests = np.zeros(len(axis), dtype=_DIGEST)
        to = np.searchsorted(axis, self.ids[keep])
        present[to], digests[to] = True, self.digests[keep]
        matrix = None
        if self.matrix is not None:
            matrix = np.zeros((len(axis), self.embedder.dimension), dtype=np.float32)
            matrix[to] = self.matrix[keep]
        if len(new):
            to = np.searchsorted(axis, new)
            present[to] = True
            digests[to] = [self._new[i][0] for i in new.tolist()]
            if matrix is not None:
                matrix[to] = np.stack([self._new[i][1] for i in new.tolist()])
        self.ids, self.present, self.digests, self.matrix = axis, present, digests, matrix
        self._new, self._gone = {}, set()

    def usable(self) -> np.ndarray:
        """On the axis: whether this text has a current vector."""
        usable = self.present.copy()
        if self.stale:
            usable &= ~np.isin(self.ids, np.fromiter(self.stale, dtype=np.int64))
        return usable

    def behind(self) -> bool:
        """Whether the store holds vectors this part has not read."""
        return self.store.vector_count(self.model) != (self.count(), self.stored_seq)

    def check(self, current: dict[int, Article | None], newest: int) -> None:
        """Set aside the vectors of `current` articles whose text no longer matches them."""
        if self.checked_seq > newest:  # another database, or a restored one: trust none
            self.stale = set(self.held().tolist())
        else:
            for article_id, article in current.items():
                held = self.hash_of(article_id)
                if held is not None and self._fits(held, article):
                    self.stale.discard(article_id)
                elif held is not None:
                    self.stale.add(article_id)
        self.checked_seq = newest

    def _fits(self, held: str, article: Article | None) -> bool:
        if article is None or article.status != "published":
            return False
        return held == text_hash(embedded_text(article, self.part))

    def save(
        self, rows: Sequence[tuple[int, str, np.ndarray]], removed: list[int], seq: int
    ) -> None:
        """Store `rows` and delete `removed` in one transaction that records `seq`."""
        blobs = [(i, digest, v.astype(np.float32).tobytes()) for i, digest, v in rows]
        self.store.save_vectors(self.model, blobs, removed, seq)
        for article_id in removed:
            self._new.pop(article_id, None)
            self._gone.add(article_id)
        for article_id, digest, vector in rows:
            self._gone.discard(article_id)
            kept = np.asarray(vector, dtype=np.float32) if self.keeps else _NO_VECTOR
            self._new[article_id] = (digest, kept)
            self.stale.discard(article_id)
        self.stored_seq = seq
        self.embedded += len(rows)


def _positions(axis: np.ndarray, ids: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `ids` stands on the sorted `axis`, and whether it is there at all."""
    wanted = np.asarray(ids, dtype=np.int64)
    if not len(axis):
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    at = np.minimum(np.searchsorted(axis, wanted), len(axis) - 1)
    return at, axis[at] == wanted


def _fingerprints(digests: np.ndarray) -> np.ndarray:
    """`approximate.fingerprint` of each text hash (hex ASCII, `_DIGEST`), as uint64."""
    hexes = np.frombuffer(np.ascontiguousarray(digests).tobytes(), dtype=np.uint8)
    hexes = hexes.reshape(-1, 40)[:, :16].astype(np.uint64)
    nibbles = np.where(hexes >= ord("a"), hexes - 87, hexes - 48).astype(np.uint64)
    value = np.zeros(len(hexes), dtype=np.uint64)
    for column in range(16):
        value = (value << np.uint64(4)) | nibbles[:, column]
    return value >> np.uint64(1)


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
