"""Is a confidence calibrated? The reliability diagram and the expected calibration error of
probabilities (or confidences) against whether each answer was right."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

BINS = 10


@dataclass(frozen=True)
class Bin:
    """One band of the reliability diagram: predicted confidence against how often right."""

    low: float
    high: float
    questions: int
    mean_confidence: float
    right: float


def ece(p: np.ndarray, right: np.ndarray, bins: int = BINS) -> float:
    """Expected calibration error: the questions' share-weighted gap between mean confidence
    and accuracy over equal-width bins."""
    if not len(p):
        return 0.0
    return float(
        sum(b.questions * abs(b.mean_confidence - b.right) for b in reliability(p, right, bins))
        / len(p)
    )


def reliability(p: np.ndarray, right: np.ndarray, bins: int = BINS) -> list[Bin]:
    """The reliability diagram's bins that hold any question."""
    found = []
    edges = np.linspace(0, 1, bins + 1)
    for low, high in itertools.pairwise(edges):
        inside = (p >= low) & ((p < high) | (high == 1.0))
        if inside.any():
            found.append(
                Bin(
                    float(low),
                    float(high),
                    int(inside.sum()),
                    float(p[inside].mean()),
                    float(right[inside].mean()),
                )
            )
    return found
