"""One entry point from any supported file to a stream of `ArticleRecord`s.

`read(paths)` expands folders and archives, detects each document's format (or uses the one
named), and yields, in order: records to import, `Skipped` notes for input left out on purpose
(MedQuAD pairs whose answers were removed; a readme beside the articles in a folder or archive),
and `Problem`s for input that is broken, including a file named on its own, or a `.jsonl`,
`.json` or `.xml` file anywhere, whose format is unknown. A problem never stops the stream: the
other records go on. A source URL that is not http(s) is dropped with a problem of its own; the
article still comes.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from healthqa import config
from healthqa.articles import ArticleRecord
from healthqa.ingest.inputs import ARCHIVE_ERRORS, Input, InputError, expand, too_large


@dataclass(frozen=True)
class Limits:
    """The largest input healthqa accepts; anything bigger is refused with a clear error."""

    document_bytes: int = config.default("max_document_bytes")
    line_bytes: int = config.default("max_line_bytes")
    title_chars: int = config.default("max_title_chars")
    body_chars: int = config.default("max_body_chars")


@dataclass(frozen=True)
class Problem:
    """Input that was rejected: where (file, line, field), and why, in words a person can act on."""

    origin: str
    reason: str
    detail: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        place = self.origin + (f":{self.line}" if self.line else "")
        where = f" (field {self.field!r})" if self.field else ""
        return f"{place}: {self.reason}{where}: {self.detail}"


@dataclass(frozen=True)
class Skipped:
    """Input a format leaves out by design, counted in the summary but not an error."""

    origin: str
    reason: str


class FieldError(ValueError):
    """One field of a record has the wrong type or form; readers turn it into a `Problem`."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


def parse_date(value: object, field: str) -> date | None:
    """A date from an ISO string (or a date already parsed by YAML); empty gives None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise FieldError(field, f"expected a date like 2026-01-31, got {value!r}") from None


# The only links healthqa stores or renders: http(s), with no spaces. A `javascript:`, `data:` or
# `vbscript:` link would run in a reader's browser. The editor API's schema and the importers
# both use `is_web_url`; the pages use it again before they render a link.
# The host (no brackets: urlsplit refuses them unbalanced), then a path, query or fragment.
WEB_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#\[\]]+(?:[/?#]\S*)?$"
_WEB_URL = re.compile(WEB_URL_PATTERN)


def is_web_url(value: object) -> bool:
    """True for an http or https URL (the only links a page may show), else False."""
    return isinstance(value, str) and _WEB_URL.fullmatch(value) is not None


Item = ArticleRecord | Problem | Skipped
SKIP_UNKNOWN = "not an article file (no format healthqa reads; e.g. a readme or licence)"
Reader = Callable[[Input, Limits], Iterator[Item]]
Sniffer = Callable[[Input, bytes], bool]
# A JSON Lines format's reading of one line's object: (object, file name, line number, the
# default source, which is the file's folder or stem) -> the record, a problem, or None when
# the line holds no article (an export's header).
LineReader = Callable[[dict[str, Any], str, int, str], ArticleRecord | Problem | None]


@dataclass(frozen=True)
class Format:
    """A supported input format: a name for `--format`, how to recognise it, how to read it."""

    name: str
    description: str
    sniff: Sniffer
    read: Reader
    streams: bool = False  # read line by line: the file may be large if each line is within limits
    url_field: str = "source_url"  # where the format keeps the source URL, for problems
    # For JSON Lines formats: one line's object to a record. With it, an import reads the
    # lines and leaves parsing them to its worker processes (see `Lines`).
    record: LineReader | None = None


def formats() -> dict[str, Format]:
    """Every supported format by name, in the order detection tries them."""
    return dict(_formats())


@functools.cache
def _formats() -> dict[str, Format]:
    # Imported here (the readers import this module), and only once: detection and parsing
    # look the formats up for every file of an archive.
    from healthqa.ingest import beir, export, markdown, medquad, page

    ordered = [export.FORMAT, beir.FORMAT, medquad.FORMAT, markdown.FORMAT, *page.FORMATS]
    return {fmt.name: fmt for fmt in ordered}


HEAD_BYTES = 4096
# Files of these kinds are articles or nothing: when none of the formats reads one, that is a
# problem to report, even inside a folder or archive (a readme or licence is skipped instead).
DATA_SUFFIXES = (".jsonl", ".json", ".xml")


def detect(item: Input, line_bytes: int = Limits.line_bytes) -> Format | None:
    """The format of one input, judged from its name and first bytes; None when unknown.

    For JSON Lines the first bytes are the whole first line (up to `line_bytes`), however long:
    a corpus whose first article is long is still a corpus.
    """
    head = item.head(HEAD_BYTES)
    if item.suffix in (".jsonl", ".json") and len(head) == HEAD_BYTES and b"\n" not in head:
        head = item.first_line(line_bytes)
    for fmt in _formats().values():
        if fmt.sniff(item, head):
            return fmt
    return None


@dataclass(frozen=True)
class Document:
    """One whole-file document read into memory, to be parsed here or in a worker process."""

    name: str
    path: str
    data: bytes
    format: str

    def items(self, limits: Limits) -> Iterator[Item]:
        item = Input(self.name, len(self.data), partial(io.BytesIO, self.data), self.path)
        yield from _parse(_formats()[self.format], item, limits)


@dataclass(frozen=True)
class Lines:
    """Some lines of a JSON Lines document, read but not parsed, to be parsed here or in a
    worker process: each line's object, or the problem with it, is the same as `read` gives."""

    name: str
    default_source: str  # the document's folder or stem
    format: str
    lines: tuple[tuple[int, bytes | None], ...]  # (line number, bytes or None), as `raw_lines`

    def items(self, limits: Limits) -> Iterator[Item]:
        from healthqa.ingest import jsonl

        fmt = _formats()[self.format]
        assert fmt.record is not None, f"{fmt.name} has no line reader"
        for number, raw in self.lines:
            value = jsonl.parse(self.name, number, raw, limits)
            if isinstance(value, Problem):
                yield value
                continue
            try:
                found = fmt.record(value, self.name, number, self.default_source)
                yield from _checked(fmt, found, limits) if found is not None else ()
            except Exception as exc:  # a bug in a reader must cost one record, not the import
                detail = f"could not be read ({type(exc).__name__}: {exc}); please report this"
                yield Problem(self.name, "reader failed", detail, line=number)


