"""Markdown files with a YAML front-matter header, for publishers who write by hand.

    ---
    id: leg-cramps-late-pregnancy
    title: "What causes leg cramps in late pregnancy?"
    topic: Pregnancy discomforts
    topic_synonyms: ["pregnancy symptoms"]
    category: Pregnancy
    question_type: cause
    source: healthqa sample content
    licence: "CC BY 4.0"
    last_reviewed: 2026-11-01
    next_review: 2027-11-01
    references: [{title: "NHS: Leg cramps", url: "https://www.nhs.uk/conditions/leg-cramps/"}]
    previous: "Title of the previous article in the topic"
    next: "Title of the next article in the topic"
    related: ["Title of a related article"]
    ---
    The answer, in Markdown.

Only `title` is required; `id` defaults to the file name; the page's URL slug comes from the
title unless `slug` names one. The body is rendered to HTML by
markdown-it (CommonMark; raw HTML in the Markdown is shown as text, never passed through).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler
from markdown_it import MarkdownIt

from healthqa.articles import ArticleRecord, Link, TopicRecord
from healthqa.ingest import FieldError, Format, Item, Limits, Problem, parse_date
from healthqa.ingest.encodings import decode
from healthqa.ingest.inputs import Input

DEFAULT_SOURCE = "markdown"
_RENDERER = MarkdownIt("commonmark", {"html": False}).enable("table")
_META_KEYS = ("references", "sample")


def render(markdown: str) -> str:
    """Markdown as HTML, as every Markdown body is rendered (raw HTML shown as text)."""
    return str(_RENDERER.render(markdown))


def sniff(item: Input, head: bytes) -> bool:
    return item.suffix in (".md", ".markdown")


def read(item: Input, limits: Limits) -> Iterator[Item]:
    try:
        text = decode(item.read(limits.document_bytes))
    except UnicodeDecodeError as exc:  # a UTF-16 mark on bytes that are not
        yield Problem(item.name, "invalid encoding", str(exc))
        return
    try:
        post = frontmatter.loads(text, handler=_YAML if _YAML.detect(text) else None)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None  # the YAML keeps the first newline
        yield Problem(item.name, "bad front matter", _yaml_reason(exc), line=line)
        return
    except (ValueError, RecursionError) as exc:  # an explicit !!timestamp that is no date
        detail = f"the YAML header cannot be read: {type(exc).__name__}: {exc}"
        yield Problem(item.name, "bad front matter", detail)
        return
    try:
        yield _record(item, dict(post.metadata), post.content)
    except FieldError as exc:
        line = _line_of(text, exc.field)
        yield Problem(item.name, "bad field", exc.detail, line=line, field=exc.field)


def _line_of(text: str, key: str) -> int | None:
    """The line of the header where `key:` is set (the file's first line is the opening ---)."""
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith(key + ":"):
            return number
        if number > 1 and line.rstrip() == "---":
            return None
    return None


def _record(item: Input, fm: dict[str, Any], body: str) -> ArticleRecord:
    topic = _text(fm, "topic")
    return ArticleRecord(
        source=_text(fm, "source") or DEFAULT_SOURCE,
        external_id=_text(fm, "id") or item.stem,
        title=_text(fm, "title") or "",
        body=render(body),
        body_format="html",
        origin=item.name,
        source_url=_text(fm, "url"),
        licence=_text(fm, "licence"),
        language=_text(fm, "language") or "en",
        topic=TopicRecord(topic, _texts(fm, "topic_synonyms"), _text(fm, "category"))
        if topic
        else None,
        question_type=_text(fm, "question_type"),
        last_reviewed=parse_date(fm.get("last_reviewed"), "last_reviewed"),
        next_review=parse_date(fm.get("next_review"), "next_review"),
        links=_links(fm),
        meta={key: fm[key] for key in _META_KEYS if key in fm},
        slug=_text(fm, "slug"),
    )


def _links(fm: dict[str, Any]) -> tuple[Link, ...]:
    links = [Link(kind, title) for kind in ("previous", "next") if (title := _text(fm, kind))]
    links += [Link("related", title) for title in _texts(fm, "related")]
    return tuple(links)


def _text(fm: dict[str, Any], key: str) -> str | None:
    value = fm.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise FieldError(key, f"expected text, got {type(value).__name__}")
    return str(value).strip() or None


def _texts(fm: dict[str, Any], key: str) -> tuple[str, ...]:
    value = fm.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FieldError(key, "expected a list of texts")
    return tuple(v.strip() for v in value if v.strip())


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, for a header a publisher wrote, with two things refused or left out.

    Anchors and aliases (`&a`, `*a`) are refused: a kilobyte of nested aliases expands to
    gigabytes (a "billion laughs"), and front matter never needs them. Dates stay text, so that
    `parse_date` names the field of a bad one ("2026-13-45") instead of YAML failing the file.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(
                None, None, "YAML anchors and aliases (&name, *name) are not allowed here",
                event.start_mark,
            )  # fmt: skip
        return super().compose_node(parent, index)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _YAMLHandler(YAMLHandler):
    def load(self, fm: str, **kwargs: object) -> Any:
        return yaml.load(fm, Loader=_Loader)  # a SafeLoader, with the changes above


_YAML = _YAMLHandler()


def _yaml_reason(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    return f"the YAML header cannot be read: {problem or exc}"


FORMAT = Format(
    "markdown", "Markdown with a YAML front-matter header", sniff, read, url_field="url"
)
