"""Search: a person's words to a ranked list of articles.

Two rankings share one index. `baseline_query` is plain BM25 as the answers issue defines it:
title and answer fields, English stemming and stop words, the question's words OR-ed, nothing
else; `eval beir` prints it beside healthqa's own ranking. `question_query` is what healthqa
uses: the phrasing of consumer questions is dropped ("hello", "I would like to know"), a word
said several times counts a little more, and a word the collection never uses is matched by
the closest word of the collection's titles and topic names ("Gabamentine" is searched as
"gabapentin"; `text.spelling`, its `STRICT` tolerance), and a topic's "also called" name or an
everyday word brings in the words articles use, at half weight ("molar pregnancy" adds
"hydatidiform mole", "charley horse" adds "muscle cramp"; see `index.vocabulary`).

With a vector index (the `semantic` extra), healthqa's ranking is hybrid: the keyword ranking
and the embedding ranking (`index.vectors`) are fused by reciprocal rank fusion, so an article
that either ranks high comes up ("my calves knot up at night" finds "leg cramps" though they
share no word). The question is embedded with the vocabulary's medical phrases for its everyday
words after it (`semantic_text`). An article not embedded yet is ranked by its keywords alone,
its keyword rank standing in for the semantic rank it does not have. With a trained re-ranker
(`rerank`), the fused candidates are re-scored as question pairs. `Search.ranking` names which
of RANKINGS is in use; the best available is the default."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from healthqa.articles import Article
from healthqa.index.lexical import Hit, LexicalIndex, LexicalQuery
from healthqa.index.vocabulary import Vocabulary
from healthqa.questions import Analysis, FocusFinder, analyse
from healthqa.safety import demote_overdue
from healthqa.store import Store
from healthqa.text import ENGLISH_STOP, STRICT, Speller, terms

if TYPE_CHECKING:
    from healthqa.index.vectors import VectorIndex
    from healthqa.rerank import Reranker

BASELINE_FIELDS = {"title": 1.0, "body": 1.0}
FIELDS = {"title": 1.0, "body": 1.0, "topic": 0.0}
# A topic name is a question's focus only if its words are rare enough: their idf, as a share of
# the idf of a word no article uses, must add up to this ("disease" has 0.09, "pregnancy" 0.33
# in the 17,942 articles of liveqa-med-dev).
MIN_FOCUS_WEIGHT = 0.28
# A word in more than this share of the articles is common: a topic synonym made only of such
# words ("Disease", "Child") widens no query (`index.vocabulary`). Not tuned: 1 in 100.
COMMON_SHARE = 0.01
# A word the articles' text uses in at least this many articles is a real word, not a
# misspelling, even when no title has it: "crushing chest pain" must not become "Cushing's",
# nor "calves" "Legg-Calvé-Perthes".
KNOWN_IN = 3
_MAX_TERMS = 64  # a 10 kB paste is searched by its first 64 distinct terms
RANKINGS = ("keywords", "semantic", "hybrid", "reranked")
RRF_K = 60  # reciprocal rank fusion's constant, as Cormack et al. (2009) set it; not tuned
CANDIDATES = 100  # articles each ranking offers to the fusion
RERANK_DEPTH = 30  # fused candidates the re-ranker re-scores


@dataclass(frozen=True)
class Candidate:
    """An article found by the first stage, with what each ranking thought of it (rank 0 and
    score 0 where a ranking did not find it)."""

    article_id: int
    score: float  # the fused score (the ranking's own score when only one ranking runs)
    rank: int  # 1-based position in the first stage
    lexical_rank: int = 0
    lexical_score: float = 0.0
    semantic_rank: int = 0
    semantic_score: float = 0.0


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


def fuse(rankings: Sequence[Sequence[Hit]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: each article scores the sum of 1 / (k + rank) over the
    rankings that found it; best first, ties by article id."""
    scores: dict[int, float] = {}
    for hits in rankings:
        for rank, hit in enumerate(hits, 1):
            scores[hit.article_id] = scores.get(hit.article_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def fuse_standing_in(
    lexical: Sequence[Hit], semantic: Sequence[Hit], missing: set[int]
) -> list[tuple[int, float]]:
    """`fuse` of the two rankings, where an article `missing` from the semantic one (not
    embedded yet) has its keyword rank stand in for its semantic rank: it is ranked by its
    keywords alone, neither helped nor held back by having no vector (issue 15)."""
    scores = dict(fuse([lexical, semantic]))
    for rank, hit in enumerate(lexical, 1):
        if hit.article_id in missing:
            scores[hit.article_id] += 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


class Search:
    """Searches one store through its index, and its vector index and re-ranker when given."""

    def __init__(
        self,
        store: Store,
        index: LexicalIndex,
        vectors: VectorIndex | None = None,
        reranker: Reranker | None = None,
    ) -> None:
        self.store = store
        self.index = index
        self.vectors = vectors
        self.reranker = reranker
        self.ranking = default_ranking(vectors)
        self._speller: tuple[int, Speller] | None = None
        self._vocabulary: tuple[int, Vocabulary] | None = None
        self._focus: tuple[int, FocusFinder] | None = None

    @property
    def speller(self) -> Speller:
        """Spelling corrections from the index's titles, rebuilt when the index changes; a
        word the articles' text uses often enough is never corrected."""
        index, seq = self.index, self.index.last_seq  # read first: a sync may commit meanwhile
        if self._speller is None or self._speller[0] != seq:
            known = lambda t: index.doc_freq("body", t) >= KNOWN_IN  # noqa: E731
            speller = Speller(index.vocabulary(), STRICT, known)
            self._speller = (seq, speller)
        return self._speller[1]

    @property
    def vocabulary(self) -> Vocabulary:
        """Topic synonyms and everyday words, rebuilt when the index changes."""
        seq = self.index.last_seq
        if self._vocabulary is None or self._vocabulary[0] != seq:
            index = self.index
            common = lambda term: index.doc_freq("body", term) > COMMON_SHARE * index.size  # noqa: E731
            self._vocabulary = (seq, Vocabulary.build(self.store.topics(), common=common))
        return self._vocabulary[1]

    @property
    def focus(self) -> FocusFinder:
        """The topic names and synonyms a question's focus is found among."""
        seq = self.index.last_seq
        if self._focus is None or self._focus[0] != seq:
            self._focus = (seq, FocusFinder.build(self.store.topics()))
        return self._focus[1]

    def analyse(self, question: str) -> Analysis:
        """Question analysis with the focus found among this collection's topics, misspelt
        words read as the index's speller corrects them."""
        unseen = self.idf("")  # the idf of a term no article has: the largest there is
        weight = lambda term: self.idf(term) / unseen  # noqa: E731
        return analyse(question, self.focus, weight, MIN_FOCUS_WEIGHT, self._misspelt)

    def _misspelt(self, term: str) -> str | None:
        """The word the speller says `term` misspells, if no article uses `term` itself."""
        return self.speller.correct(term) if not self.index.doc_freq("body", term) else None

    def idf(self, term: str) -> float:
        """How rare `term` is among the articles (BM25's idf over answer bodies)."""
        total = max(self.index.size, 1)
        frequency = self.index.doc_freq("body", term)
        return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))

    def semantic_text(self, text: str) -> str:
        """What the semantic ranking embeds of a question: the reader's words, then the
        medical phrases the reviewed vocabulary has for its everyday words ("the runs
        (diarrhea diarrhoea)"); the question alone when it has none."""
        meanings = self.vocabulary.meanings(terms(text)[:_MAX_TERMS])
        return f"{text} ({', '.join(meanings)})" if meanings else text

    def hits(self, text: str, limit: int = 10, baseline: bool = False) -> list[Hit]:
        if baseline:
            return self.index.search(baseline_query(text), limit)
        if self.vectors is None or self.ranking == "keywords":  # keywords alone: no fusion
            return self.index.search(question_query(text, self.speller, self.vocabulary), limit)
        return [Hit(c.article_id, c.score) for c in self.candidates(text, limit)]

    def candidates(self, text: str, limit: int = 10) -> list[Candidate]:
        """The first stage: keywords, embeddings, or both fused, as `ranking` says."""
        lexical: list[Hit] = []
        semantic: list[Hit] = []
        if self.ranking != "semantic":
            query = question_query(text, self.speller, self.vocabulary)
            lexical = self.index.search(query, CANDIDATES if self.vectors else limit)
        if self.vectors is not None and self.vectors.size and self.ranking != "keywords":
            # Articles not embedded yet are in the keyword list only (issue 15).
            vector = self.vectors.embed_query(self.semantic_text(text))
            semantic = self.vectors.search(vector, CANDIDATES)
        if semantic and lexical:
            assert self.vectors is not None
            missing = self.vectors.missing(hit.article_id for hit in lexical)
            ranked = fuse_standing_in(lexical, semantic, missing)[:limit]
        else:
            ranked = [(hit.article_id, hit.score) for hit in (lexical or semantic)[:limit]]
        lex, sem = _positions(lexical), _positions(semantic)
        return [
            Candidate(i, score, rank, *lex.get(i, (0, 0.0)), *sem.get(i, (0, 0.0)))
            for rank, (i, score) in enumerate(ranked, 1)
        ]

    @property
    def calibrated(self) -> bool:
        """Whether `results` scores are calibrated probabilities that the answer is right (the
        re-ranker's retrieval model ranks them)."""
        return (
            self.ranking == "reranked"
            and self.reranker is not None
            and self.reranker.retrieval is not None
        )

    def results(self, text: str, limit: int = 10) -> list[Result]:
        if self.ranking != "reranked" or self.reranker is None:
            listed = self._results([(c.article_id, c.score) for c in self.candidates(text, limit)])
        else:
            found = self.candidates(text, max(limit, RERANK_DEPTH))
            articles = self.store.get_articles([c.article_id for c in found])
            present = {article.id for article in articles}
            found = [c for c in found if c.article_id in present]
            scores = self.reranker.score_candidates(self, text, found, articles)
            order = sorted(range(len(found)), key=lambda i: (-scores[i], i))[:limit]
            listed = [Result(articles[i], scores[i]) for i in order]
        # Safety (issue 5): an article past its review date goes below a reviewed one when
        # their scores are otherwise equal; see healthqa.safety.demote_overdue.
        return demote_overdue(listed, lambda result: result.article, lambda result: result.score)

    def page(self, text: str, limit: int = 10, offset: int = 0) -> tuple[list[Result], int]:
        """Results `offset` to `offset + limit` by keywords, and how many articles match.

        The search page lists what matches the words typed, with the words highlighted, so it
        ranks by keywords whatever `ranking` says; ask uses `results`.
        """
        query = question_query(text, self.speller, self.vocabulary)
        hits, total = self.index.search_page(query, limit, offset)
        found = self._results([(hit.article_id, hit.score) for hit in hits])
        ranked = demote_overdue(found, lambda result: result.article, lambda result: result.score)
        return ranked, total

    def _results(self, scored: list[tuple[int, float]]) -> list[Result]:
        """The articles of (id, score) pairs in one read, in order; one retired or deleted
        since the index last synced is left out."""
        articles = {a.id: a for a in self.store.get_articles([i for i, _ in scored])}
        return [Result(articles[i], score) for i, score in scored if i in articles]