LINES_PER_UNIT = 200  # lines of a JSON Lines document handed on together

Unit = Item | Document | Lines


def read(
    paths: Iterable[str | os.PathLike[str]],
    format: str | None = None,
    limits: Limits | None = None,
    on_input: Callable[[Input, Format | None], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Item]:
    """Records from every document below `paths`; see the module docstring.

    `on_input` hears of each document and the format chosen for it; `progress` of the bytes
    read from disk (see `inputs.total_bytes`).
    """
    limits = limits or Limits()
    for unit in units(paths, format, limits, on_input, progress):
        if isinstance(unit, Document | Lines):
            yield from unit.items(limits)
        else:
            yield unit


def units(
    paths: Iterable[str | os.PathLike[str]],
    format: str | None = None,
    limits: Limits | None = None,
    on_input: Callable[[Input, Format | None], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Unit]:
    """Like `read`, but whole-file documents, and the lines of JSON Lines documents, come
    unparsed (as `Document` and `Lines`), so that workers can parse them."""
    limits = limits or Limits()
    chosen = _named_format(format)
    keep = limits.line_bytes + 2 * HEAD_BYTES  # what detection may read of a streamed member
    for path in paths:
        for item in expand(path, progress, keep):
            if isinstance(item, InputError):
                yield Problem(item.name, item.reason, item.detail)
                continue
            named = item.name == str(path)
            yield from _read_input(item, chosen, limits, on_input, named)


def _read_input(
    item: Input,
    chosen: Format | None,
    limits: Limits,
    on_input: Callable[[Input, Format | None], None] | None,
    named: bool,
) -> Iterator[Unit]:
    streams = (chosen and chosen.streams) or item.suffix == ".jsonl"
    if item.size > limits.document_bytes and not streams:
        yield Problem(item.name, "too large", too_large(item.size, limits.document_bytes))
        return
    try:
        fmt = chosen or detect(item, limits.line_bytes)
    except ARCHIVE_ERRORS as exc:
        yield Problem(item.name, "unreadable", _unreadable(exc))
        return
    if on_input:
        on_input(item, fmt)
    if fmt is None and (named or item.suffix in DATA_SUFFIXES):
        yield Problem(item.name, "unknown format", _unknown_format_detail(item))
    elif fmt is None:  # a readme or licence beside the articles in a folder or archive
        yield Skipped(item.name, SKIP_UNKNOWN)
    elif fmt.streams and fmt.record is not None:
        yield from _line_units(fmt, item, limits)
    elif fmt.streams:
        yield from _parse(fmt, item, limits)
    else:
        try:
            yield Document(item.name, item.path, item.read(limits.document_bytes), fmt.name)
        except InputError as exc:
            yield Problem(exc.name, exc.reason, exc.detail)
        except ARCHIVE_ERRORS as exc:
            yield Problem(item.name, "unreadable", _unreadable(exc))


def _line_units(fmt: Format, item: Input, limits: Limits) -> Iterator[Unit]:
    """The document's lines, `LINES_PER_UNIT` at a time, unparsed; a problem reading it comes
    after the lines read before it, as `_parse` gives it."""
    from healthqa.ingest import jsonl

    lines: list[tuple[int, bytes | None]] = []
    problem = None
    try:
        for line in jsonl.raw_lines(item, limits):
            lines.append(line)
            if len(lines) >= LINES_PER_UNIT:
                yield Lines(item.name, item.folder or item.stem, fmt.name, tuple(lines))
                lines = []
    except InputError as exc:
        problem = Problem(exc.name, exc.reason, exc.detail)
    except ARCHIVE_ERRORS as exc:  # a truncated archive or a corrupt member, met while reading
        problem = Problem(item.name, "unreadable", _unreadable(exc))
    except Exception as exc:  # a bug in a reader must cost one document, not the import
        detail = f"could not be read ({type(exc).__name__}: {exc}); please report this"
        problem = Problem(item.name, "reader failed", detail)
    if lines:
        yield Lines(item.name, item.folder or item.stem, fmt.name, tuple(lines))
    if problem is not None:
        yield problem


def _parse(fmt: Format, item: Input, limits: Limits) -> Iterator[Item]:
    try:
        for record in fmt.read(item, limits):
            yield from _checked(fmt, record, limits)
    except InputError as exc:
        yield Problem(exc.name, exc.reason, exc.detail)
    except ARCHIVE_ERRORS as exc:  # a truncated archive or a corrupt member, met while reading
        yield Problem(item.name, "unreadable", _unreadable(exc))
    except Exception as exc:  # a bug in a reader must cost one document, not the import
        detail = f"could not be read ({type(exc).__name__}: {exc}); please report this"
        yield Problem(item.name, "reader failed", detail)


def _checked(fmt: Format, record: Item, limits: Limits) -> Iterator[Item]:
    """A record read, without an unsafe link (and the problem saying so), checked."""
    if isinstance(record, ArticleRecord):
        record, unsafe = _safe_links(record, fmt.url_field)
        if unsafe:
            yield unsafe
        yield check(record, limits)
    else:
        yield record


def _unreadable(exc: BaseException) -> str:
    return f"cannot be read to its end ({type(exc).__name__}: {exc}); the rest is skipped"


def check(record: ArticleRecord, limits: Limits) -> ArticleRecord | Problem:
    """The record itself when it is complete and within limits, else the problem with it."""
    if not record.title.strip():
        return Problem(
            record.origin, "no title", "the article has no title (question)", field="title"
        )
    if len(record.title) > limits.title_chars:
        detail = f"{len(record.title):,} characters; at most {limits.title_chars:,} are allowed"
        return Problem(record.origin, "oversized field", detail, field="title")
    if not record.body.strip():
        return Problem(record.origin, "no body", "the article has no answer text", field="body")
    if len(record.body) > limits.body_chars:
        detail = f"{len(record.body):,} characters; at most {limits.body_chars:,} are allowed"
        return Problem(record.origin, "oversized field", detail, field="body")
    if not record.external_id.strip():
        return Problem(record.origin, "no id", "the article has no id", field="external_id")
    return record


def _safe_links(record: ArticleRecord, field: str) -> tuple[ArticleRecord, Problem | None]:
    """The record without a source URL that is not http(s), and the problem saying so.

    The article itself is still imported: only the link is dropped.
    """
    url = record.source_url
    if url is None or is_web_url(url):
        return record, None
    origin, _, line = record.origin.rpartition(":")
    where = (origin, int(line)) if origin and line.isdigit() else (record.origin, None)
    detail = f"expected an http:// or https:// address, got {url[:80]!r} (link dropped)"
    problem = Problem(where[0], "unsafe link", detail, line=where[1], field=field)
    return dataclasses.replace(record, source_url=None), problem


def _named_format(name: str | None) -> Format | None:
    if name is None:
        return None
    known = formats()
    if name not in known:
        raise ValueError(f"unknown format {name!r}; choose one of: {', '.join(known)}")
    return known[name]


def _unknown_format_detail(item: Input) -> str:
    names = ", ".join(formats())
    expected = {
        ".jsonl": 'a first line that is a JSON object with "_id" (BEIR) or "healthqa_export"',
        ".json": 'a first line that is a JSON object with "_id" (BEIR) or "healthqa_export"',
        ".xml": "a MedQuAD root element (<Document>, <DiseaseFile> or <doc>)",
    }.get(item.suffix)
    found = f"expected {expected}; " if expected else ""
    return f"{found}not a format healthqa reads (supported: {names}); name one with --format"


__all__ = [
    "Document",
    "FieldError",
    "Format",
    "Item",
    "Limits",
    "Lines",
    "Problem",
    "Skipped",
    "check",
    "detect",
    "formats",
    "is_web_url",
    "parse_date",
    "read",
    "units",
]
