"""Question analysis: what kind of answer a question asks for, about what, and about whom.

One analysis, computed once per question and passed down: ask, the MEDIQA answer filter,
question entailment and the re-ranker's features all read the same `Analysis`, with one set of
type labels (`TYPES`, and "information").

The question types ("cause", "treatment", ...) and the population ("pregnancy", "child",
"older adult") come from cue phrases, kept below as data a reviewer can read. A question may
show several types ("what causes it and how is it treated"); those asked in a sentence that
asks come first. The focus (the condition, medicine or test asked about) is found by
`FocusFinder` among the topics of the collection, by a topic's name, an "also called" name or
an everyday name, in any word order and typos and all, preferring the subject to what is merely
mentioned; without a topic, it is the question's subject line less question-type words.
docs/quality.md measures both against LiveQA's annotated consumer questions.

The cues for answers, `PASSAGE_CUES`, say what a passage that answers that type of question
tends to contain; the ask pipeline prefers such passages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from healthqa.articles import Topic
from healthqa.index.vocabulary import CONSUMER_TERMS, read_pairs
from healthqa.text import STOP, stem, terms, words

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
        r"help (with|for)|manage|\bease\b|medicines? for|drugs? for|medications?\b|\bheal\b|"
        r"how (to|can i|do i|can we|could i|can he|can she) (reduce|remove|stop|lower|lose|solve|"
        r"overcome|fix|improve|increase|raise|get|control|deal)|suggest|solution|options?\b|"
        r"what (else )?(can|should|could) (i|we|he|she) (take|use|give)|exercises?\b",
        r"\btreat|therap|surgery|medicines?|relie(f|ve)|\bease\b|(?<!get )\bhelps?\b|\btry\b"
        r"|stretch|\brest\b",
    ),
    "prevention": (
        r"\bprevent|avoid|stop (it|them|this) (from|happening)|lower (my|the) risk|vaccin",
        r"\bprevent|avoid|reduce|lower|vaccin",
    ),
    "diagnosis": (
        r"(?<!was )(?<!been )(?<!were )(?<!got )(?<!being )diagnos(?!ed (with|as)\b)|\btests?\b"
        r"|testing|\bexam\b|\bscan\b|screen|x-?ray|blood work|biopsy",
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


# Words that say what kind of answer is wanted, not what it is about: a subject line's focus
# is its terms less these ("Gout. What are the treatments?" is about gout).
TYPE_WORDS = frozenset(
    stem(word)
    for word in """treat treatment treatments therapy therapies cure cures remedy remedies manage
    management medication medications medicine drug drugs surgery relieve relief heal cause causes
    caused causing why reason reasons trigger triggers symptom symptoms sign signs test tests
    testing diagnose diagnosed diagnosis screening exam prevent prevention preventing avoid
    prognosis outlook survival expectancy recovery""".split()
)
_WHAT_IS = re.compile(r"\bwhat (?:is|are)\b")
# Asking for material about a subject, rather than one kind of answer.
_INFORMATION = re.compile(
    r"\b(information|info|literature|materials?|brochures?|pamphlets?)\b|"
    r"(learn|know|tell me|read) (more |something )?about",
    re.I,
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_ASKS = re.compile(
    r"\?\s*$|^\W*(what|why|how|when|where|which|who|is|are|can|could|should|would|will|do|"
    r"does|did|may|might|please|any|tell|i (want|would like|need) to know|i need)\b",
    re.I,
)
_SENTENCES = re.compile(r"[.?]")  # the subject line is the text before the first '.' or '?'


@dataclass(frozen=True)
class Analysis:
    """What a question asks, found once and passed down to whatever needs it.

    `types`: the kinds of answer asked for, main first (`question_types`); "information"
    alone for a bare "what is ...", empty when nothing says. `population`:
    who it is about ("pregnancy", "child", "older adult"), or None. `focus`: the topic of the
    collection the question is about, or None. `focus_words`: the question's own words that
    name its subject ("charley horse"; without a topic, its subject line less question-type
    words), and `focus_terms` the same analysed. `terms`: all the question's analysed terms.
    `subjects`: every topic of the collection the question names, `focus` first ("cramps in
    my calves when pregnant" names "Muscle cramps" and "Pregnancy").
    """

    types: tuple[str, ...]
    population: str | None
    focus: str | None = None
    focus_words: str = ""
    focus_terms: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()

    @property
    def type(self) -> str:
        return self.types[0] if self.types else "information"


@dataclass(frozen=True)
class _Token:
    term: str  # analysed
    word: str  # as written (lower case)
    sentence: int  # 0 is the subject line
    place: int  # the word's place in its sentence, stop words counted


@dataclass(frozen=True)
class _Named:
    """A topic a question names: how much the name weighs, and the tokens that name it."""

    score: float
    topic: str
    tokens: list[_Token]


def analyse(
    question: str,
    focus: FocusFinder | None = None,
    weight: Callable[[str], float] | None = None,
    min_weight: float = 0.0,
    correct: Callable[[str], str | None] | None = None,
) -> Analysis:
    """The types, population and focus of `question`, typos and all.

    Given a finder, the focus is the topic it finds (`FocusFinder.find`: `weight`, `min_weight`
    and `correct`, a speller, are passed to it); else, or when it finds none, `focus` is None
    and `focus_words` are the subject line's words less question-type words, or, given
    `weight` and a subject line of more than 3 such words, its rarest word and the weighty
    words beside it.
    """
    tokens = _tokens(question)
    subjects = focus.named_in(question, tokens, weight, min_weight, correct) if focus else []
    if focus and subjects:
        topic, named = subjects[0].topic, focus.qualified(tokens, subjects[0].tokens, weight)
    else:
        topic, named = None, _subject(tokens)
        if weight is not None and len(named) > 3:
            named = _rarest_run(named, weight)
    return Analysis(
        types=question_types(question),
        population=next((n for n, cue in POPULATION_CUES.items() if cue.search(question)), None),
        focus=topic,
        focus_words=" ".join(token.word for token in named),
        focus_terms=tuple(token.term for token in named),
        terms=tuple(token.term for token in tokens),
        subjects=tuple(dict.fromkeys(found.topic for found in subjects)),
    )


def question_types(question: str) -> tuple[str, ...]:
    """The kinds of answer `question` asks for; ("information",) for a bare "what is/are";
    () when nothing says. Types cued in a sentence that asks (one ending in '?', or opening
    like a question or a request) come first, then the others, each in the order written:
    "I was diagnosed last year. How is it treated?" asks for treatment, not diagnosis."""
    asking = [m.span() for m in _SENTENCE.finditer(question) if _ASKS.search(m.group())]
    found = []
    for name, cue in (*QUESTION_CUES.items(), ("information", _INFORMATION)):
        matches = list(cue.finditer(question))
        asked = [m for m in matches if any(a <= m.start() < b for a, b in asking)]
        if matches:
            found.append((not asked, (asked or matches)[0].start(), name))
    if not found and _WHAT_IS.search(" ".join(words(question))):
        return ("information",)
    return tuple(name for *_, name in sorted(found))


def _tokens(question: str) -> list[_Token]:
    """The question's terms (exactly `terms(question)`), each with its word and sentence."""
    return [
        _Token(stem(word), word, number, place)
        for number, sentence in enumerate(_SENTENCES.split(question))
        for place, word in enumerate(words(sentence))
        if word not in STOP and len(word) < 40
    ]


def _rarest_run(tokens: list[_Token], weight: Callable[[str], float]) -> list[_Token]:
    """Of a long subject line, its rarest word with the weighty words written right next to
    it, three words at most ("battling anal fissure" of "I have been battling Anal fissure
    for close to two years now")."""
    start = end = max(range(len(tokens)), key=lambda i: weight(tokens[i].term))
    while end - start < 2:
        if start > 0 and _next_to(tokens[start - 1], tokens[start], weight):
            start -= 1
        elif end + 1 < len(tokens) and _next_to(tokens[end], tokens[end + 1], weight):
            end += 1
        else:
            break
    return tokens[start : end + 1]


def _next_to(before: _Token, after: _Token, weight: Callable[[str], float]) -> bool:
    """Are the two written side by side, and both weighty?"""
    return (
        before.sentence == after.sentence
        and before.place + 1 == after.place
        and min(weight(before.term), weight(after.term)) >= FocusFinder.MODIFIER_WEIGHT
    )


def _subject(tokens: list[_Token]) -> list[_Token]:
    """The subject line's tokens less question-type words; the whole question's when none are
    left; none when the question holds nothing but question-type words."""
    kept = [token for token in tokens if token.term not in TYPE_WORDS]
    return [token for token in kept if token.sentence == 0] or kept


class FocusFinder:
    """Finds which topic a question is about, from the names of the topics.

    A topic is named by its name, an "also called" name, or an everyday name for it
    (`healthqa/data/consumer-terms.tsv`: "charley horse" names "Muscle cramps"). Names are
    compared as analysed terms (stemmed, stop words out), in any order within a run of the
    question's words, so "cancer of the breast" names "Breast cancer"; a misspelt word counts
    as the word a speller (`correct`) says it misspells. Of several names found, the one whose
    words weigh most wins (`weight`: a term's rarity in the collection, else 1 a word), so
    "pregnancy" loses to "molar pregnancy"; a name weighing less than `min_weight` is too common
    a word to name a focus ("disease"), and a one-word name needs 4+ letters. The subject is
    preferred to what is merely mentioned: a name in the subject line (before the first '.' or
    '?') of a longer question weighs SUBJECT_FACTOR times more, and a name that says who the
    question is about (a population, such as "pregnancy") POPULATION_FACTOR times less. An
    acronym ("CAR", "ODD") names its topic only when the question writes it in capitals too
    (and is not written all in capitals).
    """

    LONGEST = 6  # words in the longest name looked for
    SUBJECT_FACTOR = 1.5
    POPULATION_FACTOR = 0.5
    MODIFIER_WEIGHT = 0.25
    MIN_SPELT = 6  # letters in the shortest word a speller may correct ("sunil" is a name)

    def __init__(
        self, names: dict[tuple[str, ...], str], acronyms: dict[str, str] | None = None
    ) -> None:
        self.names = names
        self.acronyms = acronyms or {}
        self.known = frozenset(term for key in names for term in key)

    @classmethod
    def build(cls, topics: Iterable[Topic], everyday: Path | None = CONSUMER_TERMS) -> FocusFinder:
        """From the topics' names and synonyms, and the everyday names in `everyday` of any
        topic whose name holds only words of the medical phrase they stand for."""
        names: dict[tuple[str, ...], str] = {}
        acronyms: dict[str, str] = {}
        for topic in topics:
            for name in (topic.name, *topic.synonyms):
                if _ACRONYM.fullmatch(name):
                    acronyms.setdefault(name, topic.name)
                elif key := cls._key(name):
                    names.setdefault(key, topic.name)
        for phrase, medical in read_pairs(everyday) if everyday else []:
            meaning = set(terms(medical))
            within = [key for key in names if set(key) <= meaning]
            if (key := cls._key(phrase)) and within:
                names.setdefault(key, names[max(within, key=len)])
        return cls(names, acronyms)

    @classmethod
    def _key(cls, name: str) -> tuple[str, ...]:
        key = tuple(sorted(terms(name)))
        fits = key and len(key) <= cls.LONGEST and (len(key) > 1 or len(key[0]) >= 4)
        return key if fits else ()

    def find(
        self,
        question: str,
        weight: Callable[[str], float] | None = None,
        min_weight: float = 0.0,
        correct: Callable[[str], str | None] | None = None,
    ) -> str | None:
        """The name of the topic `question` is about, or None."""
        named = self.named_in(question, _tokens(question), weight, min_weight, correct)
        return named[0].topic if named else None

    def named_in(
        self,
        question: str,
        tokens: list[_Token],
        weight: Callable[[str], float] | None = None,
        min_weight: float = 0.0,
        correct: Callable[[str], str | None] | None = None,
    ) -> list[_Named]:
        """Every topic the question names, weighing `min_weight` or more, the one it is about
        first (the heaviest name; of equal weights, the longer name, then the earlier)."""
        several = len({token.sentence for token in tokens}) > 1
        named = []
        for name, span in self._candidates(question, tokens, correct):
            score = sum(weight(token.term) for token in span) if weight else float(len(span))
            if score >= min_weight:
                named.append(_Named(score * self._placement(span, several), name, span))
        return sorted(named, key=lambda found: -found.score)  # stable: ties keep their order

    def _candidates(
        self, question: str, tokens: list[_Token], correct: Callable[[str], str | None] | None
    ) -> Iterator[tuple[str, list[_Token]]]:
        """Each topic named in the question, with the tokens naming it, longest names first."""
        found = [self._spelt(token.term, correct) for token in tokens]
        for size in range(min(self.LONGEST, len(found)), 0, -1):
            for start in range(len(found) - size + 1):
                key = tuple(sorted(found[start : start + size]))
                span = tokens[start : start + size]
                if key in self.names and span[0].sentence == span[-1].sentence:
                    spelt = [
                        replace(t, term=term) for t, term in zip(span, found[start:], strict=False)
                    ]
                    yield self.names[key], spelt
        if question.isupper():  # a question written in capitals has no acronyms
            return
        for written in _ACRONYM.findall(question):
            if (name := self.acronyms.get(written)) is not None:
                yield name, [token for token in tokens if token.word == written.casefold()][:1]

    def _spelt(self, term: str, correct: Callable[[str], str | None] | None) -> str:
        if correct is None or term in self.known or len(term) < self.MIN_SPELT:
            return term
        return correct(term) or term

    def _placement(self, span: list[_Token], several: bool) -> float:
        """How much a name weighs for where it is and what it says."""
        factor = self.SUBJECT_FACTOR if several and span[0].sentence == 0 else 1.0
        said = " ".join(token.word for token in span)
        if any(cue.search(said) for cue in POPULATION_CUES.values()):
            factor *= self.POPULATION_FACTOR
        return factor

    def qualified(
        self, tokens: list[_Token], span: list[_Token], weight: Callable[[str], float] | None
    ) -> list[_Token]:
        """`span` with the word written right before it in the subject line, when that word
        qualifies the name: letters, not a question-type word nor who the question is about,
        and weighing at least MODIFIER_WEIGHT ("cardiac", not "called")."""
        places = [(token.sentence, token.place) for token in tokens]
        at = places.index((span[0].sentence, span[0].place)) if span else 0
        if at == 0:
            return span
        before = tokens[at - 1]
        qualifies = (
            before.sentence == span[0].sentence
            and (weight is None or weight(before.term) >= self.MODIFIER_WEIGHT)
            and before.place == span[0].place - 1
            and before.word.isalpha()
            and len(before.word) >= 3
            and before.term not in TYPE_WORDS
            and not any(cue.search(before.word) for cue in POPULATION_CUES.values())
        )
        return [before, *span] if qualifies else span


_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,5}\b")


def answers_type(text: str, question_type: str) -> bool:
    """Does `text` read like an answer to a question of `question_type`?"""
    cue = PASSAGE_CUES.get(question_type)
    return bool(cue and cue.search(text))
