"""Search-result snippets: the stretch of an article that holds most of the searched words.

Words are matched by the same analysis the index uses (so "cramping" marks "cramps"). The text
is HTML-escaped first and only the `<mark>` tags are ours, so an article can never inject
markup through a snippet.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from functools import lru_cache

from healthqa.text import STOP, terms

SNIPPET_CHARS = 220


def snippet(text: str, query: str, length: int = SNIPPET_CHARS) -> str:
    """About `length` characters of `text` around the searched words, as safe HTML."""
    wanted = set(terms(query))
    spans = _matches(text, wanted) if wanted else []
    start = _best_start(text, spans, length)
    end = min(len(text), start + length)
    if end < len(text):
        end = max(text.rfind(" ", start, end), start + length // 2)
    return _render(text, start, end, spans)


def _matches(text: str, wanted: set[str]) -> list[tuple[int, int, str]]:
    """(start, end, term) of each word of `text` whose term was searched for.

    Only words that begin like a searched term are analysed (a regex finds them), so a long
    article costs little more than a short one.
    """
    prefixes = sorted({re.escape(term[:3]) for term in wanted}, key=len, reverse=True)
    candidates = re.compile(r"\b(?:" + "|".join(prefixes) + r")\w*", re.IGNORECASE)
    found = []
    for match in candidates.finditer(text):
        term = _term(match.group().casefold())
        if term in wanted:
            found.append((match.start(), match.end(), term))
    return found


@lru_cache(maxsize=100_000)
def _term(word: str) -> str | None:
    """The index term of one word (None for a stop word)."""
    analysed = terms(word, STOP)
    return analysed[0] if analysed else None


def _best_start(text: str, spans: list[tuple[int, int, str]], length: int) -> int:
    """Where the window with the most distinct searched terms begins (at a sentence if near)."""
    best, best_count = 0, 0
    inside: Counter[str] = Counter()
    ahead = 0
    for start, _, term in spans:  # a window sliding from one match to the next
        while ahead < len(spans) and spans[ahead][0] < start + length:
            inside[spans[ahead][2]] += 1
            ahead += 1
        if len(inside) > best_count:
            best, best_count = start, len(inside)
        inside[term] -= 1
        if not inside[term]:
            del inside[term]
    if best == 0:
        return 0
    sentence = max(text.rfind(". ", 0, best), text.rfind("\n", 0, best))
    if sentence != -1 and best - sentence < length // 3:
        return sentence + 1 + (text[sentence] == ".")
    space = text.rfind(" ", 0, max(best - 20, 0))
    return space + 1 if space != -1 else 0


def _render(text: str, start: int, end: int, spans: list[tuple[int, int, str]]) -> str:
    parts = ["..." if start > 0 else ""]
    cursor = start
    for s, e, _ in spans:
        if s < start or e > end:
            continue
        parts += [html.escape(text[cursor:s]), "<mark>", html.escape(text[s:e]), "</mark>"]
        cursor = e
    parts.append(html.escape(text[cursor:end]))
    parts.append("..." if end < len(text) else "")
    return "".join(parts).strip()
