"""Search: a person's words to a ranked list of articles.

Two rankings share one index. `baseline_query` is plain BM25 as the answers issue defines it:
title and answer fields, English stemming and stop words, the question's words OR-ed, nothing
else; `eval beir` prints it beside healthqa's own ranking. `question_query` is what healthqa
uses: the phrasing of consumer questions is dropped ("hello", "I would like to know"), a word
said several times counts a little more, and a word the collection never uses is matched by
the closest word of the collection's titles and topic names ("Gabamentine" is searched as
"gabapentin"; see `index.spelling`), and a topic's "also called" name or an everyday word
brings in the words articles use, at half weight ("molar pregnancy" adds "hydatidiform mole",
"charley horse" adds "muscle cramp"; see `index.vocabulary`).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace

from healthqa.articles import Article
from healthqa.index.analysis import ENGLISH_STOP, terms
from healthqa.index.lexical import Hit, LexicalIndex, LexicalQuery
from healthqa.index.spelling import Speller
from healthqa.index.vocabulary import Vocabulary
from healthqa.questions import Analysis, FocusFinder, analyse
from healthqa.safety import demote_overdue
from healthqa.store import Store

BASELINE_FIELDS = {"title": 1.0, "body": 1.0}
FIELDS = {"title": 1.0, "body": 1.0, "topic": 0.0}
# A topic name is a question's focus only if its words are rare enough: their idf, as a share of
# the idf of a word no article uses, must add up to this ("disease" has 0.09, "pregnancy" 0.33
# in the 17,942 articles of liveqa-med-dev).
MIN_FOCUS_WEIGHT = 0.28
_MAX_TERMS = 64  # a 10 kB paste is searched by its first 64 distinct terms


@dataclass(frozen=True)
class Result:
    """One article in a result list, with the score that ranked it."""

    article: Article
    score: float


def baseline_query(text: str) -> LexicalQuery:
    """Plain BM25: every distinct term once, title and body weighed alike."""
    distinct = list(dict.fromkeys(terms(text, ENGLISH_STOP)))[:_MAX_TERMS]
    return LexicalQuery(dict.fromkeys(distinct, 1.0), BASELINE_FIELDS)


def question_query(
    text: str, speller: Speller | None = None, vocabulary: Vocabulary | None = None
) -> LexicalQuery:
    """healthqa's query for a question; see the module docstring."""
    corrected = [(speller.correct(term) if speller else None) or term for term in terms(text)]
    weights = {
        term: 1.0 + 0.25 * min(count - 1, 2)
        for term, count in Counter(corrected).most_common(_MAX_TERMS)
    }
    for term, weight in (vocabulary.expand(corrected) if vocabulary else {}).items():
        weights.setdefault(term, weight)
    return LexicalQuery(weights, FIELDS)


class Search:
    """Searches one store through its index."""

    def __init__(self, store: Store, index: LexicalIndex) -> None:
        self.store = store
        self.index = index
        self._speller: tuple[int, Speller] | None = None
        self._vocabulary: tuple[int, Vocabulary] | None = None
        self._focus: tuple[int, FocusFinder] | None = None

    @property
    def speller(self) -> Speller:
        """Spelling corrections from the index's titles, rebuilt when the index changes."""
        if self._speller is None or self._speller[0] != self.index.last_seq:
            self._speller = (self.index.last_seq, Speller(self.index.vocabulary()))
        return self._speller[1]

    @property
    def vocabulary(self) -> Vocabulary:
        """Topic synonyms and everyday words, rebuilt when the index changes."""
        if self._vocabulary is None or self._vocabulary[0] != self.index.last_seq:
            built = Vocabulary.build(self.store.topics())
            self._vocabulary = (self.index.last_seq, built)
        return self._vocabulary[1]

    @property
    def focus(self) -> FocusFinder:
        """The topic names and synonyms a question's focus is found among."""
        if self._focus is None or self._focus[0] != self.index.last_seq:
            self._focus = (self.index.last_seq, FocusFinder.build(self.store.topics()))
        return self._focus[1]

    def analyse(self, question: str) -> Analysis:
        """Question analysis with the focus found among this collection's topics."""
        analysis = analyse(question)
        unseen = self.idf("")  # the idf of a term no article has: the largest there is
        focus = self.focus.find(question, lambda term: self.idf(term) / unseen, MIN_FOCUS_WEIGHT)
        return replace(analysis, focus=focus)

    def idf(self, term: str) -> float:
        """How rare `term` is among the articles (BM25's idf over answer bodies)."""
        total = max(self.index.size, 1)
        frequency = self.index.doc_freq("body", term)
        return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))

    def hits(self, text: str, limit: int = 10, baseline: bool = False) -> list[Hit]:
        if baseline:
            return self.index.search(baseline_query(text), limit)
        query = question_query(text, self.speller, self.vocabulary)
        return self.index.search(query, limit)

    def results(self, text: str, limit: int = 10) -> list[Result]:
        found = [
            Result(self.store.get_article(hit.article_id), hit.score)
            for hit in self.hits(text, limit)
        ]
        # Safety (issue 5): an article past its review date goes below a reviewed one when
        # their scores are otherwise equal; see healthqa.safety.demote_overdue.
        return demote_overdue(found, lambda result: result.article, lambda result: result.score)

    def page(self, text: str, limit: int = 10, offset: int = 0) -> tuple[list[Result], int]:
        """Results `offset` to `offset + limit`, and the number of matching articles."""
        query = question_query(text, self.speller, self.vocabulary)
        hits, total = self.index.search_page(query, limit, offset)
        found = [Result(self.store.get_article(hit.article_id), hit.score) for hit in hits]
        return demote_overdue(
            found, lambda result: result.article, lambda result: result.score
        ), total
