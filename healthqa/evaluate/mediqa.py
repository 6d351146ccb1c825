"""MEDIQA 2019 (ACL-BioNLP): Task 3 (QA: label and re-rank CHiQA's answers) and Task 2 (RQE:
does a consumer question entail an FAQ?) - the files, the scorers and the run files."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from lxml.etree import _Element as Element

from healthqa.evaluate._files import (
    EvaluationError,
    _child_text,
    _content,
    _csv_fields,
    _optional_int,
    _records,
    _required,
    _text,
    _unique,
)
from healthqa.evaluate.measures import spearman_rho

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
    return _records(path, "Question", "MEDIQA Task 3", "QID", _qa_question)


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
    return _records(path, "pair", "MEDIQA Task 2", "pid", _rqe_pair)


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
