"""Reading benchmark files: the error every reader raises, numbered UTF-8 lines, CSV fields,
and MEDIQA's XML parsed safely (no DTD, no entities)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol, TypeVar

from lxml import etree
from lxml.etree import _Element as Element


class EvaluationError(ValueError):
    """Benchmark input that cannot be used: names the file and line where there is one."""

    def __init__(self, reason: str, path: Path | str | None = None, line: int | None = None):
        self.reason = reason
        self.path = str(path) if path is not None else None
        self.line = line
        place = f"{self.path}:{line}" if self.path and line else self.path
        super().__init__(f"{place}: {reason}" if place else reason)


# --- Reading files ----------------------------------------------------------------------------


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered lines of a UTF-8 text file, without line endings."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise EvaluationError(f"cannot read the file ({exc.strerror})", path) from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise EvaluationError(f"not UTF-8 text ({exc.reason})", path, number) from None
            yield number, text.rstrip("\r\n")


def _content(path: Path) -> Iterator[tuple[int, str]]:
    """The lines that are not blank."""
    return ((number, line) for number, line in _lines(path) if line.strip())


def _csv_fields(line: str) -> list[str]:
    return [value.strip() for value in next(csv.reader([line]))]


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


# --- MEDIQA XML -------------------------------------------------------------------------------

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)
_UNSAFE = "unsafe XML: it declares a DTD or entities, which MEDIQA files never do (refused)"


def _parse_xml(path: Path) -> Element:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EvaluationError(f"cannot read the file ({exc.strerror})", path) from None
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        if b"<!ENTITY" in data:  # libxml2 stops an entity bomb with a syntax error
            raise EvaluationError(_UNSAFE, path) from None
        raise EvaluationError(f"broken XML: {exc.msg}", path, exc.position[0]) from None
    if root.getroottree().docinfo.doctype:
        raise EvaluationError(_UNSAFE, path)
    return root


def _text(element: Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _required(element: Element, name: str, path: Path) -> str:
    value = (element.get(name) or "").strip()
    if not value:
        raise EvaluationError(f"<{element.tag}> has no {name}", path, element.sourceline)
    return value


def _child_text(element: Element, tag: str, path: Path) -> str:
    child = element.find(tag)
    if child is None:
        raise EvaluationError(f"<{element.tag}> has no <{tag}>", path, element.sourceline)
    return _text(child)


def _optional_int(element: Element, name: str, path: Path) -> int | None:
    value = element.get(name)
    if value is None or not value.strip():
        return None
    if not _is_int(value.strip()):
        reason = f"{name} must be a whole number, found {value!r}"
        raise EvaluationError(reason, path, element.sourceline)
    return int(value)


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


_Record = TypeVar("_Record", bound=_Identified)


def _records(
    path: Path, tag: str, kind: str, id_name: str, parse: Callable[[Element, Path], _Record]
) -> list[_Record]:
    """Every <tag> element of the XML file at `path`, parsed, with unique ids; an error names
    the file (`kind` says what it should have been) or the line of a repeated id."""
    elements = list(_parse_xml(path).iter(tag))
    if not elements:
        raise EvaluationError(f"no <{tag}> elements: not a {kind} file", path)
    records = [parse(element, path) for element in elements]
    _unique(((r.id, e.sourceline) for r, e in zip(records, elements, strict=True)), id_name, path)
    return records


def _unique(ids: Iterable[tuple[str, int | None]], what: str, path: Path) -> None:
    seen: set[str] = set()
    for value, line in ids:
        if value in seen:
            raise EvaluationError(f"{what} {value!r} appears twice", path, line)
        seen.add(value)
