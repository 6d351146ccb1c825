"""Text from the bytes of an input file, in the encodings such files come in.

UTF-8 is expected. A byte-order mark names UTF-8, UTF-16 or UTF-32 and is removed (a Markdown
file saved "with BOM" still starts with its `---`). Bytes that are not UTF-8 and carry no mark
are read as Windows-1252, the "latin-1" of files saved on Windows (ISO-8859-1 where 1252 leaves
a byte unassigned), so their text is kept rather than refused; damaged UTF-8 is still refused.
XML names its own encoding in its declaration, which the XML parser honours; `head_text` lets
detection read an XML file's first tags in UTF-16 too.
"""

from __future__ import annotations

import codecs
import re

# UTF-32-LE's mark starts with UTF-16-LE's, so it is tried first.
_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# "<?" with no mark: XML in UTF-16 (the XML specification's appendix F).
_UNMARKED_XML = ((b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be"))
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_DECLARED = re.compile(rb"""^<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")


def mark(data: bytes) -> tuple[str, int] | None:
    """The encoding a byte-order mark at the start of `data` names, and the mark's length."""
    for bom, codec in _MARKS:
        if data.startswith(bom):
            return codec, len(bom)
    return None


def decode(data: bytes) -> str:
    """The text of a whole file or line: see the module docstring.

    Raises UnicodeDecodeError only for a file whose mark names UTF-16 or UTF-32 and whose
    bytes then are not.
    """
    found = mark(data)
    if found:
        codec, size = found
        return data[size:].decode(codec)
    return decode_unmarked(data)


def decode_unmarked(data: bytes) -> str:
    """UTF-8, else Windows-1252 (else ISO-8859-1, which decodes any byte).

    Bytes that hold UTF-8 sequences and yet are not UTF-8 are damaged UTF-8, not Windows-1252:
    reading them as 1252 would garble every accent, so they raise UnicodeDecodeError instead.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if _UTF8_SEQUENCE.search(data):
            raise
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def head_text(head: bytes) -> str:
    """The first bytes of a file as text, for detection: they may end inside a character."""
    found = mark(head)
    if found:
        codec, size = found
        return head[size:].decode(codec, "ignore")
    for start, codec in _UNMARKED_XML:
        if head.startswith(start):
            return head.decode(codec, "ignore")
    declared = _DECLARED.match(head)
    if declared:
        try:
            return head.decode(declared[1].decode("ascii"), "ignore")
        except LookupError:
            pass
    if not _is_utf8(head):
        try:
            return decode_unmarked(head)
        except UnicodeDecodeError:  # damaged UTF-8: its reader will say where
            pass
    return head.decode("utf-8", "ignore")


def _is_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # only a character cut at the end
    return True
