"""JSON Lines, read one object at a time within a size limit per line.

Shared by the formats that come as JSON Lines (BEIR corpora and healthqa's own export). A line
that is not JSON, is not an object, or is over the limit becomes a `Problem` naming its line;
the lines after it are still read.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import IO, Any

from healthqa.ingest import Limits, Problem
from healthqa.ingest.encodings import decode_unmarked, head_text, mark
from healthqa.ingest.inputs import Input


def objects(item: Input, limits: Limits) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    """(line number, object or problem) for each non-blank line of `item`.

    Lines are UTF-8, or Windows-1252 when they are not; a byte-order mark at the start names
    UTF-8, UTF-16 or UTF-32 for the whole file (see `healthqa.ingest.encodings`).
    """
    for number, raw in raw_lines(item, limits):
        yield number, parse(item.name, number, raw, limits)


def raw_lines(item: Input, limits: Limits) -> Iterator[tuple[int, bytes | None]]:
    """(line number, its bytes as UTF-8) for each non-blank line of `item`, unparsed; None
    for a line over the limit (see `parse`)."""
    with item.open() as stream:
        for number, raw in enumerate(_lines(_utf8(stream), limits.line_bytes), start=1):
            if raw is None or raw.strip():
                yield number, raw


def parse(name: str, number: int, raw: bytes | None, limits: Limits) -> dict[str, Any] | Problem:
    """The object on line `number` of the file `name` (from `raw_lines`), or the problem."""
    if raw is None:
        detail = f"the line is over the limit of {limits.line_bytes:,} bytes (skipped)"
        return Problem(name, "too large", detail, line=number)
    return _parse(name, number, raw)


def sniff_keys(head: bytes) -> set[str]:
    """The keys of the first line's object, or an empty set when it is not a JSON object."""
    first = head_text(head).split("\n", 1)[0]
    try:
        value = json.loads(first)
    except (ValueError, RecursionError):
        return set()
    return set(value) if isinstance(value, dict) else set()


def _parse(name: str, number: int, raw: bytes) -> dict[str, Any] | Problem:
    try:
        value = json.loads(decode_unmarked(raw))
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


def _utf8(stream: IO[bytes]) -> IO[bytes]:
    """The stream as UTF-8 bytes: a UTF-8 mark dropped, UTF-16 or UTF-32 (by their mark)
    re-encoded; anything else as it is."""
    start = stream.read(4)
    found = mark(start)
    codec, size = found or ("utf-8", 0)
    rest = io.BufferedReader(_Chain(start[size:], stream))
    if codec == "utf-8":
        return rest
    text = io.TextIOWrapper(rest, encoding=codec, errors="replace", newline="")
    return io.BufferedReader(_Encoded(text))


class _Chain(io.RawIOBase):
    """Bytes already read, then the rest of the stream."""

    def __init__(self, first: bytes, rest: IO[bytes]) -> None:
        self._first = first
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._first:
            count = min(len(buffer), len(self._first))
            buffer[:count] = self._first[:count]
            self._first = self._first[count:]
            return count
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _Encoded(io.RawIOBase):
    """A text stream's characters as UTF-8 bytes."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._text.read(8192)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8")
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count
