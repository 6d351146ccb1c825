"""Other words for the same thing: topic synonyms and everyday words for medical ones.

A question that uses a topic's "also called" name ("molar pregnancy") is also searched for the
topic's main name ("hydatidiform mole"); one that uses an everyday word ("charley horse",
"heartburn") is also searched for the words articles use ("muscle cramp", "acid reflux"). The
everyday words are a reviewed data file, `healthqa/data/consumer-terms.tsv`; the synonyms
come from the topics in the store. Added words count `EXPANSION_WEIGHT` (half a question
word): they widen the search without drowning the reader's own words.

A synonym the collection brings that is made only of common words ("Disease", "Syndrome",
"Child" are "also called" names of single MedQuAD topics) is no key: it would add that topic's
name to every question using the word. `common` says which words are common (Search: in more
than COMMON_SHARE of the articles).

The semantic ranking gets the reviewed pairs' help in its own form: the question is embedded
with their medical phrases, as written, after it (`meanings`), so "the runs" is embedded as
"the runs (diarrhea diarrhoea)" and lands nearer the articles that use the word. The
collection's synonyms are left out of it: they are names the embedding model already reads,
and appended to a long question they pulled it off its subject (docs/quality.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from healthqa.articles import Topic
from healthqa.text import terms

EXPANSION_WEIGHT = 0.5
CONSUMER_TERMS = Path(__file__).resolve().parents[1] / "data" / "consumer-terms.tsv"
_LONGEST = 5  # words in the longest phrase looked for


class Vocabulary:
    """Phrases (as analysed term tuples) and the terms each adds to a query."""

    def __init__(
        self,
        expansions: dict[tuple[str, ...], tuple[str, ...]],
        written: dict[tuple[str, ...], tuple[str, ...]] | None = None,
    ) -> None:
        self.expansions = expansions
        self.written = written or {}  # each reviewed key's meanings, as the file writes them
        # The longest phrase each term starts, of either table: most question words start none.
        self._starts: dict[str, int] = {}
        for phrase in (*expansions, *self.written):
            self._starts[phrase[0]] = max(len(phrase), self._starts.get(phrase[0], 0))

    @classmethod
    def build(
        cls,
        topics: Iterable[Topic],
        consumer_file: Path = CONSUMER_TERMS,
        common: Callable[[str], bool] | None = None,
    ) -> Vocabulary:
        expansions: dict[tuple[str, ...], tuple[str, ...]] = {}
        written: dict[tuple[str, ...], tuple[str, ...]] = {}
        for phrase, medical in read_pairs(consumer_file):
            if _add(expansions, phrase, medical, reviewed=True):
                key = tuple(terms(phrase))
                written[key] = tuple(dict.fromkeys((*written.get(key, ()), medical)))
        for topic in topics:
            for synonym in topic.synonyms:
                if common is None or not all(map(common, terms(synonym))):
                    _add(expansions, synonym, topic.name)
        return cls(expansions, written)

    def expand(self, question_terms: list[str]) -> dict[str, float]:
        """Terms to add for the phrases found in `question_terms`, with their weight."""
        added: dict[str, float] = {}
        for alternatives in self.alternatives(question_terms).values():
            for term in alternatives:
                if term not in question_terms:
                    added[term] = EXPANSION_WEIGHT
        return added

    def meanings(self, question_terms: list[str]) -> list[str]:
        """The medical phrases, as written, of the reviewed everyday phrases found in
        `question_terms`, longest phrase first, each once."""
        found: dict[str, None] = {}
        for size, start in self._places(question_terms):
            for meaning in self.written.get(tuple(question_terms[start : start + size]), ()):
                found.setdefault(meaning)
        return list(found)

    def alternatives(self, question_terms: list[str]) -> dict[str, set[str]]:
        """For each question term inside a known phrase, the terms that may stand for it."""
        found: dict[str, set[str]] = {}
        for size, start in self._places(question_terms):
            phrase = tuple(question_terms[start : start + size])
            for term in phrase if phrase in self.expansions else ():
                found.setdefault(term, set()).update(self.expansions[phrase])
        return found

    def _places(self, question_terms: list[str]) -> list[tuple[int, int]]:
        """(size, start) of every span of the question that could be a known phrase (its
        first term starts one that long), longest first, then left to right."""
        starts = [
            (start, self._starts[term])
            for start, term in enumerate(question_terms)
            if term in self._starts
        ]
        return [
            (size, start)
            for size in range(_LONGEST, 0, -1)
            for start, longest in starts
            if size <= longest and start + size <= len(question_terms)
        ]


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """The (everyday phrase, medical phrase) pairs of a tab-separated file; # starts a comment."""
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not all(field.strip() for field in fields):
            raise ValueError(f"{path}:{number}: expected two phrases separated by one tab")
        pairs.append((fields[0].strip(), fields[1].strip()))
    return pairs


def _add(
    expansions: dict[tuple[str, ...], tuple[str, ...]],
    phrase: str,
    meaning: str,
    reviewed: bool = False,
) -> bool:
    """Map `phrase` to the terms of `meaning`; False when it is no key. One short word is too loose
    a key among the synonyms a collection brings ("sugar" yes, "cold" no): those need 5+
    letters or 2 words. A reviewed pair (the consumer file) may be one short word written
    alone ("hives", "piles"), but not a phrase that stop words shrink to one ("passing out"
    to "pass")."""
    key, value = tuple(terms(phrase)), tuple(terms(meaning))
    one_word = len(phrase.split()) == 1
    loose = len(key) == 1 and len(key[0]) < 5 and not (reviewed and one_word)
    if not key or not value or key == value or loose:
        return False
    expansions[key] = tuple(dict.fromkeys(expansions.get(key, ()) + value))
    return True
