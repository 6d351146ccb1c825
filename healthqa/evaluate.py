"""Benchmark readers and measures: BEIR folders, TREC run files, MEDIQA 2019 Tasks 2 and 3.

No retrieval happens here: the ask pipeline produces rankings and labels, and these functions read
the judgments and score them.

Ranking measures (`score_run`), on graded judgments where a document is *relevant* when its grade
is at least `relevant_grade` (LiveQA: 0 Incorrect, 1 Related, 2 Incomplete, 3 Excellent; correct
at 2 or 3). Unjudged documents count as grade 0, so the scores are a lower bound; `judged@k` says
how much of the top k was judged. Every measure is averaged over every query in the qrels; a query
the run does not answer scores 0, and so does a query with no relevant judged document (they are
counted in `Scores.no_relevant`). A document listed twice in one ranking counts once, where it first
appears. Queries in the run but not in the qrels are ignored, as trec_eval ignores them.

- MAP@k: average precision in the trec_eval convention (`map_cut`): the sum of precision at the
  rank of each relevant document within the top k, divided by R, the number of relevant judged
  documents of the query (not min(R, k)). We follow trec_eval so that figures compare with
  published LiveQA/MedQuAD results, and because dividing by R keeps recall in the measure: finding
  2 of 20 correct answers is not a perfect score.
- MRR@k: 1 / the rank of the first relevant document within the top k, else 0.
- nDCG@k: linear gain, gain = grade (negative grades count as 0), discount log2(rank + 1); the
  ideal ranking sorts all judged grades of the query. As trec_eval's `ndcg_cut`.
- P@5: relevant documents among the top 5, divided by 5 (also when fewer were returned).
- succ@1: 1 when the top document is relevant.
- avgScore@1: the grade of the top document (0 when unjudged or absent): TREC LiveQA's measure.
- judged@k: the share of the returned top k (at most k documents) that were judged at all; 0 when
  nothing was returned.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from lxml import etree
from lxml.etree import _Element as Element


class EvaluationError(ValueError):
    """Benchmark input that cannot be used: names the file and line where there is one."""

    def __init__(self, reason: str, path: Path | str | None = None, line: int | None = None):
        self.reason = reason
        self.path = str(path) if path is not None else None
        self.line = line
        place = f"{self.path}:{line}" if self.path and line else self.path
        super().__init__(f"{place}: {reason}" if place else reason)


# --- Reading files ----------------------------------------------------------------------------


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered lines of a UTF-8 text file, without line endings."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise EvaluationError(f"cannot read the file ({exc.strerror})", path) from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise EvaluationError(f"not UTF-8 text ({exc.reason})", path, number) from None
            yield number, text.rstrip("\r\n")


def _content(path: Path) -> Iterator[tuple[int, str]]:
    """The lines that are not blank."""
    return ((number, line) for number, line in _lines(path) if line.strip())


def _csv_fields(line: str) -> list[str]:
    return [value.strip() for value in next(csv.reader([line]))]


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


# --- BEIR folders -----------------------------------------------------------------------------


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


# --- Ranking measures -------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryScores:
    """The measures of one query (see the module docstring for their definitions)."""

    map: float
    mrr: float
    ndcg: float
    p5: float
    succ1: float
    avg_score1: float
    judged: float


_MEASURES = ("map", "mrr", "ndcg", "p5", "succ1", "avg_score1", "judged")


@dataclass
class Scores:
    """Means over every query in the qrels, with the per-query scores behind them."""

    map: float
    mrr: float
    ndcg: float
    p5: float
    succ1: float
    avg_score1: float
    judged: float
    queries: int
    no_relevant: int
    k: int
    relevant_grade: int
    per_query: dict[str, QueryScores]

    def labels(self) -> dict[str, str]:
        """Measure field -> the name it is reported under (e.g. map -> MAP@10)."""
        k = self.k
        names = (f"MAP@{k}", f"MRR@{k}", f"nDCG@{k}", "P@5", "succ@1", "avgScore@1", f"judged@{k}")
        return dict(zip(_MEASURES, names, strict=True))

    def means(self) -> dict[str, float]:
        return {label: getattr(self, name) for name, label in self.labels().items()}

    def to_dict(self) -> dict[str, Any]:
        per_query = {
            query_id: {label: getattr(scores, name) for name, label in self.labels().items()}
            for query_id, scores in self.per_query.items()
        }
        return {
            **self.means(),
            "queries": self.queries,
            "no_relevant": self.no_relevant,
            "k": self.k,
            "relevant_grade": self.relevant_grade,
            "per_query": per_query,
        }


def score_run(
    run: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Mapping[str, int]],
    k: int = 10,
    relevant_grade: int = 2,
) -> Scores:
    """Score rankings (query id -> doc ids, best first) against graded qrels."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    if not qrels:
        raise EvaluationError("the qrels hold no judged query: nothing to score")
    per_query = {
        query_id: _query_scores(run.get(query_id, ()), judged, k, relevant_grade)
        for query_id, judged in qrels.items()
    }
    means = {
        name: sum(getattr(scores, name) for scores in per_query.values()) / len(per_query)
        for name in _MEASURES
    }
    no_relevant = sum(1 for judged in qrels.values() if not _relevant_count(judged, relevant_grade))
    return Scores(
        **means,
        queries=len(per_query),
        no_relevant=no_relevant,
        k=k,
        relevant_grade=relevant_grade,
        per_query=per_query,
    )


