"""JSON Lines, read one object at a time within a size limit per line.

Shared by the formats that come as JSON Lines (BEIR corpora and healthqa's own export). A line
that is not JSON, is not an object, or is over the limit becomes a `Problem` naming its line;
the lines after it are still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from healthqa.ingest import Limits, Problem
from healthqa.ingest.inputs import Input


def objects(item: Input, limits: Limits) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    """(line number, object or problem) for each non-blank line of `item`."""
    with item.open() as stream:
        for number, raw in enumerate(_lines(stream, limits.line_bytes), start=1):
            if raw is None:
                detail = f"the line is over the limit of {limits.line_bytes:,} bytes (skipped)"
                yield number, Problem(item.name, "too large", detail, line=number)
            elif raw.strip():
                yield number, _parse(item.name, number, raw)


def sniff_keys(head: bytes) -> set[str]:
    """The keys of the first line's object, or an empty set when it is not a JSON object."""
    first = head.split(b"\n", 1)[0]
    try:
        value = json.loads(first)
    except (ValueError, RecursionError):
        return set()
    return set(value) if isinstance(value, dict) else set()


def _parse(name: str, number: int, raw: bytes) -> dict[str, Any] | Problem:
    try:
        value = json.loads(raw)
    except UnicodeDecodeError as exc:
        return Problem(name, "not UTF-8", str(exc), line=number)
    except ValueError as exc:
        return Problem(name, "not JSON", str(exc), line=number)
    except RecursionError:
        detail = "the JSON is nested too deeply to read (an article is an object of a few levels)"
        return Problem(name, "not JSON", detail, line=number)
    if not isinstance(value, dict):
        kind = type(value).__name__.replace("dict", "object").replace("list", "array")
        detail = f"each line must be a JSON object; this one is a JSON {kind}"
        return Problem(name, "not an object", detail, line=number)
    return value


def _lines(stream: IO[bytes], limit: int) -> Iterator[bytes | None]:
    """Each line's bytes, or None for a line longer than `limit` (whose rest is skipped)."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = stream.readline(limit + 1)
            yield None
        else:
            yield line
