"""The BM25 index: derived from the store, rebuildable, kept beside the database.

tantivy holds the postings; healthqa does the text analysis itself (`analysis.terms`) and hands
tantivy whitespace-separated terms, so that articles and questions are analysed by exactly the
same code and a query is built from terms, never parsed from user text: no input can raise a
query syntax error.

Fields: `title` (the question an article answers), `body` (the answer), `topic` (the topic's
name and its "also called" names). Each is scored by BM25 on its own; a query weighs them.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy

from healthqa.articles import Article
from healthqa.text import analysis, terms

FIELDS = ("title", "body", "topic")
STATE_FILE = "healthqa-index.json"
_WRITER_HEAP = 100_000_000


@dataclass(frozen=True)
class Hit:
    """One article found, with its BM25 score for the query."""

    article_id: int
    score: float


@dataclass(frozen=True)
class LexicalQuery:
    """Weighted terms and weighted fields; `fuzzy` terms also match near spellings."""

    terms: Mapping[str, float]
    fields: Mapping[str, float]
    fuzzy: frozenset[str] = frozenset()


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name in FIELDS:
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    return builder.build()


def document_terms(article: Article) -> dict[str, str]:
    """The analysed text of each field, as tantivy receives it."""
    topic = article.topic
    topic_text = " ".join([topic.name, *topic.synonyms]) if topic else ""
    return {
        "title": " ".join(terms(article.title)),
        "body": " ".join(terms(article.body_text)),
        "topic": " ".join(terms(topic_text)),
    }


class LexicalIndex:
    """A tantivy index in `path` (created if missing), or in memory when `path` is None.

    It records the last change-log sequence number it has applied (see `index.sync`).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.schema = schema()
        if path is None:
            self._index = tantivy.Index(self.schema)
        else:
            path.mkdir(parents=True, exist_ok=True)
            self._index = tantivy.Index(self.schema, path=str(path), reuse=True)
        self._writer: tantivy.IndexWriter | None = None
        state = self._read_state()
        # An index built by another version of the analysis is stale: last_seq 0 makes the
        # next sync rebuild it.
        same = state.get("analysis") == analysis.VERSION
        self._last_seq = state.get("last_seq", 0) if same else 0
        self._mark = str(state.get("mark", "")) if same else ""
        self._searcher = self._index.searcher()

    @property
    def last_seq(self) -> int:
        """The last change-log entry this index reflects (0: none, rebuild needed)."""
        return int(self._last_seq)

    @property
    def mark(self) -> str:
        """What the change-log entry `last_seq` was (`index.sync.mark`), so that an index over
        another history of the database (a restored backup written to since) is noticed;
        empty when not known (an index written before marks were kept)."""
        return self._mark

    @property
    def size(self) -> int:
        return int(self._searcher.num_docs)

    # Writes -------------------------------------------------------------------------------

    def upsert(self, articles: Iterable[Article]) -> int:
        """Add articles, replacing any earlier version of each; returns how many."""
        writer = self._writer_()
        count = 0
        for article in articles:
            writer.delete_documents_by_term("id", article.id)
            writer.add_document(tantivy.Document(id=article.id, **document_terms(article)))
            count += 1
        return count

    def delete(self, article_ids: Iterable[int]) -> None:
        writer = self._writer_()
        for article_id in article_ids:
            writer.delete_documents_by_term("id", article_id)

    def clear(self) -> None:
        self._writer_().delete_all_documents()
        self._last_seq = 0
        self._mark = ""

    def commit(self, last_seq: int, mark: str = "") -> None:
        """Make the writes visible and record that changes up to `last_seq` are applied
        (`mark`: what that change was, see `index.sync.mark`)."""
        if self._writer is not None:
            self._writer.commit()
            self._writer.wait_merging_threads()
            self._writer = None
        self._index.reload()
        self._searcher = self._index.searcher()
        # The number last: what is keyed by it (the speller) is then built from this searcher
        # or a newer one, whatever thread reads it meanwhile.
        self._last_seq = last_seq
        self._mark = mark
        self._write_state()

    def abandon(self) -> None:
        """Drop the writes not committed yet (after a failed commit: a full disk)."""
        if self._writer is not None:
            with contextlib.suppress(ValueError, OSError):
                self._writer.rollback()
            self._writer = None

    def reload(self) -> bool:
        """Take up changes another process committed to this folder; returns whether any.

        Web workers share one index folder: whichever syncs first writes the changes, and the
        others reload instead of writing them again.
        """
        state = self._read_state()
        if state.get("analysis") != analysis.VERSION or state.get("last_seq", 0) <= self.last_seq:
            return False
        self._index.reload()
        self._searcher = self._index.searcher()
        self._last_seq = state["last_seq"]
        self._mark = str(state.get("mark", ""))
        return True

    def _writer_(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self._index.writer(heap_size=_WRITER_HEAP, num_threads=1)
        return self._writer

    # Reads --------------------------------------------------------------------------------

    def search(self, query: LexicalQuery, limit: int = 10) -> list[Hit]:
        built = self.build(query)
        if built is None or limit < 1:
            return []
        searcher = self._searcher  # one searcher for the query and its hits (see `_id`)
        result = searcher.search(built, limit)
        return [Hit(_id(searcher, address), float(score)) for score, address in result.hits]

    def search_page(
        self, query: LexicalQuery, limit: int = 10, offset: int = 0
    ) -> tuple[list[Hit], int]:
        """One page of hits, and how many articles match in all (for paging)."""
        built = self.build(query)
        if built is None or limit < 1:
            return [], 0
        searcher = self._searcher
        result = searcher.search(built, limit, count=True, offset=offset)
        hits = [Hit(_id(searcher, address), float(score)) for score, address in result.hits]
        return hits, int(result.count or 0)  # type: ignore[attr-defined]  # not in the stubs

    def build(self, query: LexicalQuery) -> tantivy.Query | None:
        """The tantivy query for `query`: every term in every weighted field, OR-ed."""
        clauses = []
        for term, term_weight in query.terms.items():
            for field, field_weight in query.fields.items():
                weight = term_weight * field_weight
                if weight <= 0:
                    continue
                clauses.append((tantivy.Occur.Should, self._term(field, term, query, weight)))
        return tantivy.Query.boolean_query(clauses) if clauses else None

    def _term(self, field: str, term: str, query: LexicalQuery, weight: float) -> tantivy.Query:
        if term in query.fuzzy:
            distance = 1 if len(term) < 8 else 2
            inner = tantivy.Query.fuzzy_term_query(self.schema, field, term, distance=distance)
        else:
            inner = tantivy.Query.term_query(self.schema, field, term)
        return inner if weight == 1.0 else tantivy.Query.boost_query(inner, weight)

    def doc_freq(self, field: str, term: str) -> int:
        """How many articles have `term` in `field` (0 for a word the collection never uses)."""
        return int(self._searcher.doc_freq(field, term))

    def vocabulary(self, fields: Iterable[str] = ("title", "topic")) -> Counter[str]:
        """Every term of `fields` with the number of articles using it (read from the index)."""
        counts: Counter[str] = Counter()
        for field in fields:
            counts.update(dict(self._searcher.terms_with_prefix(field, "")))
        return counts

    # State --------------------------------------------------------------------------------

    def _read_state(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            data = json.loads((self.path / STATE_FILE).read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_state(self) -> None:
        if self.path is None:
            return
        state = self.path / STATE_FILE
        partial = state.with_suffix(".partial")
        partial.write_text(
            json.dumps(
                {"last_seq": self._last_seq, "mark": self._mark, "analysis": analysis.VERSION}
            )
        )
        partial.replace(state)


def remove(path: Path) -> None:
    """Delete an index folder (a rebuild starts from nothing)."""
    shutil.rmtree(path, ignore_errors=True)


def _id(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> int:
    """The article id of a hit, read from the searcher that found it: another thread's sync
    may have replaced the index's searcher meanwhile, and a hit's address means nothing to
    another searcher (tantivy panics: "index out of bounds")."""
    return int(searcher.doc(address)["id"][0])
