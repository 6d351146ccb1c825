"""A picture of benchmark scores: one group of bars per measure, one bar per system.

matplotlib is an optional dependency (`pip install 'healthqa[plot]'`); it is imported here only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from healthqa.evaluate.measures import Scores

MEASURES = ("MAP@10", "MRR@10", "nDCG@10", "P@5", "succ@1")


def plot_scores(scores: Mapping[str, Scores], path: Path, title: str) -> None:
    """Write a PNG bar chart of `scores` to `path` (avgScore@1, on a 0-3 scale, as a note)."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        from matplotlib import pyplot
    except ImportError:
        raise RuntimeError("--plot needs matplotlib: pip install 'healthqa[plot]'") from None
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
