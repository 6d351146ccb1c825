"""Search: a person's words to a ranked list of articles.

Two rankings share one index. `baseline_query` is plain BM25 as the answers issue defines it:
title and answer fields, English stemming and stop words, the question's words OR-ed, nothing
else; `eval beir` prints it beside healthqa's own ranking. `question_query` is what healthqa
uses: the phrasing of consumer questions is dropped ("hello", "I would like to know"), a word
said several times counts a little more, and a word the collection never uses is matched by
its near spellings ("ciprofaxin" finds "ciprofloxacin").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from healthqa.articles import Article
from healthqa.index.analysis import ENGLISH_STOP, terms
from healthqa.index.lexical import Hit, LexicalIndex, LexicalQuery
from healthqa.store import Store

BASELINE_FIELDS = {"title": 1.0, "body": 1.0}
FIELDS = {"title": 1.0, "body": 1.0, "topic": 0.0}
_MAX_TERMS = 64  # a 10 kB paste is searched by its first 64 distinct terms
_MIN_FUZZY = 5  # shorter unknown words are too often another real word


@dataclass(frozen=True)
class Result:
    """One article in a result list, with the score that ranked it."""

    article: Article
    score: float


def baseline_query(text: str) -> LexicalQuery:
    """Plain BM25: every distinct term once, title and body weighed alike."""
    distinct = list(dict.fromkeys(terms(text, ENGLISH_STOP)))[:_MAX_TERMS]
    return LexicalQuery(dict.fromkeys(distinct, 1.0), BASELINE_FIELDS)


def question_query(text: str, index: LexicalIndex) -> LexicalQuery:
    """healthqa's query for a question; see the module docstring."""
    counts = Counter(terms(text))
    weights = {term: 1.0 + 0.25 * min(count - 1, 2) for term, count in counts.items()}
    weights = dict(list(weights.items())[:_MAX_TERMS])
    unknown = frozenset(
        term
        for term in weights
        if len(term) >= _MIN_FUZZY
        and index.doc_freq("body", term) == 0
        and index.doc_freq("title", term) == 0
    )
    return LexicalQuery(weights, FIELDS, unknown)


class Search:
    """Searches one store through its index."""

    def __init__(self, store: Store, index: LexicalIndex) -> None:
        self.store = store
        self.index = index

    def hits(self, text: str, limit: int = 10, baseline: bool = False) -> list[Hit]:
        query = baseline_query(text) if baseline else question_query(text, self.index)
        return self.index.search(query, limit)

    def results(self, text: str, limit: int = 10) -> list[Result]:
        return [
            Result(self.store.get_article(hit.article_id), hit.score)
            for hit in self.hits(text, limit)
        ]
