"""Keep a derived index in step with the store by replaying the change log.

The index records the last change-log sequence number it applied. `sync` applies every change
after it (re-reading each touched article: published ones are indexed again, retired ones
removed), so a crash between a database commit and an index update is repaired the next time
anything syncs. `rebuild` starts from nothing. An index that claims changes the database never
had (a different or restored database) is rebuilt.
"""

from __future__ import annotations

from healthqa.articles import Article
from healthqa.index.lexical import LexicalIndex
from healthqa.store import ArticleFilter, NotFound, Store

_PAGE = 1000


def sync(store: Store, index: LexicalIndex) -> int:
    """Apply the changes the index has not seen; returns how many articles were touched."""
    newest = store.stats()["last_change"]
    if index.last_seq > newest or (index.last_seq == 0 and newest > 0):
        return rebuild(store, index)
    touched: set[int] = set()
    last = index.last_seq
    while changes := store.changes_since(last, _PAGE):
        touched.update(change.article_id for change in changes)
        last = changes[-1].seq
    if not touched:
        return 0
    current = [_article(store, article_id) for article_id in sorted(touched)]
    index.upsert(a for a in current if a is not None and a.status == "published")
    index.delete(i for i, a in zip(sorted(touched), current, strict=True) if _gone(a))
    index.commit(last)
    return len(touched)


def rebuild(store: Store, index: LexicalIndex) -> int:
    """Index every published article from scratch; returns how many."""
    newest = store.stats()["last_change"]
    index.clear()
    count = index.upsert(store.iter_articles(ArticleFilter(status="published")))
    index.commit(newest)
    return count


def _article(store: Store, article_id: int) -> Article | None:
    try:
        return store.get_article(article_id)
    except NotFound:
        return None


def _gone(article: Article | None) -> bool:
    return article is None or article.status != "published"
