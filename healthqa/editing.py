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
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any, Literal

from healthqa import bodies, ingest
from healthqa import clean as cleaning
from healthqa.articles import Article, ArticleRecord, BodyFormat, CleanArticle, Link, TopicRecord
from healthqa.library import Library
from healthqa.store import Conflict, NotFound

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
    body_format: BodyFormat | Literal["markdown"] = "html"
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


def review(
    library: Library,
    key: int | str,
    reviewed: date,
    next_review: date,
    revision: int,
    author: str,
    reason: str,
) -> Article:
    """Record that article `key` (at `revision`) was reviewed on `reviewed`, and when it is
    next due: a revision changing the two dates alone."""
    if next_review <= reviewed:
        raise EditError("next_review", "the next review date must come after the review")
    current = library.primary.get_article(key)
    draft = replace(draft_of(current, reason), last_reviewed=reviewed, next_review=next_review)
    return update(library, current.id, draft, revision_etag(current.id, revision), author)


def restore_revision(
    library: Library, key: int | str, number: int, revision: int, author: str
) -> Article:
    """Bring back revision `number` of article `key` (at `revision`) as a new revision: its
    content, and its related articles when it recorded them. Its status stays as it is now."""
    history = library.primary.revisions(key)
    old = next((r for r in history if r.number == number), None)
    if old is None:
        raise NotFound(f"article {key} has no revision {number}")
    reason = f"Restored revision {number}"
    article_id = history[0].article_id
    draft = _draft_from(old.content, reason)
    article = update(library, article_id, draft, revision_etag(article_id, revision), author)
    if "related" in old.content:
        chosen = [(int(target), str(action)) for action, target in old.content["related"]]
        store = library.primary
        article = store.replace_related_overrides(article_id, chosen, None, author, reason)
    return article


def related_choices(
    library: Library, key: int | str, pins: Sequence[str], excludes: Sequence[str]
) -> list[tuple[int, str]]:
    """`pins` (ids or slugs, in order) and `excludes` as (article id, "pin" or "exclude"), each
    checked: `EditError` for an article that does not exist, or the article itself."""
    own = library.primary.get_article(key).id
    chosen = [(_target(library, other), "pin") for other in pins]
    chosen += [(_target(library, other), "exclude") for other in excludes]
    if any(target == own for target, _ in chosen):
        raise EditError("related", "an article cannot be related to itself")
    return chosen


def set_related(
    library: Library,
    key: int | str,
    chosen: Sequence[tuple[int, str]],
    revision: int | None,
    author: str,
    reason: str,
) -> Article:
    """Make `chosen` (from `related_choices`) the article's pinned and excluded related
    articles: one revision when that changes them, none otherwise."""
    store = library.primary
    article_id = store.get_article(key).id
    return store.replace_related_overrides(article_id, chosen, revision, author, _reason(reason))


def draft_of(article: Article, reason: str) -> Draft:
    """The article's content as a draft to change (its body as HTML)."""
    topic = article.topic
    return Draft(
        title=article.title,
        body=article.body_html,
        reason=reason,
        topic=TopicRecord(topic.name, tuple(topic.synonyms), topic.category) if topic else None,
        question_type=article.question_type,
        source_url=article.source_url,
        licence=article.licence,
        language=article.language,
        last_reviewed=article.last_reviewed,
        next_review=article.next_review,
    )


def markdown_of(library: Library, article: Article) -> str | None:
    """The article's answer as Markdown when that saves back to exactly the answer it has
    (healthqa.bodies), else None: then it is edited as HTML."""
    markdown = bodies.to_markdown(article.body_html)
    if markdown is None:
        return None
    draft = replace(draft_of(article, "check"), body=markdown, body_format="markdown")
    try:
        same = preview(library, draft) == article.body_html
    except EditError:
        same = False
    return markdown if same else None


def preview(library: Library, draft: Draft) -> str:
    """The answer's HTML exactly as saving `draft` would keep it (and the site show it)."""
    return _clean(library, _record(draft, DEFAULT_SOURCE, "preview")).body_html


def _draft_from(content: dict[str, Any], reason: str) -> Draft:
    """A revision's recorded content as a draft."""
    topic = content.get("topic")
    return Draft(
        title=content["title"],
        body=content["body_html"],
        reason=reason,
        topic=TopicRecord(topic["name"], tuple(topic["synonyms"]), topic.get("category"))
        if topic
        else None,
        question_type=content.get("question_type"),
        source_url=content.get("source_url"),
        licence=content.get("licence"),
        language=content.get("language") or "en",
        last_reviewed=_day(content.get("last_reviewed")),
        next_review=_day(content.get("next_review")),
    )


def _target(library: Library, key: str) -> int:
    try:
        return library.primary.get_article(key.strip()).id
    except NotFound:
        raise EditError("related", f"there is no article {key.strip()!r}") from None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# What a draft says of the article's content: the record's fields of the same names.
_CONTENT = tuple(f.name for f in fields(Draft) if f.name not in ("reason", "source", "external_id"))


def _record(draft: Draft, source: str, external_id: str) -> ArticleRecord:
    content = {name: getattr(draft, name) for name in _CONTENT}
    if draft.body_format == "markdown":
        content |= {"body": bodies.to_html(draft.body), "body_format": "html"}
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
    if record.source_url is not None and not ingest.is_web_url(record.source_url):
        raise EditError("source_url", "source_url: give an address starting http:// or https://")
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
