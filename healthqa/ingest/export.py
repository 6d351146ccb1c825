"""healthqa's own export: JSON Lines, a header line then one article a line.

`write` and `read` are inverses: exporting a store and importing the file into a new one gives
the same articles (title, body, topic, dates, links, slug), byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

from healthqa.articles import Article, ArticleRecord, Link, TopicRecord
from healthqa.ingest import FieldError, Format, Item, Limits, Problem, parse_date
from healthqa.ingest.inputs import Input
from healthqa.ingest.jsonl import objects, sniff_keys

MARKER = "healthqa_export"
VERSION = 1


def write(articles: Iterable[Article], out: TextIO) -> int:
    """Write every article to `out`; returns how many."""
    header = {MARKER: VERSION, "exported": datetime.now(UTC).isoformat(timespec="seconds")}
    out.write(json.dumps(header) + "\n")
    count = 0
    for article in articles:
        out.write(json.dumps(_row(article), ensure_ascii=False) + "\n")
        count += 1
    return count


def sniff(item: Input, head: bytes) -> bool:
    return item.suffix in (".jsonl", ".json") and MARKER in sniff_keys(head)


def read(item: Input, limits: Limits) -> Iterator[Item]:
    for number, value in objects(item, limits):
        if isinstance(value, Problem):
            yield value
        elif (found := record(value, item.name, number, "")) is not None:
            yield found


def record(value: dict[str, Any], name: str, number: int, _: str) -> ArticleRecord | Problem | None:
    """The article on line `number` of the file `name` (None for the header); see
    `Format.record`."""
    return None if MARKER in value else _record(value, name, number)


def _row(article: Article) -> dict[str, Any]:
    row = article.to_dict()
    return {
        "source": row["source"],
        "external_id": row["external_id"],
        "slug": row["slug"],
        "title": row["title"],
        "source_title": row["source_title"],
        "body_html": row["body_html"],
        "source_url": row["source_url"],
        "licence": row["licence"],
        "language": row["language"],
        "topic": _topic_row(article),
        "question_type": row["question_type"],
        "last_reviewed": row["last_reviewed"],
        "next_review": row["next_review"],
        "status": row["status"],
        "meta": row["meta"],
        "links": [{k: link[k] for k in ("kind", "title", "teaser")} for link in row["links"]],
    }


def _topic_row(article: Article) -> dict[str, Any] | None:
    topic = article.topic
    if topic is None:
        return None
    return {"name": topic.name, "synonyms": topic.synonyms, "category": topic.category}


def _record(value: dict[str, Any], name: str, number: int) -> ArticleRecord | Problem:
    try:
        return ArticleRecord(
            source=_required(value, "source"),
            external_id=_required(value, "external_id"),
            title=_required(value, "title"),
            body=_required(value, "body_html"),
            body_format="html",
            origin=f"{name}:{number}",
            source_url=value.get("source_url"),
            licence=value.get("licence"),
            language=value.get("language") or "en",
            topic=_topic(value.get("topic")),
            question_type=value.get("question_type"),
            last_reviewed=parse_date(value.get("last_reviewed"), "last_reviewed"),
            next_review=parse_date(value.get("next_review"), "next_review"),
            status=value.get("status") or "published",
            links=tuple(Link(x["kind"], x["title"], x.get("teaser", "")) for x in value["links"]),
            meta=value.get("meta") or {},
            slug=value.get("slug"),
            source_title=value.get("source_title"),
        )
    except FieldError as exc:
        return Problem(name, "bad field", exc.detail, line=number, field=exc.field)
    except (KeyError, TypeError) as exc:
        return Problem(name, "bad field", f"malformed value: {exc}", line=number, field="links")


def _required(value: dict[str, Any], key: str) -> str:
    found = value.get(key)
    if not isinstance(found, str):
        raise FieldError(key, f"expected a string, got {type(found).__name__}")
    return found


def _topic(value: Any) -> TopicRecord | None:
    if not value:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise FieldError("topic", 'expected an object with a "name"')
    return TopicRecord(value["name"], tuple(value.get("synonyms") or ()), value.get("category"))


FORMAT = Format(
    "healthqa",
    "healthqa's own export (from `healthqa export`)",
    sniff,
    read,
    streams=True,
    record=record,
)
