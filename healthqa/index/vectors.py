"""The vector index: one embedding per published article, kept in the store, searched exactly.

Vectors are derived data stored beside their articles (table `article_vectors`) under a model
key, "<embedder model id>:<what was embedded>", with the hash of the embedded text: an article
whose text has not changed is never embedded again, even after a rebuild or a model key's first
sync over an imported database. Like the lexical index, the vector index follows the change
log: `sync` re-reads the articles changed since the last number it applied, embeds those whose
text changed and forgets retired ones, in one transaction with the new number.

What is embedded (`EMBEDDED_TEXTS`): "title", the question an article answers; "lead", the
question and the first words of its answer; or "title+lead", both, an article scoring the
better of its two cosines (docs/decisions.md, section 16). Search is exact (a matrix product
per text): over the 17,942 articles of liveqa-med-dev it takes a few milliseconds, so an
approximate index would buy nothing (docs/performance.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np

from healthqa.articles import Article
from healthqa.embedders import Embedder
from healthqa.index.lexical import Hit
from healthqa.store import ArticleFilter, NotFound, Store

EMBEDDED_TEXTS = ("title", "lead", "title+lead")
LEAD_WORDS = 60  # words of the answer that "lead" adds to the question
_SAVE_EVERY = 256  # articles embedded between two saves, so a long first sync keeps its work


def text_parts(kind: str) -> tuple[str, ...]:
    """The texts `kind` embeds of each article: "title+lead" is both, kept apart."""
    if kind not in EMBEDDED_TEXTS:
        raise ValueError(
            f"unknown embedded text {kind!r}: choose one of {', '.join(EMBEDDED_TEXTS)}"
        )
    return tuple(kind.split("+"))


def embedded_text(article: Article, part: str) -> str:
    """The text of `article` that is embedded for `part` ("title" or "lead")."""
    if part == "title":
        return article.title
    if part == "lead":
        lead = " ".join(article.body_text.split()[:LEAD_WORDS])
        return f"{article.title} {lead}".strip()
    raise ValueError(f"unknown embedded text {part!r}: choose one of title, lead")


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class VectorIndex:
    """The vectors of one embedder and one kind of text, in memory, in step with the store.

    With "title+lead" each article has two vectors, its title's and its lead's, stored under
    the same keys as the single kinds (so switching reuses them), and an article scores the
    better of its two cosines (max-passage scoring: a question can match what the article asks,
    or what its answer starts by saying).
    """

    def __init__(self, store: Store, embedder: Embedder, kind: str = "title") -> None:
        self.store = store
        self.embedder = embedder
        self.kind = kind
        self.model = f"{embedder.model_id}:{kind}"
        self._parts = [_Part(store, embedder, part) for part in text_parts(kind)]
        self._last_query: tuple[str, np.ndarray] | None = None
        self._ids = np.zeros(0, dtype=np.int64)
        self._matrices = np.zeros((len(self._parts), 0, embedder.dimension), dtype=np.float32)
        self._build()

    @property
    def size(self) -> int:
        return len(self._ids)

    @property
    def embedded(self) -> int:
        """Texts embedded by this object (the rest came from the store)."""
        return sum(part.embedded for part in self._parts)

    @property
    def last_seq(self) -> int:
        return min(part.last_seq for part in self._parts)

    def sync(self) -> int:
        """Bring the vectors up to date with the change log; returns how many articles changed."""
        newest = self.store.stats()["last_change"]
        touched = max(part.sync(newest) for part in self._parts)
        if touched or self._ids.size == 0:
            self._build()
        return touched

    def embed_query(self, text: str) -> np.ndarray:
        """The question's vector; the last one is kept, as search and re-ranking both ask."""
        if self._last_query is None or self._last_query[0] != text:
            self._last_query = (text, self.embedder.embed([text])[0])
        return self._last_query[1]

    def search(self, query: np.ndarray, limit: int = 10) -> list[Hit]:
        """The `limit` articles whose vectors are most like `query` (cosine), best first."""
        if not self.size or limit <= 0:
            return []
        scores = (self._matrices @ query).max(axis=0)
        top = np.argpartition(-scores, min(limit, self.size) - 1)[:limit]
        top = top[np.lexsort((self._ids[top], -scores[top]))]
        return [Hit(int(self._ids[i]), float(scores[i])) for i in top]

    def similarities(self, query: np.ndarray, article_ids: Iterable[int]) -> dict[int, float]:
        """Cosine of `query` with each listed article that has a vector (its best text's)."""
        found: dict[int, float] = {}
        for part in self._parts:
            for i, score in part.similarities(query, article_ids).items():
                found[i] = max(score, found.get(i, -1.0))
        return found

    def _build(self) -> None:
        ids = sorted(set().union(*(part.vectors for part in self._parts)))
        self._ids = np.array(ids, dtype=np.int64)
        zeros = np.zeros(self.embedder.dimension, dtype=np.float32)
        self._matrices = np.zeros(
            (len(self._parts), len(ids), self.embedder.dimension), dtype=np.float32
        )
        for row, part in enumerate(self._parts):
            if ids:
                self._matrices[row] = np.vstack([part.vectors.get(i, zeros) for i in ids])


