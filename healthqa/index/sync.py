"""Keep a derived index in step with the store by replaying the change log.

The index records the last change-log sequence number it applied. `sync` applies every change
after it (re-reading each touched article: published ones are indexed again, retired ones
removed), so a crash between a database commit and an index update is repaired the next time
anything syncs. `rebuild` starts from nothing.

An index derived from another database is rebuilt, and so is one over another history of this
database: one that claims changes the database never had (a restored older backup), or whose
last applied change is not the database's change of that number (a restored backup written to
since, a copied file). The index keeps a `mark` to tell: the database's identity (a random id
made with it, new in each backup: `Store.identity`) and its last change's number, article, kind
and time. An index without the mark (made before marks were kept, or empty) is rebuilt too:
rebuilding costs time, trusting the wrong folder serves another site's articles.

Processes sharing an index folder (a node's web workers, a command run beside them) take turns
by a lock file in it. Each, holding the lock, first takes up what the others committed and
then applies only the changes after that, so no change is applied twice and none is missed.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager, nullcontext

from healthqa.articles import Article
from healthqa.index.lexical import LexicalIndex
from healthqa.index.locks import file_lock
from healthqa.store import ArticleFilter, NotFound, Store

_PAGE = 1000
# Changes that alter nothing the index holds (an editor's choice of related articles): they
# are taken as applied all the same, so that what is cached by the index's number goes stale.
UNINDEXED = frozenset({"related"})
LOCK_FILE = ".healthqa-sync.lock"
log = logging.getLogger("healthqa.index")
# How tantivy words a failed write (a ValueError): a full disk, or a writer thread it killed.
_IO_ERRORS = ("IO error", "io::Error", "No space left")


def sync(store: Store, index: LexicalIndex, wait: bool = True) -> int:
    """Apply the changes the index has not seen; returns how many articles were touched.

    Another process updating the same folder is waited for, or with `wait` False left to it
    (this one returns 0 at once, and has what it had). When the index cannot be written (its
    disk is full) it stays as it was, answering from the changes it has, and the next sync
    tries again: reads go on."""
    with _turn(index, wait) as ours:
        if not ours:
            return 0
        index.reload()  # what another process applied is not applied again
        try:
            return _sync(store, index)
        except (OSError, ValueError) as exc:
            if isinstance(exc, ValueError) and not any(m in str(exc) for m in _IO_ERRORS):
                raise
            index.abandon()
            log.warning(
                "the index stays at change %d: it cannot be written: %s", index.last_seq, exc
            )
            return 0


def _turn(index: LexicalIndex, wait: bool) -> AbstractContextManager[bool]:
    """This process's turn to update the index folder (always, for an index in memory)."""
    if index.path is None:
        return nullcontext(True)
    return file_lock(index.path / LOCK_FILE, wait)


def _sync(store: Store, index: LexicalIndex) -> int:
    newest = store.last_change()
    if index.last_seq > newest or index.mark != mark(store, index.last_seq):
        return _rebuild(store, index)
    touched: set[int] = set()
    last = index.last_seq
    while changes := store.changes_since(last, _PAGE):
        touched.update(c.article_id for c in changes if c.kind not in UNINDEXED)
        last = changes[-1].seq
    if last == index.last_seq:
        return 0
    current = [_article(store, article_id) for article_id in sorted(touched)]
    index.upsert(a for a in current if a is not None and a.status == "published")
    index.delete(i for i, a in zip(sorted(touched), current, strict=True) if _gone(a))
    index.commit(last, mark(store, last))
    return len(touched)


def rebuild(store: Store, index: LexicalIndex) -> int:
    """Index every published article from scratch; returns how many."""
    with _turn(index, wait=True):
        return _rebuild(store, index)


def _rebuild(store: Store, index: LexicalIndex) -> int:
    newest = store.last_change()
    index.clear()
    count = index.upsert(store.iter_articles(ArticleFilter(status="published")))
    index.commit(newest, mark(store, newest))
    return count


def mark(store: Store, seq: int) -> str:
    """Which database, and what its change-log entry `seq` was, as the index records it."""
    found = store.changes_since(seq - 1, 1) if seq > 0 else []
    change = f"{seq}:{found[0].article_id}:{found[0].kind}:{found[0].at}" if found else f"{seq}"
    return f"{store.identity()}/{change}"


def _article(store: Store, article_id: int) -> Article | None:
    try:
        return store.get_article(article_id)
    except NotFound:
        return None


def _gone(article: Article | None) -> bool:
    return article is None or article.status != "published"
