"""Question analysis: what kind of answer a question asks for, and about whom.

The question type ("cause", "treatment", ...) and the population ("pregnancy", "child",
"older adult") come from cue phrases, kept below as data a reviewer can read. A question may
show several types ("what causes it and how is it treated"); they are listed in the order
found. The focus (the condition, medicine or test asked about) is found by `FocusFinder`: the
longest, rarest run of the question's words that names a topic of the collection, by its name
or an "also called" name ("charley horse" finds the topic "Muscle cramps" when it lists it).

The cues for answers, `PASSAGE_CUES`, say what a passage that answers that type of question
tends to contain; the ask pipeline prefers such passages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from healthqa.articles import Topic
from healthqa.index.analysis import terms

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
    """What a question asks: its types (first is main), the population and the focus (a topic)."""

    types: tuple[str, ...]
    population: str | None
    focus: str | None = None

    @property
    def type(self) -> str:
        return self.types[0] if self.types else "information"


def analyse(question: str, focus: FocusFinder | None = None) -> Analysis:
    """The types, population and (given a finder) focus of `question`, typos and all."""
    found = sorted(
        (match.start(), name)
        for name, cue in QUESTION_CUES.items()
        if (match := cue.search(question))
    )
    population = next((name for name, cue in POPULATION_CUES.items() if cue.search(question)), None)
    topic = focus.find(question) if focus else None
    return Analysis(tuple(name for _, name in found), population, topic)


class FocusFinder:
    """Finds which topic a question is about, from the names and synonyms of the topics.

    Names are compared as analysed terms (stemmed, stop words out), in any order within a run
    of the question's words, so "cancer of the breast" names "Breast cancer". Of several names
    found, the one whose words weigh most wins (`weight`: a term's rarity in the collection,
    else 1 a word), so "pregnancy" loses to "molar pregnancy"; a name weighing less than
    `min_weight` is too common a word to name a focus ("disease"), and a one-word name needs
    4+ letters. An acronym ("CAR", "ODD") names its topic only when the question writes it in
    capitals too (and is not written all in capitals).
    """

    LONGEST = 6  # words in the longest name looked for

    def __init__(
        self, names: dict[tuple[str, ...], str], acronyms: dict[str, str] | None = None
    ) -> None:
        self.names = names
        self.acronyms = acronyms or {}

    @classmethod
    def build(cls, topics: Iterable[Topic]) -> FocusFinder:
        names: dict[tuple[str, ...], str] = {}
        acronyms: dict[str, str] = {}
        for topic in topics:
            for name in (topic.name, *topic.synonyms):
                if _ACRONYM.fullmatch(name):
                    acronyms.setdefault(name, topic.name)
                    continue
                key = tuple(sorted(terms(name)))
                if key and len(key) <= cls.LONGEST and (len(key) > 1 or len(key[0]) >= 4):
                    names.setdefault(key, topic.name)
        return cls(names, acronyms)

    def find(
        self,
        question: str,
        weight: Callable[[str], float] | None = None,
        min_weight: float = 0.0,
    ) -> str | None:
        """The name of the topic `question` is about, or None."""
        found = terms(question)
        best: tuple[float, str] | None = None
        for size in range(min(self.LONGEST, len(found)), 0, -1):
            for start in range(len(found) - size + 1):
                key = tuple(sorted(found[start : start + size]))
                if key in self.names:
                    score = sum(weight(term) for term in key) if weight else float(size)
                    if score >= min_weight and (best is None or score > best[0]):
                        best = (score, self.names[key])
        if best is not None:
            return best[1]
        if question.isupper():  # a question written in capitals has no acronyms
            return None
        written = (self.acronyms.get(word) for word in _ACRONYM.findall(question))
        return next((name for name in written if name), None)


_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,5}\b")


def answers_type(text: str, question_type: str) -> bool:
    """Does `text` read like an answer to a question of `question_type`?"""
    cue = PASSAGE_CUES.get(question_type)
    return bool(cue and cue.search(text))
