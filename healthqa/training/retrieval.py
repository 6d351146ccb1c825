"""Fitting the retrieval model on a retrieval-shaped set, calibrating it, and measuring it on
the held-in check questions.

The model is `training.mediqa.fit`'s logistic regression over RETRIEVAL_FEATURES, fitted on the rows
of the questions not held for checking. On the check questions: the top candidate's
probability is calibrated (Platt scaling: a logistic regression of "the top answer is right"
on its logit), the answer and "Good match" lines are chosen, and the figures are measured
(MRR@10 and top-1 accuracy against the first stage's order, expected calibration error with
the calibration cross-fitted over two halves of the check questions, so it is not measured on
the questions it was fitted on).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from healthqa.evaluate.calibration import Bin, ece, reliability
from healthqa.rerank import RETRIEVAL_FEATURES, Model
from healthqa.training.dataset import Examples
from healthqa.training.mediqa import fit, logistic_regression

FOLDS = 5
CONSUMER = ("liveqa", "rqe")  # sources whose questions are people's own words
GOOD_PRECISION = 0.8  # "Good match" from the lowest line above which top answers are this right
GRID = np.round(np.arange(0.05, 0.96, 0.05), 2)


@dataclass
class Fitted:
    """The model, its calibration and lines, and what they measured on the check questions."""

    model: Model
    calibration: tuple[float, float]
    min_confidence: float
    good_match: float
    figures: dict[str, float] = field(default_factory=dict)
    reliability: list[Bin] = field(default_factory=list)


def fit_retrieval(examples: Examples) -> Fitted:
    """Fit on the fitting questions; calibrate, choose the lines and measure on the check ones."""
    rows = examples.rows(check=False)
    if not rows.any() or rows.all():  # too few questions to hold any out: fit on them all
        rows[:] = True
        examples.queries = [replace(q, check_all=True) for q in examples.queries]
    model = fit(RETRIEVAL_FEATURES, examples.x[rows], examples.y[rows])
    tops, first = _tops(examples, model, _blocks(examples))
    raw, right = _out_of_fold(examples)
    calibration = platt(raw, right)
    calibrated = apply(calibration, raw)
    consumer = [q.id for q in examples.queries if q.source in CONSUMER]
    crossed = cross_calibrated(raw, right, consumer)
    min_confidence = best_line(calibrated, right)
    good = good_line(calibrated, right, min_confidence)
    figures = {
        "questions": float(len(tops)),
        "top1 first stage": float(first[:, 1].mean()) if len(first) else 0.0,
        "top1 reranked": float(tops[:, 1].mean()) if len(tops) else 0.0,
        "mrr@10 first stage": _mrr(examples, None),
        "mrr@10 reranked": _mrr(examples, model),
        "consumer questions calibrated on": float(len(raw)),
        "their top1 reranked": float(right.mean()) if len(right) else 0.0,
        "ece before calibration": ece(raw, right),
        "ece calibrated (cross-fitted)": ece(crossed, right),
    }
    return Fitted(model, calibration, min_confidence, good, figures, reliability(crossed, right))


def _out_of_fold(examples: Examples) -> tuple[np.ndarray, np.ndarray]:
    """(probability, right) of the top candidate of every consumer question (LiveQA, MEDIQA),
    each from a model fitted on the other FOLDS - 1 folds of all questions: the probabilities
    a reader's question gets, measured on questions the model did not learn from. The
    collection's own titles (MedQuAD) are left out here: they are answered right almost always,
    and calibrating on them made the confidence of everyday questions too high."""
    fold = np.array(
        [hashlib.sha256(f"fold:{q.id}".encode()).digest()[0] % FOLDS for q in examples.queries]
    )
    tops = []
    for k in range(FOLDS):
        train = fold[examples.query] != k
        if not train.any() or examples.y[train].min() == examples.y[train].max():
            continue
        model = fit(RETRIEVAL_FEATURES, examples.x[train], examples.y[train])
        blocks = [
            (n, np.flatnonzero(examples.query == n))
            for n, q in enumerate(examples.queries)
            if fold[n] == k and q.source in CONSUMER
        ]
        found, _ = _tops(examples, model, [(n, r) for n, r in blocks if len(r)])
        tops.append(found)
    joined = np.vstack(tops) if tops else np.zeros((0, 2))
    return joined[:, 0], joined[:, 1]


def _check(examples: Examples) -> list[int]:
    return [i for i, q in enumerate(examples.queries) if q.check]


def _blocks(examples: Examples) -> list[tuple[int, np.ndarray]]:
    """Each check question's row indices (questions with no candidate left out)."""
    found = []
    for number in _check(examples):
        rows = np.flatnonzero(examples.query == number)
        if len(rows):
            found.append((number, rows))
    return found


