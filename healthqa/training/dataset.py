"""A retrieval-shaped training set: consumer questions, each with the articles of a collection
that answer it, and the articles the first stage offers beside them.

Three sources, public and training-only:

- **LiveQA 2017 training questions**, linked to the articles that carry their reference
  answers: each answer (of at least MIN_ANSWER_TERMS terms) is searched by its own words
  (plain BM25, top LINK_DEPTH), and an article is linked when at least LINK_CONTAINMENT of the
  answer's 5-term shingles are in its text (`containment`);
- **MedQuAD questions against their own articles**: the article's title as the question, the
  article (and any with the same title) as the answer, a fixed sample of one in MEDQUAD_EVERY;
- **MEDIQA 2019 Task 2 entailed pairs** (the training file only): the consumer question, linked
  to the articles whose title is the FAQ question it entails (the same analysed terms:
  `title_terms`).

For each question the first stage (`Search.candidates`, the ranking in use) offers
RERANK_DEPTH articles: those linked are positives, the rest hard negatives, less any article
that is a near-duplicate of a positive (the store records those pairs), which is left out, as
neither. A question is held out for checking (`Query.check`) by a fixed hash of its id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from healthqa.rerank import Reranker, retrieval_matrix
from healthqa.search import RERANK_DEPTH, Search, baseline_query
from healthqa.text import terms

MIN_ANSWER_TERMS = 15
LINK_DEPTH = 10
LINK_CONTAINMENT = 0.5
SHINGLE = 5
MEDQUAD_EVERY = 40
CHECK_SHARE = 4  # one question in 4 is held out for checking (calibration, the figures)
SALT = "healthqa-retrieval-set-1"


@dataclass(frozen=True)
class Query:
    """A question with the articles that answer it."""

    id: str  # "<source>:<id in the source>"
    text: str
    positives: frozenset[int]
    check_all: bool = False  # set when there are too few questions to hold any out

    @property
    def source(self) -> str:
        return self.id.partition(":")[0]

    @property
    def check(self) -> bool:
        """Held out from fitting: calibration and the held-in figures are measured on these."""
        digest = hashlib.sha256(f"{SALT}:{self.id}".encode()).digest()
        return self.check_all or digest[0] % CHECK_SHARE == 0


@dataclass
class Examples:
    """Feature rows of (question, candidate) pairs, their labels, and each row's question."""

    x: np.ndarray
    y: np.ndarray
    query: np.ndarray  # index into `queries` of each row
    queries: list[Query] = field(default_factory=list)

    def rows(self, check: bool) -> np.ndarray:
        """Which rows belong to questions of the fitting part (check False) or the check part."""
        held = np.array([q.check for q in self.queries], dtype=bool)
        return held[self.query] == check if len(self.query) else np.zeros(0, dtype=bool)


# --- Linking ------------------------------------------------------------------------------------


def shingles(text: str, size: int = SHINGLE) -> set[tuple[str, ...]]:
    """The runs of `size` consecutive terms of `text` (all of it when shorter)."""
    found = terms(text)
    if len(found) <= size:
        return {tuple(found)} if found else set()
    return {tuple(found[i : i + size]) for i in range(len(found) - size + 1)}


def containment(answer: str, article_text: str) -> float:
    """The share of the answer's shingles that are in the article's text."""
    wanted = shingles(answer)
    return len(wanted & shingles(article_text)) / len(wanted) if wanted else 0.0


def link_answers(search: Search, answers: Iterable[str]) -> frozenset[int]:
    """The articles that carry one of these reference answers (see the module docstring)."""
    linked: set[int] = set()
    for answer in answers:
        if len(terms(answer)) < MIN_ANSWER_TERMS:
            continue
        for hit in search.index.search(baseline_query(answer), LINK_DEPTH):
            article = search.store.get_article(hit.article_id)
            if containment(answer, f"{article.title} {article.body_text}") >= LINK_CONTAINMENT:
                linked.add(article.id)
    return frozenset(linked)


# --- The three sources --------------------------------------------------------------------------


def liveqa_queries(search: Search, folder: Path) -> list[Query]:
    """LiveQA training questions linked to the articles with their reference answers."""
    from healthqa.evaluate.liveqa import load_liveqa

    queries = []
    for question in load_liveqa(folder):
        linked = link_answers(search, question.answers)
        if linked:
            queries.append(Query(f"liveqa:{question.id}", question.text, linked))
    return queries


