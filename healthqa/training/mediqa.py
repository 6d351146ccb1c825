"""Fitting the re-ranker's MEDIQA models (`healthqa.rerank`): the answer model on the Task 3
training file and the question-entailment model on the Task 2 training file. Only `healthqa
train` runs this; serving reads the file it writes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

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

L2 = 1.0  # ridge penalty of the logistic regressions (on standardised features); not tuned


def fit(features: tuple[str, ...], x: np.ndarray, y: np.ndarray) -> Model:
    """An L2-penalised logistic regression by Newton's method on standardised features, with
    the threshold of best accuracy on the same data (ties to the one nearest 0.5)."""
    mean = x.mean(axis=0)
    scale = np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.diag([L2] * (z.shape[1] - 1) + [0.0])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        gradient = z.T @ (p - y) + penalty @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    model = Model(features, mean.tolist(), scale.tolist(), w[:-1].tolist(), float(w[-1]))
    model.threshold = best_threshold(model.probability(x), y)
    return model


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
    embedder: Embedder, qa_file: Path, rqe_file: Path, kind: str = "title"
) -> tuple[Reranker, dict[str, float]]:
    """Fit both models on MEDIQA 2019 training files; returns the re-ranker and its accuracy
    on the training data (the only data it saw)."""
    questions = evaluate.load_mediqa_qa(qa_file)
    blocks: list[np.ndarray] = []
    labels: list[float] = []
    for question in questions:
        answers = [a for a in system_order(question) if a.correct is not None]
        texts = [split_answer(a.text) for a in answers]
        if texts:
            blocks.append(answer_features(embedder, question.text, texts, kind))
            labels.extend(float(bool(a.correct)) for a in answers)
    answers_model = fit(ANSWER_FEATURES, np.vstack(blocks), np.array(labels))
    sizes = np.cumsum([len(block) for block in blocks])[:-1]
    per_question = np.split(np.array(labels), sizes)
    answers_model.threshold = best_fraction(
        [answers_model.probability(block) for block in blocks], per_question
    )
    pairs = [p for p in evaluate.load_rqe(rqe_file) if p.label is not None]
    x = question_features(embedder, [(p.chq, p.faq) for p in pairs])
    questions_model = fit(QUESTION_FEATURES, x, np.array([float(bool(p.label)) for p in pairs]))
    reranker = Reranker(
        answers_model,
        questions_model,
        embedder.model_id,
        kind,
        {path.name: _sha1(path) for path in (qa_file, rqe_file)},
        embedder=embedder,
    )
    pair_y = np.array([float(bool(p.label)) for p in pairs])
    fraction = answers_model.threshold
    right = sum(
        int((relative_labels(answers_model.probability(b), fraction) == y).sum())
        for b, y in zip(blocks, per_question, strict=True)
    )
    accuracy = {
        "answers": right / len(labels),
        "questions": float(
            ((questions_model.probability(x) >= questions_model.threshold) == pair_y).mean()
        ),
    }
    return reranker, accuracy


def _sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()
