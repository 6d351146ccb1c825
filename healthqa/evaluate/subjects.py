"""Is the top answer about what the question asks about? Questions with their subjects.

A subjects file is tab-separated: a header line `question<TAB>subjects`, then one question a
line with the names a right answer's topic may carry, separated by " | " (the condition, or a
name it is also called). Lines starting with "#" are comments. The top answer is right when
its topic's name, or one of the topic's "also called" names, is one of the subjects, compared
without case, punctuation, a plural "s" or a booklet's "What I need to know about"; a
declined question (no good answer) is a miss. A broader, sibling or merely mentioned
condition is wrong, as a reader would judge it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from healthqa.evaluate._files import EvaluationError, _content
from healthqa.evaluate.calibration import Bin, ece, reliability

CONFIDENT = 0.5  # a wrong-subject top answer at or above this claims to be a good answer
_NOT_A_WORD = re.compile(r"[^\w]+")
# NIDDK's topics name a booklet rather than a condition: "What I need to know about Gout".
_BOOKLET = re.compile(r"^what i need to know about ")


@dataclass(frozen=True)
class SubjectQuestion:
    text: str
    subjects: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class SubjectResult:
    question: SubjectQuestion
    topic: str | None  # the top answer's topic; None when declined
    title: str | None
    confidence: float | None
    right: bool

    @property
    def confident_mistake(self) -> bool:
        return not self.right and self.confidence is not None and self.confidence >= CONFIDENT


@dataclass(frozen=True)
class SubjectScores:
    questions: int
    right: int
    declined: int
    confident_mistakes: int
    ece: float = 0.0  # of the answered questions' top confidence against their right subject

    @property
    def share_right(self) -> float:
        return self.right / self.questions if self.questions else 0.0


def load_subjects(path: Path) -> list[SubjectQuestion]:
    """The questions of a subjects file; a malformed line is an error naming it."""
    rows = iter(_content(path))
    header = next((row for row in rows if not row[1].startswith("#")), None)
    if header is None or header[1].split("\t")[:2] != ["question", "subjects"]:
        raise EvaluationError("expected a header line 'question<TAB>subjects'", path, 1)
    questions = []
    for number, line in rows:
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        subjects = tuple(s.strip() for s in fields[1].split("|")) if len(fields) == 2 else ()
        if not fields[0].strip() or not all(subjects) or not subjects:
            raise EvaluationError(
                "expected a question, a tab, then subjects split by |", path, number
            )
        questions.append(SubjectQuestion(fields[0].strip(), subjects, number))
    return questions


def same_subject(names: Iterable[str], subjects: Iterable[str]) -> bool:
    """True when one of `names` is one of `subjects`, ignoring case, punctuation and plurals."""
    wanted = {subject_key(subject) for subject in subjects}
    return any(subject_key(name) in wanted for name in names)


def score_subjects(results: list[SubjectResult]) -> SubjectScores:
    confidence, right = _answered(results)
    return SubjectScores(
        questions=len(results),
        right=sum(result.right for result in results),
        declined=sum(result.topic is None and result.title is None for result in results),
        confident_mistakes=sum(result.confident_mistake for result in results),
        ece=round(ece(confidence, right), 4),
    )


def subject_reliability(results: list[SubjectResult]) -> list[Bin]:
    """How often the top answer is on the question's subject, by its confidence (the answered
    questions): the reliability diagram of the confidence a reader is shown."""
    return reliability(*_answered(results))


def _answered(results: list[SubjectResult]) -> tuple[np.ndarray, np.ndarray]:
    answered = [result for result in results if result.confidence is not None]
    return (
        np.array([result.confidence for result in answered], dtype=np.float64),
        np.array([result.right for result in answered], dtype=np.float64),
    )


def subject_key(name: str) -> str:
    """A name as subjects are compared: case, punctuation, a plural "s" and a booklet's
    "What I need to know about" left out."""
    words = _NOT_A_WORD.sub(" ", _BOOKLET.sub("", name.casefold())).split()
    return " ".join(word[:-1] if len(word) > 3 and word.endswith("s") else word for word in words)
