"""TREC run files: `qid Q0 docid rank score tag`, as trec_eval reads them."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from healthqa.evaluate._files import EvaluationError, _content, _is_int


def write_trec_run(
    run: Mapping[str, Sequence[tuple[str, float]]], out: TextIO, tag: str, k: int = 10
) -> None:
    """Write `qid Q0 docid rank score tag` lines: the top k of each ranking, ranks from 1.

    Each list must be best first with scores that never increase down it, because trec_eval orders
    by score (and breaks ties by doc id, not by our rank).
    """
    _check_token(tag, "tag")
    lines = []  # all checked before anything is written
    for query_id, ranking in run.items():
        _check_token(query_id, "query id")
        for rank, (doc_id, score) in enumerate(_checked_ranking(query_id, ranking[:k]), start=1):
            lines.append(f"{query_id} Q0 {doc_id} {rank} {score!r} {tag}\n")
    out.writelines(lines)


def _checked_ranking(
    query_id: str, ranking: Sequence[tuple[str, float]]
) -> Iterator[tuple[str, float]]:
    previous, seen = math.inf, set()
    for doc_id, raw_score in ranking:
        _check_token(doc_id, "doc id")
        score = float(raw_score)
        if not math.isfinite(score) or score > previous:
            raise ValueError(f"{query_id}: scores must be finite and never increase ({doc_id})")
        if doc_id in seen:
            raise ValueError(f"{query_id}: {doc_id} is ranked twice")
        previous = score
        seen.add(doc_id)
        yield doc_id, score


def _check_token(value: str, what: str) -> None:
    if not value or any(character.isspace() for character in value):
        raise ValueError(f"a TREC run {what} must be non-empty with no spaces: {value!r}")


def read_trec_run(path: Path) -> dict[str, list[str]]:
    """Query id -> doc ids, best first, from a TREC run file.

    Ordered by score, highest first, as trec_eval orders them; ties (which trec_eval breaks by
    doc id) go by the rank column, then by order in the file.
    """
    path = Path(path)
    entries: dict[str, dict[str, tuple[float, int, int]]] = {}
    for number, line in _content(path):
        query_id, doc_id, rank, score = _trec_line(line, path, number)
        docs = entries.setdefault(query_id, {})
        if doc_id in docs:
            raise EvaluationError(f"{doc_id} is listed twice for query {query_id}", path, number)
        docs[doc_id] = (-score, rank, number)
    return {query_id: sorted(docs, key=docs.__getitem__) for query_id, docs in entries.items()}


def _trec_line(line: str, path: Path, number: int) -> tuple[str, str, int, float]:
    fields = line.split()
    if len(fields) != 6:
        reason = f"expected 6 fields (qid Q0 docid rank score tag), found {len(fields)}"
        raise EvaluationError(reason, path, number)
    query_id, _, doc_id, rank, score, _ = fields
    if not _is_int(rank) or not _is_float(score):
        reason = f"the rank must be a whole number and the score a number: {rank!r} {score!r}"
        raise EvaluationError(reason, path, number)
    return query_id, doc_id, int(rank), float(score)


def _is_float(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False
