"""TREC 2017 LiveQA medical training questions: the files, a fixed split, and focus and type
accuracy of a question analysis against their annotations.

Each <NLM-QUESTION> holds a consumer's SUBJECT line and MESSAGE, and one or more
<SUB-QUESTION>s, each annotated with a FOCUS (the disease, drug, test... asked about) and a
TYPE (one of 23), with reference ANSWERs. A question is read as "SUBJECT. MESSAGE", as MEDIQA
writes the same NLM questions, and keeps the focuses, types and answer texts of all its
sub-questions (the answers link questions to articles for training: `healthqa.training`).

How a found focus is matched, and how LiveQA's types map onto healthqa's, is data below
(`TYPE_MAP`, `focus_matches`) and a table in docs/quality.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lxml.etree import _Element as Element

from healthqa.evaluate._files import EvaluationError, _records, _text
from healthqa.text import terms

# LiveQA's 23 types (and "Diagnose_me", once in file 2) -> healthqa's question types.
# healthqa has no label for a type on the left of "information" here; its nearest label is chosen.
TYPE_MAP: dict[str, str] = {
    "information": "information",
    "organization": "information",  # who treats it, where to go
    "resources": "information",
    "ingredient": "information",
    "treatment": "treatment",
    "cause": "cause",
    "susceptibility": "cause",  # who gets it, am I at risk, is it contagious
    "inheritance": "cause",
    "genetic changes": "cause",
    "association": "cause",  # is X linked to Y
    "symptom": "symptoms",
    "diagnosis": "diagnosis",
    "diagnose_me": "diagnosis",
    "prognosis": "outlook",
    "complication": "outlook",
    "prevention": "prevention",
    "side effects": "side effects",
    "interaction": "side effects",
    "contraindication": "side effects",
    "dosage": "medicine use",
    "usage": "medicine use",
    "tapering": "medicine use",
    "indication": "medicine use",
    "storage and disposal": "medicine use",
}

MAX_EXTRA_TERMS = 2
SPLIT_SALT = "healthqa-liveqa-2017-split-1"  # change it and the halves change


@dataclass(frozen=True)
class LiveQAQuestion:
    """One consumer question with the annotations of its sub-questions."""

    id: str  # "<file stem>:<question id>", unique across the files
    text: str  # "SUBJECT. MESSAGE"
    focuses: tuple[str, ...]  # each sub-question's FOCUS, in order, without repeats
    types: tuple[str, ...]  # each sub-question's TYPE, lower case, in order, without repeats
    answers: tuple[str, ...] = ()  # the reference answers' texts, in order, without repeats
    # (focus, type) of each sub-question (type lower case), in order, without repeats: what
    # was asked about what, where `focuses` and `types` lose which goes with which
    asked: tuple[tuple[str, str], ...] = ()

    @property
    def held_out(self) -> bool:
        """Which half: a fixed hash of the id, so the halves never change with file order."""
        digest = hashlib.sha256(f"{SPLIT_SALT}:{self.id}".encode()).digest()
        return digest[0] % 2 == 1


def load_liveqa(path: Path) -> list[LiveQAQuestion]:
    """The questions of a LiveQA XML file, or of every *.xml file in a folder (sorted)."""
    path = Path(path)
    files = sorted(path.glob("*.xml")) if path.is_dir() else [path]
    if not files:
        raise EvaluationError("no .xml files: not a LiveQA folder", path)
    return [question for file in files for question in _load_file(file)]


def _load_file(path: Path) -> list[LiveQAQuestion]:
    return _records(path, "NLM-QUESTION", "LiveQA", "id", _question)


def _question(element: Element, path: Path) -> LiveQAQuestion:
    qid = (element.get("questionid") or element.get("qid") or "").strip()
    if not qid:
        raise EvaluationError("<NLM-QUESTION> has no questionid or qid", path, element.sourceline)
    subject = " ".join(_text(element.find("SUBJECT")).split())
    message = " ".join(_text(element.find("MESSAGE")).split())
    if not message and not subject:
        raise EvaluationError("<NLM-QUESTION> has no SUBJECT or MESSAGE", path, element.sourceline)
    separator = "" if not subject or subject[-1] in ".?!" else "."
    text = f"{subject}{separator} {message}".strip()
    annotations = list(element.iterfind("SUB-QUESTIONS/SUB-QUESTION/ANNOTATIONS"))
    focuses = [_text(f) for a in annotations for f in a.iterfind("FOCUS")]
    types = [_text(t).lower() for a in annotations for t in a.iterfind("TYPE")]
    answers = (" ".join(_text(a).split()) for a in element.iterfind(".//ANSWERS/ANSWER"))
    asked = (
        (" ".join(_text(f).split()), _text(t).lower())
        for a in annotations
        for f in a.iterfind("FOCUS")
        for t in a.iterfind("TYPE")
    )
    return LiveQAQuestion(
        id=f"{path.stem}:{qid}",
        text=text,
        focuses=tuple(dict.fromkeys(" ".join(f.split()) for f in focuses if f)),
        types=tuple(dict.fromkeys(t for t in types if t)),
        answers=tuple(dict.fromkeys(a for a in answers if a)),
        asked=tuple(dict.fromkeys((f, t) for f, t in asked if f and t)),
    )


def healthqa_types(question: LiveQAQuestion) -> set[str]:
    """The question's annotated types as healthqa's labels (an unknown type maps to itself)."""
    return {TYPE_MAP.get(kind, kind) for kind in question.types}


# --- Matching a focus ---------------------------------------------------------------------------


def focus_key(name: str) -> frozenset[str]:
    """A name as the set of its analysed terms: case, accents, plurals, stop words and word
    order do not count ("Cysts, Arachnoid" = "arachnoid cyst")."""
    return frozenset(terms(name.replace("'s", "")))


def focus_matches(gold: str, names: Iterable[str]) -> tuple[bool, bool]:
    """(exact, contained): does one of `names` (the found focus's names) name the annotated
    focus `gold`? Exact: the same set of terms (`focus_key`). Contained: one set holds the
    other ("cardiac amyloidosis" and "amyloidosis"; "Parkinson" and "Parkinson's disease"), a
    found name with at most MAX_EXTRA_TERMS terms more than the annotation (so that a whole
    sentence does not "contain" the focus)."""
    want = focus_key(gold)
    keys = [key for key in map(focus_key, names) if key]
    exact = bool(want) and any(key == want for key in keys)
    contained = bool(want) and any(
        key <= want or (want <= key and len(key - want) <= MAX_EXTRA_TERMS) for key in keys
    )
    return exact, contained


# --- Measuring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Guess:
    """What an analysis said of one question: every name of the focus it found (none when it
    found none), and its question types, main first ("information" when it found none)."""

    focus_names: tuple[str, ...]
    types: tuple[str, ...]


@dataclass(frozen=True)
class HalfScores:
    """Focus and type accuracy over one half of the questions."""

    questions: int
    with_focus: int  # questions with an annotated focus: the focus measures' denominator
    focus_found: float  # share of those where the analysis named some focus
    focus_exact: float  # share where it named an annotated focus exactly (`focus_matches`)
    focus_contained: float  # share where one of its names and an annotated focus contain the other
    type_main: float  # share whose main type is one of the annotated types (mapped)
    type_any: float  # share where any of its types is one of the annotated types

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_analysis(
    questions: Sequence[LiveQAQuestion], guess: Callable[[str], Guess]
) -> dict[str, HalfScores]:
    """Accuracy on the held-in half (to develop on), the held-out half (only to report), and
    all questions."""
    guesses = {q.id: guess(q.text) for q in questions}
    halves = {
        "held-in": [q for q in questions if not q.held_out],
        "held-out": [q for q in questions if q.held_out],
        "all": list(questions),
    }
    return {name: _half(half, guesses) for name, half in halves.items()}


def _half(questions: Sequence[LiveQAQuestion], guesses: dict[str, Guess]) -> HalfScores:
    focused = [q for q in questions if q.focuses]
    matches = [_best_match(q, guesses[q.id]) for q in focused]
    typed = [(healthqa_types(q), guesses[q.id].types) for q in questions if q.types]
    return HalfScores(
        questions=len(questions),
        with_focus=len(focused),
        focus_found=_share(bool(guesses[q.id].focus_names) for q in focused),
        focus_exact=_share(exact for exact, _ in matches),
        focus_contained=_share(contained for _, contained in matches),
        type_main=_share(bool(found) and found[0] in gold for gold, found in typed),
        type_any=_share(bool(gold & set(found)) for gold, found in typed),
    )


def _best_match(question: LiveQAQuestion, guess: Guess) -> tuple[bool, bool]:
    found = [focus_matches(gold, guess.focus_names) for gold in question.focuses]
    return any(exact for exact, _ in found), any(contained for _, contained in found)


def _share(values: Iterable[bool]) -> float:
    listed = list(values)
    return round(sum(listed) / len(listed), 4) if listed else 0.0
