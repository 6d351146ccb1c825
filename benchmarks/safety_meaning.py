"""Could the meaning of a question (its MiniLM vector) flag emergencies the word rules miss?

    .venv/bin/python benchmarks/safety_meaning.py        # needs the semantic extra

The measurement behind docs/safety.md's "A meaning-based second signal". The urgent-symptom
rules flag every emergency of the questions they were tuned on, but about 60-70% of emergencies
written in wordings nobody tuned them to. A second signal that reads meaning would have to flag
most emergencies on its own, on unseen wording, while flagging few of the benign look-alikes
the sets hold on purpose ("what are the signs of a stroke", "I had a stroke in 2015").

This script embeds the team's tuning questions (tests/fixtures: the phone batch, the tuning part
of the issue 17 set and the first set; never the held-out files) and judges each question only
by the others, leaving out its whole group (the phone batch's questions by source page, the
other sets in ten groups by a hash of the question): a nearest-neighbour vote (an emergency
when its nearest labelled neighbours above a cosine line are mostly emergencies) and an
L2-penalised logistic regression on the vector (healthqa.training's fit, as the re-ranker's).
It prints the share flagged of each level for each line.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np

from healthqa.embedders import load_embedder
from healthqa.training.mediqa import fit

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
BENIGN = ("none", "soon")


def tuning_questions() -> list[tuple[str, str, str]]:
    """(level, group, question) of every tuning question."""
    rows = []
    for line in _lines("safety-cases-phone.tsv"):
        level, source, question = line.split("\t")[:3]
        rows.append((level, "phone:" + source, question))
    for line in _lines("safety-cases.tsv"):
        part, level, question = line.split("\t")[:3]
        if part == "tune":
            rows.append((level, _hashed("cases", question), question))
    for line in _lines("safety-questions.tsv"):
        level, question = line.split("\t")[:2]
        rows.append((level, _hashed("first", question), question))
    return rows


def _lines(name: str) -> list[str]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _hashed(prefix: str, question: str) -> str:
    return f"{prefix}:{hashlib.sha1(question.encode()).digest()[0] % 10}"


def neighbour_votes(similar: np.ndarray, levels: np.ndarray, k: int, line: float) -> np.ndarray:
    """Whether each question's `k` nearest others above `line` weigh more emergency than not."""
    flagged = []
    for row in similar:
        nearest = np.argsort(-row)[:k]
        kept = nearest[row[nearest] >= line]
        emergency = row[kept][levels[kept] == "emergency"].sum()
        flagged.append(emergency > row[kept][levels[kept] != "emergency"].sum())
    return np.array(flagged)


def regression(vectors: np.ndarray, levels: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each question's probability of an emergency from a model fitted without its group."""
    probability = np.zeros(len(levels))
    wanted = (levels == "emergency").astype(float)
    features = tuple(f"v{i}" for i in range(vectors.shape[1]))
    for group in np.unique(groups):
        out = groups == group
        model = fit(features, vectors[~out], wanted[~out])
        probability[out] = model.probability(vectors[out])
    return probability


def report(name: str, flagged: np.ndarray, levels: np.ndarray) -> None:
    shares = []
    for label, which in (
        ("emergency", levels == "emergency"),
        ("urgent", levels == "urgent"),
        ("benign", np.isin(levels, BENIGN)),
    ):
        shares.append(f"{label} {flagged[which].sum()}/{which.sum()} ({flagged[which].mean():.0%})")
    print(f"{name:<34} " + "   ".join(shares))


def main() -> int:
    embedder = load_embedder()
    if embedder is None:
        print("The semantic extra is not installed: pip install -e '.[semantic]'", file=sys.stderr)
        return 1
    rows = tuning_questions()
    levels = np.array([row[0] for row in rows])
    groups = np.array([row[1] for row in rows])
    vectors = np.asarray(embedder.embed([row[2] for row in rows]))
    similar = vectors @ vectors.T
    for i, group in enumerate(groups):
        similar[i, groups == group] = -1.0  # judged only by other groups
    print(f"{len(rows)} tuning questions; model {embedder.model_id}")
    for k in (1, 5):
        for line in (0.55, 0.6, 0.65, 0.7, 0.75):
            flagged = neighbour_votes(similar, levels, k, line)
            report(f"nearest {k}, cosine >= {line}", flagged, levels)
    probability = regression(vectors, levels, groups)
    for line in (0.5, 0.7, 0.8, 0.9):
        report(f"logistic regression, p >= {line}", probability >= line, levels)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