class _Part:
    """One kind of text's vectors ("title" or "lead"), kept in the store under its own key."""

    def __init__(self, store: Store, embedder: Embedder, part: str) -> None:
        self.store = store
        self.embedder = embedder
        self.part = part
        self.model = f"{embedder.model_id}:{part}"
        self.embedded = 0
        stored = store.stored_vectors(self.model)
        self.last_seq = stored.last_seq
        self._hashes = dict(zip(stored.article_ids, stored.text_hashes, strict=True))
        self.vectors = {
            article_id: np.frombuffer(blob, dtype=np.float32)
            for article_id, blob in zip(stored.article_ids, stored.vectors, strict=True)
        }

    def sync(self, newest: int) -> int:
        """Bring these vectors up to change `newest`; returns how many articles changed."""
        if self.last_seq == newest:
            return 0
        if self.last_seq > newest or self.last_seq == 0:
            current = self.store.iter_articles(ArticleFilter(status="published"))
            return self._update(current, set(self._hashes), newest)
        changed = self._changed_since(self.last_seq)
        articles = [a for a in map(self._article, sorted(changed)) if a is not None]
        return self._update(articles, changed, newest)

    def similarities(self, query: np.ndarray, article_ids: Iterable[int]) -> dict[int, float]:
        return {i: float(self.vectors[i] @ query) for i in article_ids if i in self.vectors}

    # Internals ----------------------------------------------------------------------------

    def _update(self, articles: Iterable[Article], touched: set[int], newest: int) -> int:
        """Embed the published articles whose text changed; forget the `touched` ones that are
        not among them (retired or gone)."""
        seen: set[int] = set()
        pending: list[tuple[int, str, str]] = []
        count = 0
        for article in articles:
            if article.status != "published":
                continue
            seen.add(article.id)
            text = embedded_text(article, self.part)
            if self._hashes.get(article.id) != text_hash(text):
                pending.append((article.id, text_hash(text), text))
            if len(pending) >= _SAVE_EVERY:
                count += self._save(pending, [], self.last_seq)
                pending = []
        removed = sorted((touched - seen) & set(self._hashes))
        count += self._save(pending, removed, newest)
        return count

    def _save(self, pending: Sequence[tuple[int, str, str]], removed: list[int], seq: int) -> int:
        vectors = list(self.embedder.embed([text for _, _, text in pending])) if pending else []
        rows = [
            (article_id, digest, vector.astype(np.float32).tobytes())
            for (article_id, digest, _), vector in zip(pending, vectors, strict=True)
        ]
        self.store.save_vectors(self.model, rows, removed, seq)
        for (article_id, digest, _), vector in zip(pending, vectors, strict=True):
            self._hashes[article_id] = digest
            self.vectors[article_id] = np.asarray(vector, dtype=np.float32)
        for article_id in removed:
            self._hashes.pop(article_id, None)
            self.vectors.pop(article_id, None)
        self.last_seq = seq
        self.embedded += len(pending)
        return len(pending) + len(removed)

    def _changed_since(self, seq: int) -> set[int]:
        touched: set[int] = set()
        while changes := self.store.changes_since(seq):
            touched.update(change.article_id for change in changes)
            seq = changes[-1].seq
        return touched

    def _article(self, article_id: int) -> Article | None:
        try:
            return self.store.get_article(article_id)
        except NotFound:
            return None
