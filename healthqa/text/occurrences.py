"""Where searched terms stand in a text: the words a snippet or passage marks.

Words are matched by the same analysis the index uses, so "cramping" in a question finds
"cramps" in an article. Only words that begin like a searched term are analysed (a regular
expression finds them), so a long article costs little more than a short one.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from healthqa.text.analysis import STEMS_REMEMBERED, STOP, terms


class Occurrence(NamedTuple):
    """A word of a text, at text[start:end], whose index term is `term`."""

    start: int
    end: int
    term: str


def occurrences(text: str, wanted: set[str]) -> list[Occurrence]:
    """Each word of `text` whose index term is one of `wanted`, first to last."""
    if not wanted:
        return []
    prefixes = sorted({re.escape(term[:3]) for term in wanted}, key=len, reverse=True)
    candidates = re.compile(r"\b(?:" + "|".join(prefixes) + r")\w*", re.IGNORECASE)
    found = []
    for match in candidates.finditer(text):
        term = _term(match.group().casefold())
        if term in wanted:
            found.append(Occurrence(match.start(), match.end(), term))
    return found


@lru_cache(maxsize=STEMS_REMEMBERED)
def _term(word: str) -> str | None:
    """The index term of one word (None for a stop word)."""
    analysed = terms(word, STOP)
    return analysed[0] if analysed else None
