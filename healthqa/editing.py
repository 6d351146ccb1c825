"""Editors' changes to articles: create, update, retire and restore, each one a revision.

Every change goes through the same cleaning as an import (`healthqa.clean.clean`: sanitised with
nh3, repeats dropped, hashed) and the same limits, and is saved by the store's revision
machinery with the editor's token name as author and the editor's reason, so it lands in the
change log and the search index follows it.

An update names the revision it edits with the article's ETag (`article_etag`, sent back in
`If-Match`). The store compares that revision inside its write transaction: of two updates of
the same revision exactly one lands, and the other gets `Conflict` instead of overwriting it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, fields, replace
from datetime import date

from healthqa import clean as cleaning
from healthqa import ingest
from healthqa.articles import Article, ArticleRecord, BodyFormat, CleanArticle, Link, TopicRecord
from healthqa.library import Library
from healthqa.store import Conflict

DEFAULT_SOURCE = "editor"
_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')
_OURS = re.compile(r"a(\d+)-r(\d+)(?:-[0-9a-f]+)?")  # the read API appends a body hash


class EditError(ValueError):
    """One field of an edit cannot be saved: it names the field and says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class PreconditionRequired(Exception):
    """An update that does not say which revision it edits (no usable `If-Match`)."""


@dataclass(frozen=True)
class Draft:
    """An article as an editor sends it, for a new article or to replace an article's content.

    An update keeps what a draft does not carry: source, external id, slug, status, links and
    meta. `source` and `external_id` name a new article (default: source "editor", a new id).
    """

    title: str
    body: str
    reason: str
    body_format: BodyFormat = "html"
    topic: TopicRecord | None = None
    question_type: str | None = None
    source_url: str | None = None
    licence: str | None = None
    language: str = "en"
    last_reviewed: date | None = None
    next_review: date | None = None
    source: str | None = None
    external_id: str | None = None


def article_etag(article: Article) -> str:
    """The ETag of an article's current revision, e.g. `"a42-r3"`."""
    return revision_etag(article.id, article.revision)


def revision_etag(article_id: int, revision: int, body_hash: str = "") -> str:
    """`"a42-r3"`, or with the hash of a response body `"a42-r3-9f1c..."`: the read API's tag,
    which changes with what a reader sees and still names the revision for If-Match."""
    return f'"a{article_id}-r{revision}' + (f"-{body_hash}" if body_hash else "") + '"'


def expected_revision(if_match: str | None, article_id: int) -> int:
    """The revision an `If-Match` header names for this article.

    No header (or `*`, which names no revision) is `PreconditionRequired`; a header that names
    no revision of this article, or only weak tags, can never match and is `Conflict`.
    """
    if if_match is None or not if_match.strip() or if_match.strip() == "*":
        raise PreconditionRequired(
            "send If-Match with the ETag of the revision you edit (from the article's ETag header)"
        )
    revisions = {
        int(found[2])
        for weak, tag in _TAG.findall(if_match)
        if not weak and (found := _OURS.fullmatch(tag)) and int(found[1]) == article_id
    }
    if not revisions:
        raise Conflict(f"If-Match {if_match.strip()} names no revision of article {article_id}")
    return max(revisions)


def create(library: Library, draft: Draft, author: str) -> Article:
    """Save a new article (revision 1) by `author`; see the module docstring."""
    reason = _reason(draft.reason)
    record = _record(draft, draft.source or DEFAULT_SOURCE, draft.external_id or _new_id())
    return library.primary.create_article(_clean(library, record), author, reason)


def update(
    library: Library, key: int | str, draft: Draft, if_match: str | None, author: str
) -> Article:
    """Replace the content of article `key`, if `if_match` names its current revision."""
    reason = _reason(draft.reason)
    current = library.primary.get_article(key)
    revision = expected_revision(if_match, current.id)
    if draft.source not in (None, current.source):
        raise EditError("source", "an article's source cannot change (re-imports match by it)")
    if draft.external_id not in (None, current.external_id):
        raise EditError("external_id", "an article's external id cannot change")
    record = replace(
        _record(draft, current.source, current.external_id),
        links=tuple(Link(link.kind, link.title, link.teaser) for link in current.links),
        meta=current.meta,
        status=current.status,
    )
    article = _clean(library, record)
    return library.primary.update_article(current.id, article, revision, author, reason)


def retire(library: Library, key: int | str, reason: str, author: str) -> Article:
    """Hide an article from readers, as a new revision; an article already retired is left
    as it is (no new revision)."""
    return library.primary.set_status(key, "retired", author, _reason(reason))


def restore(library: Library, key: int | str, reason: str, author: str) -> Article:
    """Publish a retired article again, as a new revision; a published one is left as it is."""
    return library.primary.set_status(key, "published", author, _reason(reason))


# What a draft says of the article's content: the record's fields of the same names.
_CONTENT = tuple(f.name for f in fields(Draft) if f.name not in ("reason", "source", "external_id"))


def _record(draft: Draft, source: str, external_id: str) -> ArticleRecord:
    content = {name: getattr(draft, name) for name in _CONTENT}
    return ArticleRecord(source=source, external_id=external_id, origin="editor API", **content)


def _clean(library: Library, record: ArticleRecord) -> CleanArticle:
    """The record cleaned as an import cleans it, or `EditError` naming the field at fault."""
    settings = library.settings
    limits = ingest.Limits(
        title_chars=settings["max_title_chars"], body_chars=settings["max_body_chars"]
    )
    checked = ingest.check(record, limits)
    if isinstance(checked, ingest.Problem):
        field = checked.field or "body"
        raise EditError(field, f"{field}: {checked.reason}: {checked.detail}")
    if record.topic is not None and not record.topic.name.strip():
        raise EditError("topic.name", "a topic needs a name")
    article = cleaning.clean(record)
    if not article.title:
        raise EditError("title", "title: nothing is left of it once invisible characters go")
    if not article.body_text.strip():
        raise EditError("body", "nothing is left of the body once unsafe HTML is removed")
    return article


def _reason(reason: str) -> str:
    if not reason.strip():
        raise EditError("reason", "say why you make this change; it is kept in the history")
    return reason.strip()


def _new_id() -> str:
    return uuid.uuid4().hex