def _query_scores(
    ranking: Sequence[str], judged: Mapping[str, int], k: int, relevant_grade: int
) -> QueryScores:
    grades = [judged.get(doc_id) for doc_id in dict.fromkeys(ranking)]  # None: not judged
    relevant = [grade is not None and grade >= relevant_grade for grade in grades]
    gains = [max(grade or 0, 0) for grade in grades]
    top = grades[:k]
    return QueryScores(
        map=_average_precision(relevant[:k], _relevant_count(judged, relevant_grade)),
        mrr=next((1 / rank for rank, hit in enumerate(relevant[:k], start=1) if hit), 0.0),
        ndcg=_ndcg(gains[:k], sorted((max(g, 0) for g in judged.values()), reverse=True)[:k]),
        p5=sum(relevant[:5]) / 5,
        succ1=1.0 if relevant[:1] == [True] else 0.0,
        avg_score1=float(gains[0]) if gains else 0.0,
        judged=sum(grade is not None for grade in top) / len(top) if top else 0.0,
    )


def _relevant_count(judged: Mapping[str, int], relevant_grade: int) -> int:
    return sum(1 for grade in judged.values() if grade >= relevant_grade)


def _average_precision(relevant: Sequence[bool], total_relevant: int) -> float:
    if total_relevant == 0:
        return 0.0
    hits, precision_sum = 0, 0.0
    for rank, hit in enumerate(relevant, start=1):
        if hit:
            hits += 1
            precision_sum += hits / rank
    return precision_sum / total_relevant


def _dcg(gains: Sequence[float]) -> float:
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1))


def _ndcg(gains: Sequence[float], ideal: Sequence[float]) -> float:
    best = _dcg(ideal)
    return _dcg(gains) / best if best > 0 else 0.0


def table(scores_by_name: Mapping[str, Scores]) -> str:
    """A fixed-width comparison: one row per system, one column per measure."""
    if not scores_by_name:
        return ""
    first = next(iter(scores_by_name.values()))
    if any(scores.k != first.k for scores in scores_by_name.values()):
        raise ValueError("the systems were scored at different k; compare like with like")
    labels = [*first.labels().values(), "queries", "no rel."]
    name_width = max(len("system"), *(len(name) for name in scores_by_name))
    widths = [max(len(label), 6) for label in labels]
    rows = [_row("system", labels, name_width, widths)]
    for name, scores in scores_by_name.items():
        cells = [f"{value:.4f}" for value in scores.means().values()]
        cells += [str(scores.queries), str(scores.no_relevant)]
        rows.append(_row(name, cells, name_width, widths))
    return "\n".join(rows) + "\n"


def _row(name: str, cells: Sequence[str], name_width: int, widths: Sequence[int]) -> str:
    values = "  ".join(cell.rjust(width) for cell, width in zip(cells, widths, strict=True))
    return f"{name.ljust(name_width)}  {values}"


# --- TREC run files ---------------------------------------------------------------------------


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


# --- Spearman's rho ---------------------------------------------------------------------------


