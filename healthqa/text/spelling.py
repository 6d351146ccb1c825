"""Misspelt words read as the vocabulary word they slip from: one speller, three tolerances.

A `Tolerance` says how near a word must be to a vocabulary word to be read as it, and how long
it must be to be corrected at all (a short typo is too often another real word):

- `STRICT`, the search's own corrections ("ciprofaxin", "Gabamentine", "dianosed"): normalised
  Levenshtein similarity at least 0.7 (rapidfuzz), same first letter, 5 letters or more.
- `LOOSE`, the web's "did you mean" when a search found nothing: similarity at least 0.6, any
  first letter, 4 letters or more; a reader judges the guess.
- `SLIP`, the urgent-symptom rules ("siezure", "unconcious"): one letter missing or added, or
  two neighbours swapped, same first letter, 6 letters or more. A changed letter is not a
  slip: it too often makes another real word ("cooking" is not "choking").

Of several words equally near, the first of the vocabulary's order is taken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein

from healthqa.text.analysis import stem, written_words

REMEMBERED = 50_000  # answers kept per speller: a text's words are looked up once
Known = Callable[[str], bool] | None  # says a word is real, though not in the vocabulary


def one_slip(word: str, other: str, *, score_cutoff: float | None = None) -> float:
    """1.0 when `word` is `other` with one letter missing or added or two neighbours swapped."""
    if abs(len(word) - len(other)) == 1:
        return float(OSA.distance(word, other, score_cutoff=1) <= 1)
    return float(
        len(word) == len(other)
        and OSA.distance(word, other, score_cutoff=1) == 1
        and Levenshtein.distance(word, other, score_cutoff=2) == 2
    )


@dataclass(frozen=True)
class Tolerance:
    """How near a word must be to a vocabulary word, by `scorer`, to be read as it."""

    min_length: int
    min_score: float
    same_first_letter: bool = True
    scorer: Callable[..., float] = Levenshtein.normalized_similarity


STRICT = Tolerance(min_length=5, min_score=0.7)
LOOSE = Tolerance(min_length=4, min_score=0.6, same_first_letter=False)
SLIP = Tolerance(min_length=6, min_score=1.0, scorer=one_slip)


def closest(word: str, choices: Sequence[str], tolerance: Tolerance) -> str | None:
    """The choice nearest `word` within `tolerance` (`word` itself if it is one), or None."""
    if word in choices:
        return word
    found = process.extractOne(
        word, choices, scorer=tolerance.scorer, score_cutoff=tolerance.min_score
    )
    return str(found[0]) if found else None


class Speller:
    """Corrections against a vocabulary, within one tolerance."""

    def __init__(
        self, vocabulary: Iterable[str], tolerance: Tolerance, known: Known = None
    ) -> None:
        """`known(word)` says a word is real, though not in the vocabulary: it is left alone."""
        self.tolerance = tolerance
        self._known = known
        self._by_letter: dict[str, list[str]] = {}
        for word in dict.fromkeys(vocabulary):
            self._by_letter.setdefault(self._bucket(word), []).append(word)
        self.vocabulary = frozenset(w for words in self._by_letter.values() for w in words)
        self._answers: dict[str, str | None] = {}

    def correct(self, word: str) -> str | None:
        """The vocabulary word `word` most likely misspells, or None when there is none.

        Answers are remembered (make a speller anew when the vocabulary changes): most words
        are common ones, and a look-up may scan the vocabulary and ask `known`."""
        if word in self._answers:
            return self._answers[word]
        if len(self._answers) >= REMEMBERED:
            self._answers.clear()
        found = self._answers[word] = self._correct(word)
        return found

    def _correct(self, word: str) -> str | None:
        too_short = len(word) < self.tolerance.min_length
        if too_short or word in self.vocabulary or word.isdigit():
            return None
        if self._known is not None and self._known(word):
            return None
        return closest(word, self._by_letter.get(self._bucket(word), []), self.tolerance)

    def _bucket(self, word: str) -> str:
        return word[0] if self.tolerance.same_first_letter else ""


class WrittenWords:
    """Words as readers write them (`written_words`), by stem: respellings to suggest."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.words = sorted({word for text in texts for word in written_words(text)})
        self.known = frozenset(self.words)
        self.by_stem: dict[str, list[str]] = {}
        for word in self.words:
            self.by_stem.setdefault(stem(word), []).append(word)

    def closest(self, word: str, among: list[str] | None = None) -> str | None:
        """The word (of `among`, if given) nearest `word` within the `LOOSE` tolerance."""
        return closest(word, self.words if among is None else among, LOOSE)
