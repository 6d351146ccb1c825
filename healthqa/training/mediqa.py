"""Fitting the re-ranker's MEDIQA models (`healthqa.rerank`): the answer model on the Task 3
training file and the question-entailment model on the consumer-shaped pairs of
`healthqa.training.rqe` (or, without a data folder, on the Task 2 training file). Only
`healthqa train` runs this; serving reads the file it writes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from healthqa import evaluate
from healthqa.embedders import Embedder
from healthqa.rerank import (
    ANSWER_FEATURES,
    QUESTION_FEATURES,
    Model,
    Reranker,
    answer_features,
    question_features,
    relative_labels,
    split_answer,
    system_order,
)
from healthqa.training.rqe import Pair

L2 = 1.0  # ridge penalty of the logistic regressions (on standardised features); not tuned


def fit(features: tuple[str, ...], x: np.ndarray, y: np.ndarray) -> Model:
    """An L2-penalised logistic regression on standardised features (`logistic_regression`,
    the bias unpenalised), with the threshold of best accuracy on the same data (ties to the
    one nearest 0.5). Serving reads the weights from the saved `Model` and never imports
    scikit-learn."""
    if len(np.unique(y)) < 2:
        raise ValueError(
            f"cannot fit a model over {', '.join(features)}: all {len(y)} examples have one "
            "label, and it needs both"
        )
    mean = x.mean(axis=0)
    scale = np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    regression = logistic_regression(L2).fit((x - mean) / scale, y)
    weights, bias = regression.coef_[0], regression.intercept_[0]
    model = Model(features, mean.tolist(), scale.tolist(), weights.tolist(), float(bias))
    model.threshold = best_threshold(model.probability(x), y)
    return model


def logistic_regression(l2: float, bias: bool = True) -> Any:
    """scikit-learn's logistic regression that minimises the summed log loss plus l2/2 times
    the squared weights (C = 1 / l2), by Newton's method to a tight tolerance; with `bias`, an
    unpenalised intercept of its own, else none (the caller's constant column, penalised)."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise RuntimeError("training needs scikit-learn: pip install 'healthqa[train]'") from None
    return LogisticRegression(
        C=1 / l2, fit_intercept=bias, solver="newton-cholesky", tol=1e-10, max_iter=100
    )


def best_fraction(blocks: Sequence[np.ndarray], labels: Sequence[np.ndarray]) -> float:
    """The fraction (0.05, 0.10, ..., 1.00) of `relative_labels` with the best accuracy over
    every answer of every question; ties to the larger fraction."""
    grid = np.round(np.arange(0.05, 1.001, 0.05), 2)
    total = sum(len(y) for y in labels)
    accuracy = [
        sum(int((relative_labels(p, f) == y).sum()) for p, y in zip(blocks, labels, strict=True))
        / total
        for f in grid
    ]
    best = max(accuracy)
    return float(max(f for f, a in zip(grid, accuracy, strict=True) if a == best))


def best_threshold(probabilities: np.ndarray, labels: np.ndarray) -> float:
    candidates = np.round(np.arange(0.05, 0.96, 0.01), 2)
    accuracy = [((probabilities >= t) == labels).mean() for t in candidates]
    best = max(accuracy)
    return float(
        min(
            (t for t, a in zip(candidates, accuracy, strict=True) if a == best),
            key=lambda t: abs(t - 0.5),
        )
    )


def train(
    embedder: Embedder,
    qa_file: Path,
    rqe_file: Path,
    kind: str = "title",
    consumer: Sequence[Pair] | None = None,
) -> tuple[Reranker, dict[str, float]]:
    """Fit both models; returns the re-ranker and its accuracy figures. The answer model
    learns from the Task 3 training file; the question model from the `consumer` pairs that
    are not held for checking (`healthqa.training.rqe`), and then the figures include its
    accuracy on the held-in check pairs, or, without them, from the Task 2 training file."""
    answers_model, answers_accuracy = fit_answers(embedder, qa_file, kind)
    sources = [qa_file] if consumer else [qa_file, rqe_file]
    if consumer:
        questions_model, figures = fit_consumer(embedder, consumer)
    else:
        questions_model, figures = fit_questions(embedder, [_labelled(rqe_file)])
    reranker = Reranker(
        answers_model,
        questions_model,
        embedder.model_id,
        kind,
        {path.name: _sha1(path) for path in sources},
        embedder=embedder,
    )
    if consumer:
        reranker.trained_on["questions"] = f"{len(consumer)} consumer-shaped pairs"
    return reranker, {"answers": answers_accuracy, **figures}


def fit_answers(embedder: Embedder, qa_file: Path, kind: str) -> tuple[Model, float]:
    """The answer model on a Task 3 training file, and its accuracy there."""
    questions = evaluate.load_mediqa_qa(qa_file)
    blocks: list[np.ndarray] = []
    labels: list[float] = []
    for question in questions:
        answers = [a for a in system_order(question) if a.correct is not None]
        texts = [split_answer(a.text) for a in answers]
        if texts:
            blocks.append(answer_features(embedder, question.text, texts, kind))
            labels.extend(float(bool(a.correct)) for a in answers)
    model = fit(ANSWER_FEATURES, np.vstack(blocks), np.array(labels))
    sizes = np.cumsum([len(block) for block in blocks])[:-1]
    per_question = np.split(np.array(labels), sizes)
    model.threshold = best_fraction([model.probability(block) for block in blocks], per_question)
    right = sum(
        int((relative_labels(model.probability(b), model.threshold) == y).sum())
        for b, y in zip(blocks, per_question, strict=True)
    )
    return model, right / len(labels)


def _labelled(rqe_file: Path) -> list[tuple[str, str, bool]]:
    return [(p.chq, p.faq, p.label) for p in evaluate.load_rqe(rqe_file) if p.label is not None]


def fit_questions(
    embedder: Embedder, fitted: Sequence[Sequence[tuple[str, str, bool]]], name: str = "questions"
) -> tuple[Model, dict[str, float]]:
    """The question model on the (consumer question, FAQ, entailed) triples of each set in
    `fitted`, and its accuracy on them."""
    triples = [triple for part in fitted for triple in part]
    x = question_features(embedder, [(chq, faq) for chq, faq, _ in triples])
    y = np.array([float(label) for *_, label in triples])
    model = fit(QUESTION_FEATURES, x, y)
    return model, {name: _accuracy(model, x, y)}


def fit_consumer(embedder: Embedder, pairs: Sequence[Pair]) -> tuple[Model, dict[str, float]]:
    """The question model on the consumer-shaped pairs not held for checking, with its
    accuracy on those and on the held-in check pairs (whose questions it never saw). With too
    few questions to hold any out (all pairs on one side), it fits on them all."""
    check = [p for p in pairs if p.check]
    fitting = [(p.chq, p.faq, p.label) for p in pairs if not p.check]
    if not fitting or not check:
        fitting, check = [(p.chq, p.faq, p.label) for p in pairs], []
    model, figures = fit_questions(embedder, [fitting], "questions (fitting pairs)")
    if check:
        x = question_features(embedder, [(p.chq, p.faq) for p in check])
        y = np.array([float(p.label) for p in check])
        figures["questions (held-in check pairs)"] = _accuracy(model, x, y)
    return model, figures


def _accuracy(model: Model, x: np.ndarray, y: np.ndarray) -> float:
    return float(((model.probability(x) >= model.threshold) == y).mean())


def _sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()
