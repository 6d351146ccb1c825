"""healthqa's real pipelines run over benchmark files, with a baseline beside each.

What the `healthqa eval ...` commands print: the CLI only reads files and prints these reports.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from healthqa import entailment
from healthqa.answers import ask
from healthqa.evaluate.beir import BeirBenchmark
from healthqa.evaluate.measures import Scores, score_run
from healthqa.evaluate.mediqa import (
    QAQuestion,
    RQEPair,
    mediqa_system_run,
    score_mediqa_qa,
    score_rqe,
)
from healthqa.search import Search
from healthqa.store import ArticleFilter

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


def beir_report(search: Search, bench: BeirBenchmark, relevant_grade: int = 2) -> BeirReport:
    """The ask pipeline ("healthqa") and plain BM25 over every question of `bench`."""
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
    scores = {
        name: score_run({q: [d for d, _ in ranked] for q, ranked in run.items()}, bench.qrels)
        for name, run in runs.items()
    }
    top_grades = {
        q: bench.qrels.get(q, {}).get(ranked[0][0], 0) if ranked else 0
        for q, ranked in runs["healthqa"].items()
    }
    return BeirReport(runs, scores, reliability(confidence, top_grades, relevant_grade))


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
    questions: Sequence[QAQuestion],
) -> tuple[dict[str, list[tuple[str, int]]], dict[str, dict[str, Any]] | None]:
    """healthqa's labels and order for a Task 3 file, and scores beside CHiQA's (None when
    the file has no judgments)."""
    predictions = entailment.mediqa_qa_predictions(questions)
    if not all(a.reference_score is not None for q in questions for a in q.answers):
        return predictions, None
    return predictions, {
        "healthqa": score_mediqa_qa(questions, predictions).to_dict(),
        "CHiQA order, all correct": score_mediqa_qa(
            questions, mediqa_system_run(questions)
        ).to_dict(),
    }


def rqe_report(
    pairs: Sequence[RQEPair],
) -> tuple[dict[str, bool], dict[str, dict[str, float]] | None]:
    """healthqa's entailment decisions for a Task 2 file, and accuracy beside the majority
    label (None when the file has no labels)."""
    predictions = entailment.rqe_predictions(pairs)
    labels = [p.label for p in pairs if p.label is not None]
    if len(labels) < len(pairs) or not labels:
        return predictions, None
    majority = sum(labels) * 2 >= len(labels)
    ids = [pair.id for pair in pairs]
    return predictions, {
        "healthqa": {"accuracy": score_rqe(pairs, predictions)},
        "majority label": {"accuracy": score_rqe(pairs, dict.fromkeys(ids, majority))},
    }
