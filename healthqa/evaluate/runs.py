"""healthqa's real pipelines run over benchmark files, with a baseline beside each.

What the `healthqa eval ...` commands print: the CLI only reads files and prints these reports.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from healthqa import entailment
from healthqa.answers import ask
from healthqa.evaluate.beir import BeirBenchmark
from healthqa.evaluate.liveqa import Guess, HalfScores, LiveQAQuestion, score_analysis
from healthqa.evaluate.measures import Scores, score_run
from healthqa.evaluate.mediqa import (
    QAQuestion,
    RQEPair,
    mediqa_system_run,
    score_mediqa_qa,
    score_rqe,
)
from healthqa.evaluate.subjects import (
    SubjectQuestion,
    SubjectResult,
    SubjectScores,
    same_subject,
    score_subjects,
)
from healthqa.search import Search, available_rankings
from healthqa.store import ArticleFilter

if TYPE_CHECKING:
    from healthqa.rerank import Reranker

Run = dict[str, list[tuple[str, float]]]
CONFIDENCE_BINS = (0.0, 0.3, 0.5, 0.7, 1.01)


@dataclass(frozen=True)
class ReliabilityBin:
    """Questions whose top answer's confidence fell in [low, high), and how often it was right."""

    low: float
    high: float
    questions: int
    correct: float  # share of top answers graded correct
    mean_grade: float


@dataclass
class BeirReport:
    runs: dict[str, Run]
    scores: dict[str, Scores]
    reliability: list[ReliabilityBin]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scores": {name: score.means() for name, score in self.scores.items()},
            "reliability": [vars(row) for row in self.reliability],
        }


def beir_report(
    search: Search, bench: BeirBenchmark, relevant_grade: int = 2, compare: bool = False
) -> BeirReport:
    """The ask pipeline ("healthqa", with the search's ranking) and plain BM25 over every
    question of `bench`; with `compare`, also the ask pipeline with each plainer ranking the
    search can run ("healthqa keywords", "healthqa semantic", ...)."""
    external = {a.id: a.external_id for a in search.store.iter_articles(ArticleFilter(status=None))}
    runs: dict[str, Run] = {"healthqa": {}, "plain BM25": {}}
    confidence: dict[str, float] = {}
    for query in bench.queries:
        answers = ask(search, query.text, 10).answers
        runs["healthqa"][query.id] = [
            (external[a.article_id], float(10 - rank)) for rank, a in enumerate(answers)
        ]
        confidence[query.id] = answers[0].confidence if answers else 0.0
        hits = search.hits(query.text, 10, baseline=True)
        runs["plain BM25"][query.id] = [(external[h.article_id], h.score) for h in hits]
    if compare:
        runs.update(ranking_runs(search, bench, external))
    scores = {
        name: score_run({q: [d for d, _ in ranked] for q, ranked in run.items()}, bench.qrels)
        for name, run in runs.items()
    }
    top_grades = {
        q: bench.qrels.get(q, {}).get(ranked[0][0], 0) if ranked else 0
        for q, ranked in runs["healthqa"].items()
    }
    return BeirReport(runs, scores, reliability(confidence, top_grades, relevant_grade))


def ranking_runs(search: Search, bench: BeirBenchmark, external: dict[int, str]) -> dict[str, Run]:
    """The ask pipeline under each ranking the search can run but does not use."""
    chosen = search.ranking
    runs: dict[str, Run] = {}
    try:
        for ranking in available_rankings(search.vectors, search.reranker):
            if ranking == chosen:
                continue
            search.ranking = ranking
            runs[f"healthqa {ranking}"] = {
                query.id: [
                    (external[a.article_id], float(10 - rank))
                    for rank, a in enumerate(ask(search, query.text, 10).answers)
                ]
                for query in bench.queries
            }
    finally:
        search.ranking = chosen
    return runs


