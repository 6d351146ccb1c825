""" "Did you mean": a close spelling of a search that found nothing.

The search itself already corrects misspelt words it is sure of (`index.spelling`). When a
search still finds nothing, the page offers a looser guess, in words a reader can read: each
word the collection never uses is replaced by the closest word of the article titles and topic
names (normalised Levenshtein similarity at least `MIN_SIMILARITY`). The guess is offered only
when it finds something.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from healthqa.store import ArticleFilter
from healthqa.text import STOP, stem, terms
from healthqa.web.site import Site

MIN_SIMILARITY = 0.6
MIN_LENGTH = 4
_WORD = re.compile(r"[^\W\d_]+")


class Words:
    """The surface words of titles and topic names, to suggest from."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.words = sorted({w for text in texts for w in _WORD.findall(text.casefold())})
        self.known = frozenset(self.words)
        self.by_stem: dict[str, list[str]] = {}
        for word in self.words:
            self.by_stem.setdefault(stem(word), []).append(word)

    def closest(self, word: str, among: list[str] | None = None) -> str | None:
        found = process.extractOne(
            word,
            self.words if among is None else among,
            scorer=Levenshtein.normalized_similarity,
            score_cutoff=MIN_SIMILARITY,
        )
        return str(found[0]) if found else None


def did_you_mean(site: Site, text: str) -> str | None:
    """A respelling of `text` that finds articles, or None."""
    words = site.cached("suggest-words", lambda: _words(site), expires=False)
    index = site.library.index
    typed = _WORD.findall(text.casefold())
    changed = []
    for word in typed:
        known = word in words.known or index.doc_freq("body", stem(word)) > 0
        if len(word) < MIN_LENGTH or word in STOP or known:
            changed.append(word)
        else:
            changed.append(words.closest(word) or word)
    if changed == typed:
        return None
    suggestion = " ".join(changed)
    return suggestion if site.library.search.hits(suggestion, 1) else None


def corrected_text(site: Site, text: str) -> str | None:
    """`text` as the search read it, when it corrected a misspelt word, else None.

    The search corrects analysed terms (`Search.speller`); each corrected word is shown as the
    word of the titles and topics that has the corrected stem and is closest to what was typed
    ("diabetis treatment" -> "diabetes treatment").
    """
    words = site.cached("suggest-words", lambda: _words(site), expires=False)
    speller = site.library.search.speller
    changed = False

    def fix(match: re.Match[str]) -> str:
        nonlocal changed
        typed = match.group(0)
        found = terms(typed)
        fixed = speller.correct(found[0]) if len(found) == 1 else None
        among = words.by_stem.get(fixed or "", [])
        better = words.closest(typed.casefold(), among) or (among[0] if among else None)
        if better is None or better == typed.casefold():
            return typed
        changed = True
        return better

    shown = _WORD.sub(fix, text)
    return shown if changed else None


def _words(site: Site) -> Words:
    store = site.library.store
    titles = (a.title for a in store.iter_articles(ArticleFilter(status="published")))
    topics = [" ".join([t.name, *t.synonyms]) for t in store.topics()]
    return Words([*titles, *topics])