def default_ranking(vectors: VectorIndex | None) -> str:
    """Hybrid when there are vectors: it measured best on liveqa-med-dev (docs/quality.md);
    else keywords. The re-ranker, with or without the retrieval model `healthqa train --data`
    fits, is chosen by setting (`ranking = "reranked"`): over keywords it found the right
    subject for fewer everyday questions than keywords alone (docs/decisions.md section 19),
    and it has not yet been measured over the hybrid first stage."""
    return "keywords" if vectors is None else "hybrid"


def choose_ranking(search: Search, ranking: str) -> None:
    """Set `search.ranking` from the `ranking` setting ("" keeps the default)."""
    if not ranking:
        return
    possible = available_rankings(search.vectors, search.reranker)
    if ranking not in possible:
        raise ValueError(
            f"ranking {ranking!r} is not available here: choose one of {', '.join(possible)} "
            "(semantic rankings need the semantic extra; reranked needs healthqa train)"
        )
    search.ranking = ranking


def available_rankings(vectors: VectorIndex | None, reranker: Reranker | None) -> list[str]:
    """The rankings a search with these parts can run, plainest first."""
    if vectors is None:
        return ["keywords"]
    return ["keywords", "semantic", "hybrid"] + (["reranked"] if reranker is not None else [])


def _positions(hits: list[Hit]) -> dict[int, tuple[int, float]]:
    """Each article's 1-based rank and score in one ranking."""
    return {hit.article_id: (rank, hit.score) for rank, hit in enumerate(hits, 1)}