def reliability(
    confidence: dict[str, float], grades: dict[str, int], relevant_grade: int = 2
) -> list[ReliabilityBin]:
    """How often the top answer was right, by its confidence: is the confidence calibrated?"""
    rows = []
    for low, high in itertools.pairwise(CONFIDENCE_BINS):
        found = [grades[q] for q, c in confidence.items() if low <= c < high]
        if found:
            right = sum(grade >= relevant_grade for grade in found) / len(found)
            rows.append(ReliabilityBin(low, high, len(found), right, sum(found) / len(found)))
    return rows


def mediqa_qa_report(
    questions: Sequence[QAQuestion], reranker: Reranker | None = None
) -> tuple[dict[str, list[tuple[str, int]]], dict[str, dict[str, Any]] | None]:
    """healthqa's labels and order for a Task 3 file (by the re-ranker when given, else by
    the lexical `entailment` scorer), and scores beside CHiQA's (None when the file has no
    judgments). With a re-ranker, the lexical scorer's scores are shown too."""
    lexical = entailment.mediqa_qa_predictions(questions)
    predictions = reranker.mediqa_qa_predictions(questions) if reranker else lexical
    if not all(a.reference_score is not None for q in questions for a in q.answers):
        return predictions, None
    scores = {"healthqa": score_mediqa_qa(questions, predictions).to_dict()}
    if reranker:
        scores["healthqa lexical"] = score_mediqa_qa(questions, lexical).to_dict()
    scores["CHiQA order, all correct"] = score_mediqa_qa(
        questions, mediqa_system_run(questions)
    ).to_dict()
    return predictions, scores


def rqe_report(
    pairs: Sequence[RQEPair], reranker: Reranker | None = None
) -> tuple[dict[str, bool], dict[str, dict[str, float]] | None]:
    """healthqa's entailment decisions for a Task 2 file (by the re-ranker's question model
    when given, else lexical), and accuracy beside the majority label (None when the file has
    no labels). With a re-ranker, the lexical decisions are scored too."""
    lexical = entailment.rqe_predictions(pairs)
    predictions = reranker.rqe_predictions(pairs) if reranker else lexical
    labels = [p.label for p in pairs if p.label is not None]
    if len(labels) < len(pairs) or not labels:
        return predictions, None
    majority = sum(labels) * 2 >= len(labels)
    ids = [pair.id for pair in pairs]
    scores = {"healthqa": {"accuracy": score_rqe(pairs, predictions)}}
    if reranker:
        scores["healthqa lexical"] = {"accuracy": score_rqe(pairs, lexical)}
    scores["majority label"] = {"accuracy": score_rqe(pairs, dict.fromkeys(ids, majority))}
    return predictions, scores


def subjects_report(
    search: Search, questions: Sequence[SubjectQuestion]
) -> tuple[list[SubjectResult], SubjectScores]:
    """Ask each question as a reader would and judge the topic of the top answer shown."""
    results = []
    for question in questions:
        shown = ask(search, question.text).shown
        if not shown:
            results.append(SubjectResult(question, None, None, None, False))
            continue
        top = shown[0]
        article = search.store.get_article(top.article_id)
        names = [article.topic.name, *article.topic.synonyms] if article.topic else []
        right = same_subject(names, question.subjects)
        results.append(SubjectResult(question, top.topic, top.title, top.confidence, right))
    return results, score_subjects(results)


def questions_report(search: Search, questions: Sequence[LiveQAQuestion]) -> dict[str, HalfScores]:
    """The ask pipeline's question analysis (`Search.analyse`, with this store's topics) scored
    against LiveQA's focus and type annotations, on each half. The focus's names are the
    topic's name and synonyms and the question's words that named it (its subject line's,
    when no topic was found)."""
    names = {topic.name: (topic.name, *topic.synonyms) for topic in search.store.topics()}

    def guess(text: str) -> Guess:
        analysis = search.analyse(text)
        found = names.get(analysis.focus, (analysis.focus,)) if analysis.focus else ()
        said = (analysis.focus_words,) if analysis.focus_words else ()
        return Guess((*found, *said), analysis.types or ("information",))

    return score_analysis(questions, guess)
