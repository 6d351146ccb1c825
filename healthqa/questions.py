"""Question analysis: what kind of answer a question asks for, and about whom.

The question type ("cause", "treatment", ...) and the population ("pregnancy", "child",
"older adult") come from cue phrases, kept below as data a reviewer can read. A question may
show several types ("what causes it and how is it treated"); they are listed in the order
found. The focus (the condition, medicine or test asked about) is not analysed yet.

The cues for answers, `PASSAGE_CUES`, say what a passage that answers that type of question
tends to contain; the ask pipeline prefers such passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# question type -> (cues in a question, cues in a passage that answers it)
_TYPES: dict[str, tuple[str, str]] = {
    "side effects": (
        r"side ?effects?|adverse|reactions? (to|between|with)|interact|(take|taking|mix|mixing)"
        r" .{0,40}(together|with)",
        r"side effects?|may cause|reactions?|interact|do not take|tell your doctor",
    ),
    "medicine use": (
        r"\bdoses?\b|dosage|how (much|many|often) .{0,30}(take|use)|\bmg\b|stop (taking|using)"
        r"|how (do|should) i (take|use)",
        r"\bdoses?\b|dosage|\btake\b|\bmg\b|times a day|pharmacist",
    ),
    "cause": (
        r"\bcaus|\bwhy (do|does|did|am|is|are|would)\b|reasons?\b|triggers?|what makes",
        r"\bcaus|because|due to|reasons?|triggers?|risk factors?|leads? to|results? from",
    ),
    "symptoms": (
        r"symptoms?|signs? (of|that)|how (do|can|would) i know|what does .{0,30}feel like",
        r"symptoms?|signs?|feel|notice",
    ),
    "treatment": (
        r"\btreat|\bcure|therap|surgery|get rid|relie(f|ve)|remed|what (can|should) i do|"
        r"help (with|for)|manage|\bease\b|medicines? for|drugs? for",
        r"\btreat|therap|surgery|medicines?|relie(f|ve)|\bease\b|(?<!get )\bhelps?\b|\btry\b"
        r"|stretch|\brest\b",
    ),
    "prevention": (
        r"\bprevent|avoid|stop (it|them|this) (from|happening)|lower (my|the) risk|vaccin",
        r"\bprevent|avoid|reduce|lower|vaccin",
    ),
    "diagnosis": (
        r"diagnos|\btests?\b|\bscan\b|screen|x-?ray|blood work|biopsy",
        r"diagnos|\btests?\b|scan|screen|examin",
    ),
    "outlook": (
        r"prognos|outlook|life expectancy|surviv|will (it|this|they) go away|how long (will|does)"
        r"|recover",
        r"outlook|prognos|most people|recover|go away|surviv|long-term",
    ),
    "when to see a doctor": (
        r"\bserious|should i (see|call|go|worry)|when to (see|call|go)|is (it|this) (normal|"
        r"dangerous)|emergency|\bworr(y|ied)",
        r"see (a|your) (doctor|gp|midwife)|call|get (medical )?help|urgent|emergency|serious",
    ),
}

_POPULATIONS: dict[str, str] = {
    "pregnancy": r"pregnan|\bweeks? (pregnant|along)|trimester|expecting|\bmidwife|"
    r"\bantenatal|\bprenatal|unborn",
    "child": r"\b(child|children|kids?|baby|babies|toddler|infant|newborn|son|daughter)\b|"
    r"\b\d{1,2}[- ](year|month)[- ]old\b",
    "older adult": r"\belderly|older (adult|people|person|man|woman)|\b(6|7|8|9)\d[- ]year[- ]old|"
    r"grand(mother|father|ma|pa)|retire",
}

TYPES = tuple(_TYPES)
QUESTION_CUES = {name: re.compile(cues[0], re.I) for name, cues in _TYPES.items()}
PASSAGE_CUES = {name: re.compile(cues[1], re.I) for name, cues in _TYPES.items()}
POPULATION_CUES = {name: re.compile(cues, re.I) for name, cues in _POPULATIONS.items()}


@dataclass(frozen=True)
class Analysis:
    """What a question asks: its types (first is main), and the population it is about."""

    types: tuple[str, ...]
    population: str | None

    @property
    def type(self) -> str:
        return self.types[0] if self.types else "information"


def analyse(question: str) -> Analysis:
    """The types and population of `question` (a sentence or several, typos and all)."""
    found = sorted(
        (match.start(), name)
        for name, cue in QUESTION_CUES.items()
        if (match := cue.search(question))
    )
    population = next((name for name, cue in POPULATION_CUES.items() if cue.search(question)), None)
    return Analysis(tuple(name for _, name in found), population)


def answers_type(text: str, question_type: str) -> bool:
    """Does `text` read like an answer to a question of `question_type`?"""
    cue = PASSAGE_CUES.get(question_type)
    return bool(cue and cue.search(text))
