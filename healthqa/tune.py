"""Fine-tuning the sentence-embedding model on how people ask (the `train` extra).

all-MiniLM-L6-v2 was trained on general sentence pairs. A reader's question is long and
personal ("I picked up a bottle ... it had not been refrigerated"); the article it needs asks a
short question ("What should I know about storage and disposal of ...?"). `tune` teaches the
model that pairing, from public training data only:

- MEDIQA 2019 Task 2 (question entailment) training pairs labelled true: a long question and
  the short question it entails (pairs whose two texts are the same teach nothing and are left
  out);
- MEDIQA 2019 Task 3 training questions and the title of each answer judged correct (reference
  score 3 or 4).

Each pair pulls its two texts together and pushes apart the other texts of its batch
(sentence-transformers' multiple-negatives ranking loss, in both directions), for one pass over the
pairs with a fixed seed. The result is a model folder in the layout `embedders.MiniLM` reads, so
the `embedding_model` setting takes it and numpy runs it; PyTorch is needed only here, to train.
A `healthqa-tuning.json` beside the weights says what it learnt from and the hash of the
weights, which makes each tuned model's vectors a key of their own in the store.

Validation files are never read, so the MEDIQA validation figures stay a fair test.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from healthqa.embedders import PROVENANCE

CORRECT_SCORE = 3  # MEDIQA Task 3 reference scores 3 and 4 are correct answers


@dataclass(frozen=True)
class TuningSettings:
    """How the model is tuned; written into the provenance file."""

    epochs: float = 1.0
    batch_size: int = 32
    learning_rate: float = 3e-5
    warmup: float = 0.1  # share of the steps over which the learning rate rises
    max_tokens: int = 128
    scale: float = 20.0  # the loss's similarity scale (sentence-transformers' default)
    seed: int = 0


class TuningUnavailable(RuntimeError):
    """PyTorch or sentence-transformers is not installed; the words say what to do."""


def tuning_pairs(rqe_file: Path, qa_file: Path) -> list[tuple[str, str]]:
    """(question as asked, question or title that answers it) pairs from the training files."""
    from healthqa.evaluate import load_mediqa_qa, load_rqe
    from healthqa.rerank import split_answer

    pairs = [
        (pair.chq.strip(), pair.faq.strip())
        for pair in load_rqe(rqe_file)
        if pair.label and pair.chq.strip() != pair.faq.strip()
    ]
    for question in load_mediqa_qa(qa_file):
        for answer in question.answers:
            title = split_answer(answer.text).title
            if title and (answer.reference_score or 0) >= CORRECT_SCORE:
                pairs.append((question.text.strip(), title))
    return pairs


def tune(
    base: Path,
    pairs: Sequence[tuple[str, str]],
    out: Path,
    settings: TuningSettings | None = None,
    sources: Sequence[Path] = (),
    progress: Callable[[int, int, float], None] | None = None,
) -> dict[str, Any]:
    """Fine-tune the model in folder `base` on `pairs` and save it to `out`; returns what the
    provenance file says (with the names and hashes of the `sources` the pairs came from)."""
    settings = settings or TuningSettings()
    if len(pairs) < 2:
        raise ValueError("tuning needs at least two question pairs")
    if settings.batch_size < 2:
        raise ValueError("the batch size must be at least 2: a pair is told apart from the others")
    torch, sentence_transformers, losses = _libraries()
    torch.manual_seed(settings.seed)
    model = sentence_transformers.SentenceTransformer(str(base), device="cpu")
    model.max_seq_length = settings.max_tokens
    # Each question against every answer of the batch, and each answer against every question.
    loss = losses.MultipleNegativesRankingLoss(
        model,
        scale=settings.scale,
        directions=("query_to_doc", "doc_to_query"),
        partition_mode="per_direction",
    )
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate)
    per_epoch = -(-len(pairs) // settings.batch_size)
    steps = max(1, round(per_epoch * settings.epochs))
    warmup = max(1, round(steps * settings.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, 1 - step / steps)
    )
    order = random.Random(settings.seed)
    batches = _batches(list(pairs), settings.batch_size, steps, order)
    model.train()
    for step, batch in enumerate(batches, 1):
        features = [model.preprocess([pair[side] for pair in batch]) for side in (0, 1)]
        value = loss(features, None)
        value.backward()
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        if progress:
            progress(step, steps, float(value.item()))
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    provenance = {
        "base": base.name if base.name != "model" else base.parent.name,
        "pairs": len(pairs),
        "steps": steps,
        "settings": asdict(settings),
        "trained_on": {path.name: _sha1(path) for path in sources},
        "weights_sha1": _sha1(out / "model.safetensors"),
    }
    (out / PROVENANCE).write_text(json.dumps(provenance, indent=1) + "\n", encoding="utf-8")
    return provenance


def _batches(
    pairs: list[tuple[str, str]], size: int, steps: int, order: random.Random
) -> list[list[tuple[str, str]]]:
    """`steps` batches, passing over the shuffled pairs as often as needed."""
    batches: list[list[tuple[str, str]]] = []
    while len(batches) < steps:
        order.shuffle(pairs)
        for start in range(0, len(pairs), size):
            if len(batches) == steps:
                break
            batch = pairs[start : start + size]
            if len(batch) > 1:  # a batch of one has no other text to tell apart
                batches.append(batch)
    return batches


def _sha1(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha1").hexdigest()


def _libraries() -> tuple[Any, Any, Any]:
    try:
        # torch first: sentence-transformers must not be imported without it (transformers
        # would remember, for the rest of the process, that PyTorch is missing).
        import torch  # noqa: I001
        import sentence_transformers
    except ImportError:
        raise TuningUnavailable(
            "tuning the model needs PyTorch and sentence-transformers: "
            "pip install 'healthqa[train]' (docs/quality.md)"
        ) from None
    losses = importlib.import_module("sentence_transformers.sentence_transformer.losses")
    return torch, sentence_transformers, losses
