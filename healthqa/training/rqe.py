"""A consumer-shaped question-entailment (MEDIQA Task 2) training set, from public data only.

MEDIQA 2019's test pairs are a long consumer question against a short NIH FAQ, often on the
same subject but asking something else; the AMIA 2016 training pairs are clinical questions
whose negatives are random, so almost any same-subject pair there is entailed. This set pairs
each LiveQA 2017 training question (annotated with the focus and type of each sub-question)
with MedQuAD's questions (each with its document's focus, its "also called" names, and a
qtype), all of them, answered or not:

- **positive**: the FAQ's focus is a focus the question asks about (`focus_key`-equal to its
  name or one of its synonyms) and the FAQ's type (`QTYPE_MAP`) is a type asked about that
  focus (LiveQA's types through `TYPE_MAP`);
- **same focus** (negative, the hard case): the same focus, but a type the question does not
  ask about it; left out when the question asks for "information" on it (any answer about the
  subject then answers in part);
- **other focus** (negative): an FAQ of a type the question asks, whose focus is none of the
  question's, nor contains or is contained in one ("amyloidosis" for "cardiac amyloidosis" is
  neither positive nor negative), the one sharing the most rare words with the question.

An FAQ whose qtype has no counterpart among the analysis's types (brand names, research...) is
left out. Each question gives at most MAX_POSITIVES, MAX_SAME_FOCUS and MAX_OTHER_FOCUS pairs
(a fixed, hash-ordered choice among distinct FAQ texts), so that one much-asked subject does
not fill the set, and the classes stay near MEDIQA's (57% not entailed). A question's pairs are
all held for checking or all fitted on (`Pair.check`), never split.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from healthqa.evaluate.liveqa import MAX_EXTRA_TERMS as MAX_EXTRA
from healthqa.evaluate.liveqa import TYPE_MAP, LiveQAQuestion, focus_key, load_liveqa
from healthqa.ingest.inputs import Input, expand
from healthqa.ingest.medquad import FAQ, faqs
from healthqa.questions import TYPE_WORDS
from healthqa.text import terms

# MedQuAD's qtypes -> the analysis's types (`healthqa.questions.TYPES` and "information");
# None: no counterpart, the FAQ is left out. Chosen as LiveQA's are mapped (docs/quality.md).
QTYPE_MAP: dict[str, str | None] = {
    "information": "information",
    "other information": None,
    "how can i learn more": "information",
    "support groups": "information",
    "how does it work": "information",
    "symptoms": "symptoms",
    "treatment": "treatment",
    "how effective is it": "treatment",
    "causes": "cause",
    "inheritance": "cause",
    "genetic changes": "cause",
    "susceptibility": "cause",
    "frequency": None,
    "exams and tests": "diagnosis",
    "outlook": "outlook",
    "complications": "outlook",
    "stages": None,
    "prevention": "prevention",
    "why get vaccinated": "prevention",
    "when to contact a medical professional": "when to see a doctor",
    "side effects": "side effects",
    "severe reaction": "side effects",
    "precautions": "side effects",
    "important warning": "side effects",
    "contraindication": "side effects",
    "interactions with medications": "side effects",
    "interactions with herbs and supplements": "side effects",
    "interactions with foods": "side effects",
    "indication": "medicine use",
    "usage": "medicine use",
    "dose": "medicine use",
    "forget a dose": "medicine use",
    "storage and disposal": "medicine use",
    "dietary": "medicine use",
    "emergency or overdose": None,
    "brand names": None,
    "brand names of combination products": None,
    "considerations": None,
    "research": None,
}

MAX_POSITIVES = 6
MAX_SAME_FOCUS = 2
MAX_OTHER_FOCUS = 1
CHECK_SHARE = 4  # one question in 4 is held for checking
SALT = "healthqa-rqe-set-1"

KINDS = ("positive", "same focus", "other focus")


@dataclass(frozen=True)
class Pair:
    """A consumer question, an FAQ, whether the question entails it, and why."""

    group: str  # the consumer question's id: its pairs are never split
    chq: str
    faq: str
    label: bool
    kind: str  # one of KINDS

    @property
    def check(self) -> bool:
        """Held for checking (a fixed hash of the question's id), never fitted on."""
        digest = hashlib.sha256(f"{SALT}:{self.group}".encode()).digest()
        return digest[0] % CHECK_SHARE == 0


@dataclass(frozen=True)
class _Faq:
    text: str
    type: str
    keys: frozenset[frozenset[str]]  # its focus's names, as `focus_key`s
    subject: frozenset[str]  # its terms less question-type words


def read_faqs(path: Path) -> list[FAQ]:
    """Every question of the MedQuAD release at `path` (a folder or an archive)."""
    return [
        faq
        for item in expand(path)
        if isinstance(item, Input) and item.suffix == ".xml"
        for faq in faqs(item)
    ]


def _usable(found: Iterable[FAQ]) -> list[_Faq]:
    """The FAQs with a focus and a mapped type, one per (text, type)."""
    kept: dict[tuple[str, str], _Faq] = {}
    for faq in found:
        kind = QTYPE_MAP.get(faq.qtype)
        if kind is None or faq.topic is None:
            continue
        names = (faq.topic.name, *faq.topic.synonyms)
        keys = frozenset(key for key in map(focus_key, names) if key)
        if keys and (faq.question, kind) not in kept:
            subject = frozenset(terms(faq.question)) - TYPE_WORDS
            kept[faq.question, kind] = _Faq(faq.question, kind, keys, subject)
    return list(kept.values())


class _Faqs:
    """The usable FAQs, found by focus and by word."""

    def __init__(self, found: Iterable[FAQ]) -> None:
        self.all = _usable(found)
        self.by_key: dict[frozenset[str], list[int]] = defaultdict(list)
        self.by_term: dict[str, list[int]] = defaultdict(list)
        for number, faq in enumerate(self.all):
            for key in faq.keys:
                self.by_key[key].append(number)
            for term in faq.subject:
                self.by_term[term].append(number)
        total = len(self.all) + 1
        self.idf = {t: math.log(total / (1 + len(ids))) for t, ids in self.by_term.items()}

    def related(self, wanted: Iterable[frozenset[str]]) -> set[int]:
        """FAQs whose focus contains or is contained in a wanted one (as `focus_matches`)."""
        keys = list(wanted)
        return {
            number
            for key, numbers in self.by_key.items()
            if any(key <= want or (want <= key and len(key - want) <= MAX_EXTRA) for want in keys)
            for number in numbers
        }

    def sharing_words(self, question: str, excluded: set[int]) -> list[int]:
        """FAQs (not in `excluded`) by the summed rarity of the words they share with the
        question, most first."""
        score: defaultdict[int, float] = defaultdict(float)
        for term in set(terms(question)) - TYPE_WORDS:
            for number in self.by_term.get(term, ()):
                if number not in excluded:
                    score[number] += self.idf[term]
        return [number for number, _ in sorted(score.items(), key=lambda item: (-item[1], item[0]))]


def build_pairs(questions: Sequence[LiveQAQuestion], found: Iterable[FAQ]) -> list[Pair]:
    """The consumer-shaped pairs of every question that names a focus MedQuAD has."""
    index = _Faqs(found)
    return [pair for question in questions for pair in _question_pairs(question, index)]


def _question_pairs(question: LiveQAQuestion, index: _Faqs) -> Iterator[Pair]:
    asked: dict[frozenset[str], set[str]] = defaultdict(set)
    for focus, kind in question.asked:
        if key := focus_key(focus):
            asked[key].add(TYPE_MAP.get(kind, kind))
    positives, same = [], []
    for key, kinds in asked.items():
        for number in index.by_key.get(key, ()):
            faq = index.all[number]
            if faq.type in kinds:
                positives.append(faq.text)
            elif "information" not in kinds:
                same.append(faq.text)
    if not positives and not same:
        return  # MedQuAD has no FAQ on its focus: no hard case to learn from
    related = index.related(asked)
    kinds = set().union(*asked.values())
    sharing = [index.all[n] for n in index.sharing_words(question.text, related)]
    others = [faq.text for faq in sharing if faq.type in kinds and faq.text not in positives]
    chosen = (
        ("positive", True, _pick(question.id, positives, MAX_POSITIVES)),
        ("same focus", False, _pick(question.id, same, MAX_SAME_FOCUS, set(positives))),
        ("other focus", False, list(dict.fromkeys(others))[:MAX_OTHER_FOCUS]),
    )
    for kind, label, texts in chosen:
        for text in texts:
            yield Pair(question.id, question.text, text, label, kind)


def _pick(group: str, texts: Sequence[str], most: int, taken: set[str] | None = None) -> list[str]:
    """At most `most` distinct texts (none in `taken`), in a fixed order by hash."""
    distinct = [text for text in dict.fromkeys(texts) if text not in (taken or set())]
    distinct.sort(key=lambda text: hashlib.sha256(f"{SALT}:{group}:{text}".encode()).digest())
    return distinct[:most]


def counts(pairs: Sequence[Pair]) -> dict[str, int]:
    """How many pairs of each kind, and how many questions gave any."""
    found = Counter(pair.kind for pair in pairs)
    return {
        "questions": len({pair.group for pair in pairs}),
        **{kind: found[kind] for kind in KINDS},
        "pairs": len(pairs),
    }


def consumer_pairs(data: Path) -> list[Pair]:
    """The set from a data folder laid out as ../shared/data."""
    questions = load_liveqa(data / "liveqa2017-train")
    return build_pairs(questions, read_faqs(data / "medquad.tar.gz"))