def _tops(
    examples: Examples, model: Model, blocks: list[tuple[int, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """(probability, right) of the re-ranked top candidate and (1, right) of the first
    stage's top, per question of `blocks`."""
    tops, first = [], []
    for _, rows in blocks:
        p = model.probability(examples.x[rows])
        best = int(np.argmax(p))
        tops.append((p[best], examples.y[rows][best]))
        leader = int(np.argmax(examples.x[rows][:, 0]))  # first_stage = 1 / rank
        first.append((1.0, examples.y[rows][leader]))
    return np.array(tops).reshape(-1, 2), np.array(first).reshape(-1, 2)


def _mrr(examples: Examples, model: Model | None) -> float:
    """MRR@10 of the positives among each check question's candidates (0 when none is there)."""
    total, count = 0.0, 0
    for _, rows in _blocks(examples):
        x, y = examples.x[rows], examples.y[rows]
        score = x[:, 0] if model is None else model.probability(x)
        order = np.argsort(-score, kind="stable")[:10]
        hits = np.flatnonzero(y[order] > 0)
        total += 1.0 / (hits[0] + 1) if len(hits) else 0.0
        count += 1
    return total / count if count else 0.0


# --- Calibration ------------------------------------------------------------------------------


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)))


def platt(p: np.ndarray, right: np.ndarray) -> tuple[float, float]:
    """(a, b) of sigmoid(a * logit(p) + b) fitted to `right`: a logistic regression whose tiny
    ridge (1e-3, on a and b alike) keeps it finite when the two classes separate."""
    if len(p) < 2 or right.min() == right.max():
        return (1.0, 0.0)
    z = np.column_stack([_logit(p), np.ones(len(p))])
    a, b = logistic_regression(1e-3, bias=False).fit(z, right).coef_[0]
    return (float(a), float(b))


def apply(calibration: tuple[float, float], p: np.ndarray) -> np.ndarray:
    a, b = calibration
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(a * _logit(p) + b, -30, 30))))


def cross_calibrated(p: np.ndarray, right: np.ndarray, ids: Sequence[str]) -> np.ndarray:
    """Each probability calibrated by the fit on the other half of the questions."""
    half = np.array([hashlib.sha256(i.encode()).digest()[0] % 2 for i in ids[: len(p)]])
    out = np.zeros(len(p))
    for side in (0, 1):
        mine = half == side
        out[mine] = apply(platt(p[~mine], right[~mine]), p[mine])
    return out


def best_line(p: np.ndarray, right: np.ndarray) -> float:
    """The answer line: the one where answering (top answer at or above it) and being right
    agree most often; ties to the lower line."""
    if not len(p):
        return 0.3
    agreement = [float(((p >= t) == (right > 0)).mean()) for t in GRID]
    return float(GRID[int(np.argmax(agreement))])


def good_line(p: np.ndarray, right: np.ndarray, floor: float) -> float:
    """The lowest line (above the answer line) above which top answers are right at least
    GOOD_PRECISION of the time, with at least 5 of them; 0.9 when none is."""
    for t in GRID:
        above = p >= t
        if t > floor and above.sum() >= 5 and right[above].mean() >= GOOD_PRECISION:
            return float(t)
    return 0.9
