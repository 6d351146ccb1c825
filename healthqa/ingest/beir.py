"""A corpus in the BEIR layout: JSON Lines of `{"_id", "title", "text", "metadata"}`.

`_id` becomes the external id. Metadata keys that MedQuAD-derived corpora carry (url, source,
focus, synonyms, qtype) fill the article's source URL, source, topic and question type.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from healthqa.articles import ArticleRecord, TopicRecord
from healthqa.ingest import Format, Item, Limits, Problem
from healthqa.ingest.inputs import Input
from healthqa.ingest.jsonl import objects, sniff_keys


def sniff(item: Input, head: bytes) -> bool:
    return item.suffix in (".jsonl", ".json") and "_id" in sniff_keys(head)


def read(item: Input, limits: Limits) -> Iterator[Item]:
    default_source = item.folder or item.stem
    for number, value in objects(item, limits):
        if isinstance(value, Problem):
            yield value
        else:
            yield record(value, item.name, number, default_source)


def record(
    value: dict[str, Any], name: str, number: int, default_source: str
) -> ArticleRecord | Problem:
    """The article on line `number` of the file `name`; see `Format.record`."""
    origin = f"{name}:{number}"
    for key in ("_id", "title", "text"):
        if not isinstance(value.get(key, ""), str):
            detail = f"expected a string, got {type(value[key]).__name__}"
            return Problem(name, "wrong type", detail, line=number, field=key)
    if "_id" not in value:
        return Problem(name, "no id", 'the object has no "_id"', line=number, field="_id")
    metadata = value.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    return ArticleRecord(
        source=_string(metadata.get("source")) or default_source,
        external_id=value["_id"],
        title=value.get("title", ""),
        body=value.get("text", ""),
        body_format="text",
        origin=origin,
        source_url=_string(metadata.get("url")),
        topic=_topic(metadata),
        question_type=_string(metadata.get("qtype")),
        meta={"collection": default_source},
    )


def _topic(metadata: dict[str, Any]) -> TopicRecord | None:
    focus = _string(metadata.get("focus"))
    if not focus:
        return None
    synonyms = metadata.get("synonyms")
    names = [s for s in synonyms if isinstance(s, str)] if isinstance(synonyms, list) else []
    return TopicRecord(focus, tuple(dict.fromkeys(s for s in names if s != focus)))


def _string(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


FORMAT = Format(
    "beir",
    "BEIR corpus JSON Lines (_id, title, text, metadata)",
    sniff,
    read,
    streams=True,
    url_field="metadata.url",
    record=record,
)
