"""The records healthqa keeps: articles, topics, links between articles, revisions.

Importers yield `ArticleRecord`s (one shape, whatever the source format). Cleaning turns a
record into `CleanArticle`, the exact content the store saves. The store hands back `Article`.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

STATUSES = ("published", "retired")
BodyFormat = Literal["html", "text"]

TEASER_CHARS = 50


@dataclass(frozen=True)
class TopicRecord:
    """A topic as a source names it: "Leg cramps", also called "charley horse"."""

    name: str
    synonyms: tuple[str, ...] = ()
    category: str | None = None

    @property
    def slug(self) -> str:
        return _topic_slug(self.name)


@dataclass(frozen=True)
class Link:
    """An edge from one article to another, as a source page showed it.

    `title` names the target; the store resolves it to `target_id` once an article with that
    title exists, and keeps the link unresolved until then.
    """

    kind: str
    title: str
    teaser: str = ""
    target_id: int | None = None


@dataclass
class ArticleRecord:
    """One article as an importer read it, before cleaning.

    `origin` says where it came from ("medquad.tar.gz:MedQuAD/1_CancerGov_QA/0000001_1.xml") so
    that every later error can name the place.
    """

    source: str
    external_id: str
    title: str
    body: str
    origin: str
    body_format: BodyFormat = "html"
    source_url: str | None = None
    licence: str | None = None
    language: str = "en"
    topic: TopicRecord | None = None
    question_type: str | None = None
    last_reviewed: date | None = None
    next_review: date | None = None
    status: str = "published"
    links: tuple[Link, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    slug: str | None = None  # a preferred slug (an export keeps its URLs); taken ones get a suffix
    source_title: str | None = None  # the source's own title, when `title` was tidied (an export)


@dataclass
class ArticleText:
    """What an article says and where it comes from: the fields the cleaned record and the
    stored article share (its source's identity, title, body as HTML and as text, teaser)."""

    source: str
    external_id: str
    title: str
    body_html: str
    body_text: str
    teaser: str


@dataclass
class CleanArticle(ArticleText):
    """The content of an article exactly as the store saves it.

    `content_hash` covers every field an editor or a source can change, so that re-importing
    the same input is recognised as unchanged. `signature` is the MinHash of the text, used to
    find near-duplicates across the corpus.
    """

    origin: str
    source_url: str | None
    licence: str | None
    language: str
    topic: TopicRecord | None
    question_type: str | None
    last_reviewed: date | None
    next_review: date | None
    status: str
    links: tuple[Link, ...]
    meta: dict[str, Any]
    content_hash: str
    signature: bytes
    slug: str | None = None
    source_title: str | None = None  # the title as the source wrote it, before tidying


@dataclass
class Article(ArticleText):
    """An article as stored, with its identity and history counters."""

    id: int
    slug: str
    source_url: str | None
    licence: str | None
    language: str
    topic: Topic | None
    question_type: str | None
    created: str
    updated: str
    last_reviewed: date | None
    next_review: date | None
    status: str
    revision: int
    content_hash: str
    meta: dict[str, Any]
    links: list[Link] = field(default_factory=list)
    source_title: str | None = None  # the title as the source wrote it, before tidying

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form; the same dict backs `--json`, export and (later) the API."""
        return {
            "id": self.id,
            "slug": self.slug,
            "source": self.source,
            "external_id": self.external_id,
            "title": self.title,
            "source_title": self.source_title,
            "body_html": self.body_html,
            "body_text": self.body_text,
            "teaser": self.teaser,
            "source_url": self.source_url,
            "licence": self.licence,
            "language": self.language,
            "topic": self.topic.to_dict() if self.topic else None,
            "question_type": self.question_type,
            "created": self.created,
            "updated": self.updated,
            "last_reviewed": _iso(self.last_reviewed),
            "next_review": _iso(self.next_review),
            "status": self.status,
            "revision": self.revision,
            "content_hash": self.content_hash,
            "meta": self.meta,
            "links": [
                {
                    "kind": link.kind,
                    "title": link.title,
                    "teaser": link.teaser,
                    "target_id": link.target_id,
                }
                for link in self.links
            ],
        }


@dataclass
class Topic:
    """A topic as stored: the articles about one condition, medicine or test."""

    id: int
    slug: str
    name: str
    synonyms: list[str]
    category: str | None
    article_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Revision:
    """One version of one article: what it said, who or what changed it, when and why."""

    article_id: int
    number: int
    author: str
    reason: str
    created: str
    content: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def article_path(slug: str) -> str:
    """An article's page on the site, relative to the site's base URL."""
    return f"/articles/{slug}"


# Every ASCII character but a-z and 0-9 separates the words of a slug.
_NOT_SLUG = str.maketrans(
    dict.fromkeys((chr(c) for c in range(128)), " ")
    | {c: c for c in string.ascii_lowercase + string.digits}
)


def slugify(text: str, max_length: int = 80) -> str:
    """A URL slug: ASCII letters and digits joined by single hyphens, cut at a word."""
    if not text.isascii():  # ASCII is its own NFKD form
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = "-".join(text.lower().translate(_NOT_SLUG).split())
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0]
    return slug or "article"


# A topic's slug is asked for many times an import (MedQuAD has about 5 articles a topic).
_topic_slug = functools.lru_cache(maxsize=4096)(slugify)


def teaser(text: str, length: int = TEASER_CHARS) -> str:
    """About `length` characters of `text`, ending on a word boundary with "...".

    Short text comes back whole, without the dots.
    """
    words = " ".join(text.split())
    if len(words) <= length:
        return words
    cut = words[: length + 1]
    cut = cut.rsplit(" ", 1)[0] if " " in cut else cut[:length]
    return cut.rstrip(" ,;:.-–—") + "..."


_TOPIC_WORD = re.compile(r"[^\W_]+")


def topic_key(name: str) -> str:
    """A topic's name with case, plural and word order ignored: "Gastrointestinal Stromal
    Tumors", "gastrointestinal stromal tumor" and "Stromal tumor, gastrointestinal" are one."""
    words = sorted(_singular(word) for word in _TOPIC_WORD.findall(name.casefold()))
    return " ".join(words) or name.strip()  # a name of no words is its own key


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def title_key(title: str) -> str:
    """The form of a title used to match links to articles: case, spacing and end mark ignored."""
    if not title.isascii():  # ASCII is its own NFKC form
        title = unicodedata.normalize("NFKC", title)
    folded = " ".join(title.casefold().split())
    return folded.rstrip(" ?.!")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