def medquad_queries(search: Search, titles: dict[frozenset[str], set[int]]) -> list[Query]:
    """A fixed sample of the collection's own questions (titles) against their articles."""
    queries = []
    for key, ids in sorted(titles.items(), key=lambda item: sorted(item[0])):
        name = " ".join(sorted(key))
        if int(hashlib.sha256(f"{SALT}:{name}".encode()).hexdigest(), 16) % MEDQUAD_EVERY:
            continue
        title = search.store.get_article(min(ids)).title
        queries.append(Query(f"medquad:{min(ids)}", title, frozenset(ids)))
    return queries


def rqe_queries(rqe_file: Path, titles: dict[frozenset[str], set[int]]) -> list[Query]:
    """MEDIQA Task 2 training pairs labelled entailed whose FAQ is an article's title."""
    from healthqa.evaluate.mediqa import load_rqe

    queries = []
    for pair in load_rqe(rqe_file):
        ids = titles.get(title_terms(pair.faq))
        if pair.label and ids:
            queries.append(Query(f"rqe:{pair.id}", pair.chq, frozenset(ids)))
    return queries


def title_terms(title: str) -> frozenset[str]:
    """A question as the set of its analysed terms: "What is (are) Hiccups ?" and "what are
    hiccups" are the same question."""
    return frozenset(terms(title))


def article_titles(search: Search) -> dict[frozenset[str], set[int]]:
    """Each title (as `title_terms`) and the articles that carry it."""
    titles: dict[frozenset[str], set[int]] = {}
    for article in search.store.iter_articles():
        key = title_terms(article.title)
        if key:
            titles.setdefault(key, set()).add(article.id)
    return titles


def near_duplicates(search: Search, page: int = 1000) -> dict[int, set[int]]:
    """Each article's recorded near-duplicates."""
    pairs: dict[int, set[int]] = {}
    offset = 0
    while found := search.store.near_duplicates(page, offset):
        for duplicate in found:
            pairs.setdefault(duplicate.a, set()).add(duplicate.b)
            pairs.setdefault(duplicate.b, set()).add(duplicate.a)
        offset += page
    return pairs


# --- Examples -----------------------------------------------------------------------------------


def examples(
    search: Search,
    reranker: Reranker,
    queries: Sequence[Query],
    duplicates: dict[int, set[int]],
    progress: Callable[[int, int], None] | None = None,
) -> Examples:
    """RETRIEVAL_FEATURES rows of each question's first-stage candidates, labelled."""
    blocks, labels, owners = [], [], []
    for number, query in enumerate(queries):
        rows, y = candidate_rows(search, reranker, query, duplicates)
        blocks.append(rows)
        labels.append(y)
        owners.append(np.full(len(y), number))
        if progress is not None:
            progress(number + 1, len(queries))
    width = len(_features())
    return Examples(
        np.vstack(blocks) if blocks else np.zeros((0, width)),
        np.concatenate(labels) if labels else np.zeros(0),
        np.concatenate(owners).astype(int) if owners else np.zeros(0, dtype=int),
        list(queries),
    )


def candidate_rows(
    search: Search, reranker: Reranker, query: Query, duplicates: dict[int, set[int]]
) -> tuple[np.ndarray, np.ndarray]:
    """One question's candidates as feature rows and labels, near-duplicates of a positive out."""
    found = search.candidates(query.text, RERANK_DEPTH)
    articles = [search.store.get_article(c.article_id) for c in found]
    cosines = reranker.title_cosines(query.text, [a.title for a in articles])
    x = retrieval_matrix(search, search.analyse(query.text), found, articles, cosines)
    shadowed = set().union(*(duplicates.get(i, set()) for i in query.positives))
    keep = [
        i
        for i, c in enumerate(found)
        if c.article_id in query.positives or c.article_id not in shadowed
    ]
    y = np.array([float(found[i].article_id in query.positives) for i in keep])
    return x[keep], y


def _features() -> tuple[str, ...]:
    from healthqa.rerank import RETRIEVAL_FEATURES

    return RETRIEVAL_FEATURES


def build_queries(search: Search, data: Path) -> Iterator[tuple[str, list[Query]]]:
    """Each source's questions from a data folder laid out as ../shared/data is."""
    titles = article_titles(search)
    yield "liveqa", liveqa_queries(search, data / "liveqa2017-train")
    yield "medquad", medquad_queries(search, titles)
    rqe = data / "mediqa2019" / "MEDIQA2019-Task2-RQE-TrainingSet-AMIA2016.xml"
    yield "rqe", rqe_queries(rqe, titles)
