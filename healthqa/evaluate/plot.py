"""A picture of benchmark scores: one group of bars per measure, one bar per system.

matplotlib is an optional dependency (`pip install 'healthqa[plot]'`); it is imported here only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from healthqa.evaluate.measures import Scores

MEASURES = ("MAP@10", "MRR@10", "nDCG@10", "P@5", "succ@1")


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        from matplotlib import pyplot
    except ImportError:
        raise RuntimeError("--plot needs matplotlib: pip install 'healthqa[plot]'") from None
    return pyplot


def plot_reliability(bins: Sequence[Any], path: Path, title: str) -> None:
    """Write a reliability diagram: each bin's mean confidence against how often its top
    answers were right (`evaluate.calibration.Bin`), with the diagonal of perfect calibration."""
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(5, 5), dpi=120)
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    x = [b.mean_confidence for b in bins]
    axes.plot(x, [b.right for b in bins], marker="o", label="top answers")
    for b, at in zip(bins, x, strict=True):
        axes.annotate(
            str(b.questions), (at, b.right), fontsize=7, xytext=(3, 3), textcoords="offset points"
        )
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("confidence of the top answer")
    axes.set_ylabel("share right (points: questions in the bin)")
    axes.set_title(title)
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


def plot_scores(scores: Mapping[str, Scores], path: Path, title: str) -> None:
    """Write a PNG bar chart of `scores` to `path` (avgScore@1, on a 0-3 scale, as a note)."""
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(8, 4.5), dpi=120)
    width = 0.8 / max(len(scores), 1)
    for offset, (name, score) in enumerate(scores.items()):
        means = score.means()
        positions = [i + offset * width for i in range(len(MEASURES))]
        label = f"{name} (avgScore@1 {means['avgScore@1']:.2f})"
        bars = axes.bar(positions, [means[m] for m in MEASURES], width, label=label)
        axes.bar_label(bars, fmt="%.2f", fontsize=7)
    axes.set_xticks([i + width * (len(scores) - 1) / 2 for i in range(len(MEASURES))], MEASURES)
    axes.set_ylim(0, 1)
    axes.set_ylabel("score (higher is better)")
    axes.set_title(title)
    axes.legend(loc="upper right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
