""" "Did you mean": a close spelling of a search that found nothing.

The search itself already corrects misspelt words it is sure of (`text.STRICT`). When a search
still finds nothing, the page offers a looser guess, in words a reader can read: each word the
collection never uses is replaced by the closest word of the article titles and topic names
(`text.LOOSE`). The guess is offered only when it finds something.
"""

from __future__ import annotations

import re

from healthqa.store import ArticleFilter
from healthqa.text import LOOSE, STOP, WRITTEN_WORD, WrittenWords, stem, terms, written_words
from healthqa.web.site import Site


def did_you_mean(site: Site, text: str) -> str | None:
    """A respelling of `text` that finds articles, or None."""
    words = site.cached("suggest-words", lambda: _words(site), expires=False)
    index = site.library.index
    typed = written_words(text)
    changed = []
    for word in typed:
        known = word in words.known or index.doc_freq("body", stem(word)) > 0
        if len(word) < LOOSE.min_length or word in STOP or known:
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

    shown = WRITTEN_WORD.sub(fix, text)
    return shown if changed else None


def _words(site: Site) -> WrittenWords:
    store = site.library.store
    titles = (a.title for a in store.iter_articles(ArticleFilter(status="published")))
    topics = [" ".join([t.name, *t.synonyms]) for t in store.topics()]
    return WrittenWords([*titles, *topics])