def spearman_rho(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation: Pearson's r of the ranks; tied values share their mean rank.

    None when it is undefined: fewer than two pairs, or either side all the same.
    """
    if len(x) != len(y):
        raise ValueError(f"spearman_rho needs two sequences of one length, not {len(x)}, {len(y)}")
    if len(x) < 2:
        return None
    rank_x, rank_y = _average_ranks(x), _average_ranks(y)
    rank_x -= rank_x.mean()
    rank_y -= rank_y.mean()
    spread = math.sqrt(float((rank_x**2).sum() * (rank_y**2).sum()))
    return float((rank_x * rank_y).sum()) / spread if spread > 0 else None


def _average_ranks(values: Sequence[float]) -> np.ndarray:
    """Ranks from 1; a group of tied values each gets the mean of the ranks the group spans."""
    array = np.asarray(values, dtype=float)
    _, inverse, counts = np.unique(array, return_inverse=True, return_counts=True)
    before = np.cumsum(counts) - counts  # how many values are smaller than each distinct value
    return (before + (counts + 1) / 2)[inverse]


# --- MEDIQA XML -------------------------------------------------------------------------------

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)
_UNSAFE = "unsafe XML: it declares a DTD or entities, which MEDIQA files never do (refused)"


def _parse_xml(path: Path) -> Element:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EvaluationError(f"cannot read the file ({exc.strerror})", path) from None
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        if b"<!ENTITY" in data:  # libxml2 stops an entity bomb with a syntax error
            raise EvaluationError(_UNSAFE, path) from None
        raise EvaluationError(f"broken XML: {exc.msg}", path, exc.position[0]) from None
    if root.getroottree().docinfo.doctype:
        raise EvaluationError(_UNSAFE, path)
    return root


def _text(element: Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _required(element: Element, name: str, path: Path) -> str:
    value = (element.get(name) or "").strip()
    if not value:
        raise EvaluationError(f"<{element.tag}> has no {name}", path, element.sourceline)
    return value


def _child_text(element: Element, tag: str, path: Path) -> str:
    child = element.find(tag)
    if child is None:
        raise EvaluationError(f"<{element.tag}> has no <{tag}>", path, element.sourceline)
    return _text(child)


def _optional_int(element: Element, name: str, path: Path) -> int | None:
    value = element.get(name)
    if value is None or not value.strip():
        return None
    if not _is_int(value.strip()):
        reason = f"{name} must be a whole number, found {value!r}"
        raise EvaluationError(reason, path, element.sourceline)
    return int(value)


def _unique(ids: Iterable[tuple[str, int | None]], what: str, path: Path) -> None:
    seen: set[str] = set()
    for value, line in ids:
        if value in seen:
            raise EvaluationError(f"{what} {value!r} appears twice", path, line)
        seen.add(value)


# --- MEDIQA 2019 Task 3 (QA) ------------------------------------------------------------------


@dataclass(frozen=True)
class QAAnswer:
    """An answer CHiQA retrieved. The ranks and score are None in the test layout, which lists
    the answers in CHiQA's order instead. ReferenceScore: 4 Excellent, 3 Correct but incomplete,
    2 Related, 1 Incorrect."""

    id: str
    text: str
    url: str
    system_rank: int | None
    reference_rank: int | None
    reference_score: int | None

    @property
    def correct(self) -> bool | None:
        """The gold label: ReferenceScore 3 or 4; None when not judged."""
        return None if self.reference_score is None else self.reference_score >= 3


@dataclass(frozen=True)
class QAQuestion:
    id: str
    text: str
    answers: list[QAAnswer]


def load_mediqa_qa(path: Path) -> list[QAQuestion]:
    """The questions of a MEDIQA 2019 Task 3 file (training, validation or test layout)."""
    path = Path(path)
    root = _parse_xml(path)
    elements = list(root.iter("Question"))
    if not elements:
        raise EvaluationError("no <Question> elements: not a MEDIQA Task 3 file", path)
    questions = [_qa_question(element, path) for element in elements]
    _unique(((q.id, e.sourceline) for q, e in zip(questions, elements, strict=True)), "QID", path)
    return questions


def _qa_question(element: Element, path: Path) -> QAQuestion:
    answers = list(element.iterfind("AnswerList/Answer"))
    parsed = [_qa_answer(answer, path) for answer in answers]
    _unique(((a.id, e.sourceline) for a, e in zip(parsed, answers, strict=True)), "AID", path)
    return QAQuestion(
        id=_required(element, "QID", path),
        text=_child_text(element, "QuestionText", path),
        answers=parsed,
    )


def _qa_answer(element: Element, path: Path) -> QAAnswer:
    return QAAnswer(
        id=_required(element, "AID", path),
        text=_child_text(element, "AnswerText", path),
        url=_text(element.find("AnswerURL")),
        system_rank=_optional_int(element, "SystemRank", path),
        reference_rank=_optional_int(element, "ReferenceRank", path),
        reference_score=_optional_int(element, "ReferenceScore", path),
    )


@dataclass(frozen=True)
class QAQuestionScores:
    """One question's share of the Task 3 measures; `spearman` is None when undefined."""

    answers: int
    labelled_right: int
    labelled_correct: int
    true_correct: int
    mrr: float
    spearman: float | None


@dataclass
class QAScores:
    """MEDIQA 2019 Task 3 measures; see `score_mediqa_qa` for the exact definitions."""

    accuracy: float
    precision: float
    mrr: float
    spearman: float
    questions: int
    answers: int
    spearman_questions: int
    no_correct: int
    per_question: dict[str, QAQuestionScores]

    def to_dict(self) -> dict[str, Any]:
        """The totals (per-question detail stays in `per_question`)."""
        return {key: value for key, value in asdict(self).items() if key != "per_question"}


def score_mediqa_qa(
    questions: Sequence[QAQuestion], predictions: Mapping[str, Sequence[tuple[str, int]]]
) -> QAScores:
    """Score Task 3 predictions: question id -> (answer id, label 1 correct / 0 not), in the
    system's rank order (as the official CSV lists them).

    Our reading of the official scorer (abachaa/MEDIQA2019, Eval_Scripts) and the task README:

    - Gold label: ReferenceScore >= 3. An answer listed twice counts where it first appears.
    - Accuracy: answers whose predicted label equals the gold label, over all answers of all
      questions; an answer with no prediction counts as wrong (as the official script does).
    - Precision: answers labelled 1 that are gold correct, over all answers labelled 1 (0 when
      none is). The official script reports no plain precision, only P@1/P@5/P@10 of its own.
    - MRR: rank-based measures drop the answers labelled 0 (README: "incorrect answers will be
      filtered out"); MRR is 1 / the rank, among the answers labelled 1, of the first gold-correct
      one, else 0, averaged over all questions. The released script instead takes 1 / the row of
      the first answer labelled 1 without checking its gold label, which gives 1 to any run that
      lists a label-1 answer first; we do not copy that.
    - Spearman: per question, over the gold-correct answers labelled 1, their order in the run
      against their ReferenceRank. As the final official script: a question with no such answer
      counts 0; a question where rho is undefined (a single such answer) is left out of the mean
      (`spearman_questions` says how many were averaged). The script ranks answer ids as strings
      (lexicographic), which only equals this when the ids sort in reference order; we use the
      ranks themselves.
    """
    _check_predicted_ids(questions, predictions)
    per_question = {
        question.id: _qa_scores(question, _first_labels(predictions.get(question.id, ())))
        for question in questions
    }
    return _qa_totals(per_question, questions)


def _qa_totals(
    per_question: dict[str, QAQuestionScores], questions: Sequence[QAQuestion]
) -> QAScores:
    scores = list(per_question.values())
    answers = sum(s.answers for s in scores)
    labelled_correct = sum(s.labelled_correct for s in scores)
    rhos = [s.spearman for s in scores if s.spearman is not None]
    return QAScores(
        accuracy=sum(s.labelled_right for s in scores) / answers if answers else 0.0,
        precision=sum(s.true_correct for s in scores) / max(labelled_correct, 1),
        mrr=sum(s.mrr for s in scores) / len(scores) if scores else 0.0,
        spearman=sum(rhos) / len(rhos) if rhos else 0.0,
        questions=len(scores),
        answers=answers,
        spearman_questions=len(rhos),
        no_correct=sum(1 for q in questions if not any(_gold(q, a) for a in q.answers)),
        per_question=per_question,
    )


def _check_predicted_ids(
    questions: Sequence[QAQuestion], predictions: Mapping[str, Sequence[tuple[str, int]]]
) -> None:
    answers = {question.id: {a.id for a in question.answers} for question in questions}
    for question_id, labels in predictions.items():
        if question_id not in answers:
            raise EvaluationError(f"the predictions name question {question_id!r}, not in the set")
        for answer_id, label in labels:
            if answer_id not in answers[question_id]:
                reason = f"question {question_id} has no answer {answer_id!r}"
                raise EvaluationError(reason)
            if label not in (0, 1):
                raise EvaluationError(f"{question_id},{answer_id}: label {label!r} is not 0 or 1")


def _first_labels(labels: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Answer id -> label, in order, keeping the first of repeated answers."""
    first: dict[str, int] = {}
    for answer_id, label in labels:
        first.setdefault(answer_id, int(label))
    return first


def _gold(question: QAQuestion, answer: QAAnswer) -> bool:
    if answer.correct is None or answer.reference_rank is None:
        reason = (
            f"question {question.id} answer {answer.id} has no ReferenceScore or ReferenceRank: "
            "scoring needs judged answers (the test layout has none)"
        )
        raise EvaluationError(reason)
    return answer.correct


def _qa_scores(question: QAQuestion, labels: dict[str, int]) -> QAQuestionScores:
    gold = {answer.id: _gold(question, answer) for answer in question.answers}
    chosen = [answer_id for answer_id, label in labels.items() if label == 1]
    hits = [answer_id for answer_id in chosen if gold[answer_id]]
    reference = {answer.id: answer.reference_rank for answer in question.answers}
    return QAQuestionScores(
        answers=len(gold),
        labelled_right=sum(labels.get(a) == int(correct) for a, correct in gold.items()),
        labelled_correct=len(chosen),
        true_correct=len(hits),
        mrr=next((1 / rank for rank, a in enumerate(chosen, start=1) if gold[a]), 0.0),
        spearman=spearman_rho(range(len(hits)), [reference[a] or 0 for a in hits]) if hits else 0.0,
    )


def mediqa_system_run(questions: Sequence[QAQuestion]) -> dict[str, list[tuple[str, int]]]:
    """The CHiQA baseline: every answer labelled correct, in CHiQA's order (SystemRank, or file
    order in the test layout)."""
    return {
        question.id: [(answer.id, 1) for answer in _by_system_rank(question.answers)]
        for question in questions
    }


def _by_system_rank(answers: Sequence[QAAnswer]) -> list[QAAnswer]:
    return sorted(answers, key=lambda a: math.inf if a.system_rank is None else a.system_rank)


def mediqa_reference_run(questions: Sequence[QAQuestion]) -> dict[str, list[tuple[str, int]]]:
    """The perfect run: gold labels, answers in ReferenceRank order (judged files only)."""
    run = {}
    for question in questions:
        gold = {answer.id: _gold(question, answer) for answer in question.answers}
        ordered = sorted(question.answers, key=lambda a: (not gold[a.id], a.reference_rank))
        run[question.id] = [(answer.id, int(gold[answer.id])) for answer in ordered]
    return run


def write_mediqa_qa_run(predictions: Mapping[str, Sequence[tuple[str, int]]], out: TextIO) -> None:
    """The official submission CSV, `question_id,answer_id,label`, no header: per question the
    answers labelled 1 first, in the given order, then those labelled 0."""
    writer = csv.writer(out, lineterminator="\n")
    for question_id, labels in predictions.items():
        ordered = sorted(labels, key=lambda pair: pair[1] != 1)  # stable: keeps rank order
        for answer_id, label in ordered:
            if label not in (0, 1):
                raise ValueError(f"{question_id},{answer_id}: label {label!r} is not 0 or 1")
            writer.writerow([question_id, answer_id, label])


def read_mediqa_qa_run(path: Path) -> dict[str, list[tuple[str, int]]]:
    """Question id -> [(answer id, label)] in file order; a `question_id,...` header is skipped."""
    path = Path(path)
    run: dict[str, list[tuple[str, int]]] = {}
    seen: set[tuple[str, str]] = set()
    for number, line in _content(path):
        fields = _csv_fields(line)
        if number == 1 and [f.lower() for f in fields] == ["question_id", "answer_id", "label"]:
            continue
        question_id, answer_id, label = _qa_row(fields, path, number)
        if (question_id, answer_id) in seen:
            raise EvaluationError(f"{question_id},{answer_id} is listed twice", path, number)
        seen.add((question_id, answer_id))
        run.setdefault(question_id, []).append((answer_id, label))
    return run


def _qa_row(fields: list[str], path: Path, number: int) -> tuple[str, str, int]:
    if len(fields) != 3 or not all(fields[:2]):
        reason = f"expected question_id,answer_id,label, found {len(fields)} field(s)"
        raise EvaluationError(reason, path, number)
    if fields[2] not in ("0", "1"):
        raise EvaluationError(f"the label must be 0 or 1, found {fields[2]!r}", path, number)
    return fields[0], fields[1], int(fields[2])


# --- MEDIQA 2019 Task 2 (RQE) -----------------------------------------------------------------


@dataclass(frozen=True)
class RQEPair:
    """A consumer health question and an FAQ; label True when the CHQ entails the FAQ (every
    answer to the FAQ answers the CHQ at least in part); None when the file gives no label."""

    id: str
    chq: str
    faq: str
    label: bool | None


def load_rqe(path: Path) -> list[RQEPair]:
    """The `<pair pid=".." value="true|false">` elements of a MEDIQA 2019 Task 2 file."""
    path = Path(path)
    elements = list(_parse_xml(path).iter("pair"))
    if not elements:
        raise EvaluationError("no <pair> elements: not a MEDIQA Task 2 file", path)
    pairs = [_rqe_pair(element, path) for element in elements]
    _unique(((p.id, e.sourceline) for p, e in zip(pairs, elements, strict=True)), "pid", path)
    return pairs


def _rqe_pair(element: Element, path: Path) -> RQEPair:
    return RQEPair(
        id=_required(element, "pid", path),
        chq=_child_text(element, "chq", path),
        faq=_child_text(element, "faq", path),
        label=_rqe_label(element, path),
    )


def _rqe_label(element: Element, path: Path) -> bool | None:
    value = element.get("value")
    if value is None:
        return None
    label = _boolean(value)
    if label is None:
        reason = f'value must be "true" or "false", found {value!r}'
        raise EvaluationError(reason, path, element.sourceline)
    return label


def _boolean(text: str) -> bool | None:
    return {"true": True, "1": True, "false": False, "0": False}.get(text.strip().lower())


def score_rqe(pairs: Sequence[RQEPair], predictions: Mapping[str, bool]) -> float:
    """Accuracy over all pairs; a pair without a prediction counts as wrong."""
    if not pairs:
        raise EvaluationError("no pairs to score")
    known = {pair.id for pair in pairs}
    unknown = sorted(set(predictions) - known)
    if unknown:
        raise EvaluationError(f"the predictions name pairs not in the set: {unknown[:5]}")
    unlabelled = [pair.id for pair in pairs if pair.label is None]
    if unlabelled:
        raise EvaluationError(f"pairs without a gold label cannot be scored: {unlabelled[:5]}")
    right = sum(
        1 for pair in pairs if pair.id in predictions and bool(predictions[pair.id]) == pair.label
    )
    return right / len(pairs)


def write_rqe_run(predictions: Mapping[str, bool], out: TextIO) -> None:
    """`pair_id,label` lines, label `true` or `false`, no header."""
    for pair_id, label in predictions.items():
        if "," in pair_id or not pair_id.strip():
            raise ValueError(f"a pair id must be non-empty with no comma: {pair_id!r}")
        out.write(f"{pair_id},{'true' if label else 'false'}\n")


def read_rqe_run(path: Path) -> dict[str, bool]:
    """Pair id -> label from `pair_id,label` lines (true/false, or the official 1/0); a
    `pair_id,label` header is skipped."""
    path = Path(path)
    run: dict[str, bool] = {}
    for number, line in _content(path):
        fields = _csv_fields(line)
        if number == 1 and [f.lower() for f in fields] == ["pair_id", "label"]:
            continue
        label = _boolean(fields[1]) if len(fields) == 2 and fields[0] else None
        if label is None:
            raise EvaluationError("expected pair_id,true|false", path, number)
        if fields[0] in run:
            raise EvaluationError(f"pair {fields[0]!r} is listed twice", path, number)
        run[fields[0]] = label
    return run
