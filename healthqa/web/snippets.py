"""Search-result snippets: the stretch of an article that holds most of the searched words.

Words are found by `text.occurrences`, with the analysis the index uses (so "cramping" marks
"cramps"). The text is HTML-escaped first and only the `<mark>` tags are ours, so an article can
never inject markup through a snippet.
"""

from __future__ import annotations

import html
from collections import Counter

from healthqa.text import Occurrence, occurrences, terms

SNIPPET_CHARS = 220


def snippet(text: str, query: str, length: int = SNIPPET_CHARS) -> str:
    """About `length` characters of `text` around the searched words, as safe HTML."""
    spans = occurrences(text, set(terms(query)))
    start = _best_start(text, spans, length)
    end = min(len(text), start + length)
    if end < len(text):
        end = max(text.rfind(" ", start, end), start + length // 2)
    return _render(text, start, end, spans)


def _best_start(text: str, spans: list[Occurrence], length: int) -> int:
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


def _render(text: str, start: int, end: int, spans: list[Occurrence]) -> str:
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
