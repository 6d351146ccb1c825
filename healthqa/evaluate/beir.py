"""BEIR folders: the judged queries and graded qrels of a benchmark (the importer reads its
corpus)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from healthqa.evaluate._files import EvaluationError, _content, _is_int


@dataclass(frozen=True)
class Query:
    """One benchmark question: `text` is what a system is measured on."""

    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class BeirBenchmark:
    """A BEIR folder: the corpus path (the importer reads it), judged queries and their qrels.

    `regraded` lists the (query, document) pairs judged more than once with different grades,
    with every grade in file order; `qrels` keeps the highest.
    """

    folder: Path
    corpus_path: Path
    queries: list[Query]
    qrels: dict[str, dict[str, int]]
    regraded: dict[tuple[str, str], list[int]] = field(default_factory=dict)


def load_beir(folder: Path, split: str = "test") -> BeirBenchmark:
    """Read queries.jsonl and qrels/{split}.tsv of a BEIR folder; check that corpus.jsonl exists.

    As BEIR's own loader does, `queries` keeps (in file order) the queries judged in this split.
    A qrels line naming a query that queries.jsonl lacks is an error. A document judged twice
    for one query keeps its highest grade: liveqa-med-dev has 77 such pairs, listed in grade order,
    so this equals what BEIR's loader and pytrec_eval (the last line wins) make of that file.
    """
    folder = Path(folder)
    corpus_path = _existing(folder / "corpus.jsonl")
    queries = _read_queries(_existing(folder / "queries.jsonl"))
    known = {query.id for query in queries}
    grades = _read_qrels(_existing(folder / "qrels" / f"{split}.tsv"), known)
    qrels = {q: {doc: max(seen) for doc, seen in docs.items()} for q, docs in grades.items()}
    regraded = {
        (query_id, doc_id): seen
        for query_id, docs in grades.items()
        for doc_id, seen in docs.items()
        if len(set(seen)) > 1
    }
    judged = [query for query in queries if query.id in qrels]
    return BeirBenchmark(folder, corpus_path, judged, qrels, regraded)


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise EvaluationError("no such file (a BEIR folder needs it)", path)
    return path


def _read_queries(path: Path) -> list[Query]:
    queries: dict[str, Query] = {}
    for number, line in _content(path):
        query = _query(_json_object(line, path, number), path, number)
        if query.id in queries:
            raise EvaluationError(f"query {query.id!r} is listed twice", path, number)
        queries[query.id] = query
    return list(queries.values())


def _json_object(line: str, path: Path, number: int) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise EvaluationError(f"not JSON ({exc.msg})", path, number) from None
    if not isinstance(value, dict):
        found = type(value).__name__
        raise EvaluationError(f"expected a JSON object, found {found}", path, number)
    return value


def _query(value: dict[str, Any], path: Path, number: int) -> Query:
    for key in ("_id", "text"):
        if not isinstance(value.get(key), str):
            raise EvaluationError(f'"{key}" must be a string', path, number)
    metadata = value.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise EvaluationError('"metadata" must be an object', path, number)
    return Query(value["_id"], value["text"], metadata)


def _read_qrels(path: Path, known: set[str]) -> dict[str, dict[str, list[int]]]:
    """Query id -> doc id -> every grade given, from `query-id<TAB>corpus-id<TAB>grade` lines;
    a first line whose grade is not a number is the header."""
    qrels: dict[str, dict[str, list[int]]] = {}
    for number, line in _content(path):
        fields = line.split("\t")
        if number == 1 and len(fields) == 3 and not _is_int(fields[2].strip()):
            continue
        query_id, doc_id, grade = _qrel(fields, path, number)
        if query_id not in known:
            raise EvaluationError(f"query {query_id!r} is not in queries.jsonl", path, number)
        qrels.setdefault(query_id, {}).setdefault(doc_id, []).append(grade)
    return qrels


def _qrel(fields: list[str], path: Path, number: int) -> tuple[str, str, int]:
    if len(fields) != 3:
        reason = f"expected 3 tab-separated fields (query-id corpus-id score), not {len(fields)}"
        raise EvaluationError(reason, path, number)
    query_id, doc_id, grade = (value.strip() for value in fields)
    if not query_id or not doc_id:
        raise EvaluationError("empty query or corpus id", path, number)
    if not _is_int(grade):
        raise EvaluationError(f"the score must be a whole number, found {grade!r}", path, number)
    return query_id, doc_id, int(grade)
