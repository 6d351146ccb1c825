"""An article's answer as editors write it: Markdown, read back from the HTML the store keeps.

The store keeps sanitised HTML (healthqa/clean.py). The editors' workspace shows Markdown
instead, which is easier to read and write on a phone: `to_markdown` writes the HTML's
paragraphs, headings, lists, links, bold and italics as Markdown, and `to_html` renders Markdown
as the Markdown importer does (CommonMark with tables; raw HTML shown as text, never passed
through). An answer with parts Markdown cannot say (a table, a definition list, superscript)
gets `None`, and the workspace then edits its HTML instead: nothing an editor did not touch is
lost. healthqa.editing checks each conversion both ways before offering it.
"""

from __future__ import annotations

import re

from lxml import etree, html

from healthqa.ingest.markdown import render

_INLINE = {"strong": "**", "b": "**", "em": "*", "i": "*"}
_HEADINGS = {"h2": "## ", "h3": "### ", "h4": "#### "}
_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
_LIST_MARKER = re.compile(r"^(?:[-+]|\d+(?=[.)]))")  # what would start a list, unescaped


class Unsayable(Exception):
    """HTML that Markdown cannot say exactly."""


def to_html(markdown: str) -> str:
    """Markdown rendered as the Markdown importer renders it (to be cleaned as any body is)."""
    return render(markdown)


def to_markdown(body_html: str) -> str | None:
    """The answer's HTML as Markdown, or None when it has parts Markdown cannot say."""
    if not body_html.strip():
        return ""
    try:
        root = html.fragment_fromstring(body_html, create_parent="div")
        return "\n\n".join(_block(child) for child in _children(root)).strip() + "\n"
    except Unsayable:
        return None


def _children(element: etree._Element) -> list[etree._Element]:
    if (element.text or "").strip():
        raise Unsayable("text outside a block")
    for child in element:
        if (child.tail or "").strip():
            raise Unsayable("text between blocks")
    return list(element)


def _block(element: etree._Element) -> str:
    tag = element.tag
    if tag == "p":
        return _inline(element)
    if tag in _HEADINGS:
        return _HEADINGS[str(tag)] + _inline(element)
    if tag in ("ul", "ol"):
        return _list(element)
    if tag == "blockquote":
        inner = "\n\n".join(_block(child) for child in _children(element))
        return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
    raise Unsayable(f"<{tag}>")


def _list(element: etree._Element) -> str:
    lines = []
    for number, item in enumerate(_children(element), start=1):
        if item.tag != "li":
            raise Unsayable("a list holding something other than items")
        marker = f"{number}. " if element.tag == "ol" else "- "
        text = _item(item)
        lines.append(marker + text.replace("\n", "\n" + " " * len(marker)))
    return "\n".join(lines)


def _item(item: etree._Element) -> str:
    blocks = [child for child in item if child.tag in ("p", "ul", "ol")]
    if not blocks:
        return _inline(item)
    if len(blocks) != len(item) or (item.text or "").strip():
        raise Unsayable("an item mixing text and blocks")
    return "\n\n".join(_block(child) for child in blocks)


def _inline(element: etree._Element) -> str:
    parts = [_escape(element.text or "")]
    for child in element:
        parts.append(_span(child))
        parts.append(_escape(child.tail or ""))
    text = "".join(parts).strip()
    marker = _LIST_MARKER.match(text)
    if marker is None:
        return text
    if marker[0] in "-+":
        return "\\" + text
    return f"{marker[0]}\\{text[marker.end() :]}"


def _span(element: etree._Element) -> str:
    tag = str(element.tag)
    if tag in _INLINE:
        inner = _inline(element)
        if not inner:
            raise Unsayable("empty emphasis")
        return f"{_INLINE[tag]}{inner}{_INLINE[tag]}"
    if tag == "a" and element.get("href") and not element.get("title"):
        href = str(element.get("href"))
        if any(c in href for c in " ()<>"):
            raise Unsayable("a link address Markdown would need to quote")
        return f"[{_inline(element)}]({href})"
    raise Unsayable(f"<{tag}>")


def _escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text.replace("\n", " "))
