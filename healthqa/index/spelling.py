"""Tolerance of misspelt medical words: "ciprofaxin", "Gabamentine", "dianosed".

The vocabulary is the analysed words of every article's title and topic names: that is where
the names of conditions, medicines and tests are. A question term the collection never uses is
replaced by the closest vocabulary term (rapidfuzz, normalised Levenshtein similarity at least
0.7, same first letter), and searched with ordinary BM25 weight; shorter words are left alone,
since a 4-letter typo is too often another real word. A word the articles' text uses in at
least KNOWN_IN articles is a real word, not a misspelling, even when no title has it:
"crushing chest pain" must not become "Cushing's", nor "calves" "Legg-Calvé-Perthes".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

MIN_LENGTH = 5
MIN_SIMILARITY = 0.7
KNOWN_IN = 3  # articles whose text must use a word for it to count as a real word
REMEMBERED = 50_000  # answers kept per speller: a question's words are looked up once


class Speller:
    """Corrections against a vocabulary of terms with their document frequencies."""

    def __init__(
        self, vocabulary: Counter[str], known: Callable[[str], bool] | None = None
    ) -> None:
        """`known(term)` says whether the collection uses `term` as a word of its own."""
        self.vocabulary = vocabulary
        self._known = known
        self._by_letter: dict[str, list[str]] = {}
        self._answers: dict[str, str | None] = {}
        for term in vocabulary:
            self._by_letter.setdefault(term[0], []).append(term)

    @classmethod
    def from_texts(cls, texts: Iterable[list[str]]) -> Speller:
        """From the analysed terms of each title (one list per article)."""
        vocabulary: Counter[str] = Counter()
        for article_terms in texts:
            vocabulary.update(set(article_terms))
        return cls(vocabulary)

    def correct(self, term: str) -> str | None:
        """The vocabulary term `term` most likely misspells, or None when there is none.

        Answers are remembered (the speller is made anew when the index changes): most
        question words are common ones, and each look-up asks the index and may scan the
        vocabulary."""
        if term in self._answers:
            return self._answers[term]
        if len(self._answers) >= REMEMBERED:
            self._answers.clear()
        found = self._answers[term] = self._correct(term)
        return found

    def _correct(self, term: str) -> str | None:
        if len(term) < MIN_LENGTH or term in self.vocabulary or term.isdigit():
            return None
        if self._known is not None and self._known(term):
            return None
        choices = self._by_letter.get(term[0], [])
        found = process.extractOne(
            term,
            choices,
            scorer=Levenshtein.normalized_similarity,
            score_cutoff=MIN_SIMILARITY,
        )
        return found[0] if found else None
