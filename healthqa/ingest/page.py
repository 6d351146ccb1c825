"""Article pages of a health Q&A site: the plain-text export and the equivalent HTML page.

Text: one block a line, blank lines between: the question (title), the title again, the
article, `<<:` previous title, `>>:` next title, `Recommend` and (title, teaser "...") pairs.
HTML, read with lxml: title from <h1> (else <title>), body from <article> (else <main>, else the
element with most paragraph text), previous/next from `rel` or "<<:"/"Previous" links, related
from a section headed "Recommend"/"Related"/"You may also like". Both readers turn runs of
paragraphs numbered "1. ", "2. "... into one <ol>. Repeated sentences are left to cleaning.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import PurePosixPath

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from healthqa.articles import ArticleRecord, CleanArticle, Link, slugify, title_key
from healthqa.ingest import Format, Item, Limits, Problem, Reader
from healthqa.ingest.inputs import Input

SOURCE = "pages"

_NUMBERED = re.compile(r"^\s*(\d{1,3})[.)]\s+(?=\S)")
_NUMBER_PREFIX = re.compile(r"^\s*\d{1,3}[.)]\s*")
_HEADING_CHARS = 80
_PREVIOUS, _NEXT, _RECOMMEND = "<<:", ">>:", "recommend"
_ARROWS = {"<<:": "previous", ">>:": "next", "«": "previous", "»": "next", "←": "previous"}
_ARROWS |= {"→": "next", "<<": "previous", ">>": "next"}
_PAGER_WORD = re.compile(r"^(prev(?:ious)?|next)(?:\s+(?:article|page|post))?\b", re.IGNORECASE)
_RELATED = {"recommend", "recommended", "related", "related articles", "you may also like"}
_HEADING = "self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6"
_TEASER_CLASS = re.compile(r"teaser|summary|excerpt|desc", re.IGNORECASE)
_escape = functools.partial(html.escape, quote=False)


def _reader(parse: Callable[[str, str], ArticleRecord | Problem]) -> Reader:
    """A reader of one page: UTF-8 text in, exactly one record or problem out."""

    def read(item: Input, limits: Limits) -> Iterator[Item]:
        data = item.read(limits.document_bytes)
        try:
            text = data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            detail = f"byte 0x{data[exc.start]:02x} at offset {exc.start:,} is not UTF-8"
            yield Problem(item.name, "invalid encoding", f"{detail}; save it as UTF-8", line)
            return
        yield parse(item.name, text)

    return read


class FileNames:
    """Within one import, the file each page's name came from.

    A page is known by its file name (`external_id`), so that a page moved to another folder
    stays the same article. Two different files with one name in one import would otherwise
    be one article, the second silently replacing the first: the second is rejected instead,
    naming both files.
    """

    def __init__(self) -> None:
        self._origins: dict[str, str] = {}

    def clash(self, article: CleanArticle) -> Problem | None:
        if article.source != SOURCE:
            return None
        first = self._origins.setdefault(article.external_id, article.origin)
        if first == article.origin:
            return None
        detail = (
            f"{first} has the same file name, and pages are known by their file name; "
            "rename one of the two and import again"
        )
        return Problem(article.origin, "same file name as another page", detail)


def _record(origin: str, title: str, body: str, links: Sequence[Link]) -> ArticleRecord:
    member = PurePosixPath(origin.rsplit(":", 1)[-1].replace("\\", "/"))
    external_id = slugify(member.stem, max_length=200)  # stable wherever the file lives
    return ArticleRecord(
        source=SOURCE,
        external_id=external_id,
        title=title,
        body=body,
        origin=origin,
        body_format="html",
        links=tuple(links),
    )


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def _item_number(text: str) -> int | None:
    match = _NUMBERED.match(text)
    return int(match.group(1)) if match else None


def _list_runs(numbers: Sequence[int | None]) -> list[range]:
    """Where the numbered lists are: two or more consecutive blocks numbered in rising order."""
    runs: list[range] = []
    start = 0
    for index in range(1, len(numbers) + 1):
        current = numbers[index] if index < len(numbers) else None
        previous = numbers[index - 1]
        if current is None or previous is None or current <= previous:
            if previous is not None and index - start >= 2:
                runs.append(range(start, index))
            start = index
    return runs


def _text_page(origin: str, text: str) -> ArticleRecord | Problem:
    numbered = [(number, _clean(line)) for number, line in enumerate(text.split("\n"), 1)]
    lines = [(number, line) for number, line in numbered if line]
    if not lines or _is_marker(lines[0][1]):
        return _no_title(origin, lines)
    title = lines[0][1]
    rest = [line for _, line in lines[1:]]
    if rest and title_key(rest[0]) == title_key(title):  # the heading repeats the page title
        rest = rest[1:]
    article, footer = _split_footer(rest)
    return _record(origin, title, _text_body(article), _footer_links(footer))


def _no_title(origin: str, lines: list[tuple[int, str]]) -> Problem:
    number, line = lines[0] if lines else (1, "")
    start = f"starts with the link {line[:40]!r}" if line else "has no text"
    detail = f"the page {start}; its first line should be the question"
    return Problem(origin, "no title", detail, line=number, field="title")


def _is_marker(line: str) -> bool:
    return line.startswith((_PREVIOUS, _NEXT)) or line.casefold() == _RECOMMEND


def _split_footer(lines: list[str]) -> tuple[list[str], list[str]]:
    """The article and the links after it: from the first `<<:`/`>>:`, else the last Recommend."""
    starts = [i for i, line in enumerate(lines) if line.startswith((_PREVIOUS, _NEXT))]
    starts = starts or [i for i, line in enumerate(lines) if line.casefold() == _RECOMMEND][-1:]
    cut = starts[0] if starts else len(lines)
    return lines[:cut], lines[cut:]


def _footer_links(footer: list[str]) -> list[Link]:
    links: list[Link] = []
    for index, line in enumerate(footer):
        if line.casefold() == _RECOMMEND:
            return links + _recommended(footer[index + 1 :])
        kind = {_PREVIOUS: "previous", _NEXT: "next"}.get(line[:3])
        if kind and line[3:].strip():
            links.append(Link(kind, line[3:].strip()))
    return links


def _recommended(lines: list[str]) -> list[Link]:
    """Title and teaser pairs; a title whose next line is not a teaser ("...") stands alone."""
    links: list[Link] = []
    index = 0
    while index < len(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        teaser = following if following.endswith(("...", "…")) else ""
        links.append(Link("related", lines[index], teaser))
        index += 2 if teaser else 1
    return links


def _text_body(lines: list[str]) -> str:
    numbers = [_item_number(line) for line in lines]
    runs = {run.start: run for run in _list_runs(numbers)}
    parts: list[str] = []
    index = 0
    while index < len(lines):
        if run := runs.get(index):
            items = [f"<li>{_escape(_NUMBERED.sub('', lines[i]))}</li>" for i in run]
            parts.append("\n".join([_ol_tag(numbers[index] or 1), *items, "</ol>"]))
            index = run.stop
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        heading = _heading_shaped(lines[index]) and following and not _heading_shaped(following)
        tag = "h2" if heading else "p"
        parts.append(f"<{tag}>{_escape(lines[index])}</{tag}>")
        index += 1
    return "\n".join(parts)


def _heading_shaped(line: str) -> bool:
    """A short line that does not end like a sentence (a question mark is fine) nor is numbered."""
    ending = line.rstrip("\"')]”’»")[-1:]
    return len(line) <= _HEADING_CHARS and ending not in ".!:;,…" and _item_number(line) is None


def _ol_tag(start: int) -> str:
    return "<ol>" if start == 1 else f'<ol start="{start}">'


def _sniff_text(item: Input, head: bytes) -> bool:
    """A .txt file that starts with its title twice, or shows the `<<:`/`>>:` footer."""
    if item.suffix != ".txt":
        return False
    lines = [line for line in map(_clean, head.decode("utf-8", "replace").splitlines()) if line]
    repeated = len(lines) >= 2 and lines[0] == lines[1] and not _is_marker(lines[0])
    return repeated or any(_is_marker(line) for line in lines)


def _html_page(origin: str, text: str) -> ArticleRecord | Problem:
    doc = _parse(text)
    heading, title = _html_title(doc) if doc is not None else (None, "")
    if doc is None or not title:
        detail = "the page has no <h1> heading and no <title>"
        return Problem(origin, "no title", detail, field="title")
    pager = _pager_links(doc)
    sections = [_section_of(found) for found in _related_headings(doc)]
    related = dict.fromkeys(link for section in sections for link in _related_items(*section))
    labelled = [anchor for anchor, _ in pager if _pager_label(_text(anchor))[0]]
    for element in [heading, *doc.xpath("//nav"), *labelled]:
        _drop(element)
    for _, members in sections:
        for member in members:
            _drop(member)
    body = _body_element(doc)
    _number_paragraphs(body)
    return _record(origin, title, _inner_html(body), [link for _, link in pager] + [*related])


def _parse(text: str) -> HtmlElement | None:
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        doc = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except etree.ParserError:  # nothing but whitespace
        return None
    for junk in doc.xpath("//script | //style | //noscript | //template"):
        _drop(junk)
    return doc


def _text(element: HtmlElement) -> str:
    return _clean(element.text_content())


def _drop(element: HtmlElement | None) -> None:
    if element is not None and element.getparent() is not None:
        element.drop_tree()


def _html_title(doc: HtmlElement) -> tuple[HtmlElement | None, str]:
    for heading in doc.xpath("//article//h1 | //main//h1") + doc.xpath("//h1"):
        if _text(heading):
            return heading, _text(heading)
    found = doc.find(".//title")
    title = _text(found) if found is not None else ""
    return None, title.rsplit(" | ", 1)[0].strip() if " | " in title else title


def _pager_links(doc: HtmlElement) -> list[tuple[HtmlElement, Link]]:
    """The previous and next links: `rel` links first, then labelled links in a <nav>."""
    found: dict[str, tuple[HtmlElement, Link]] = {}
    for anchor in doc.xpath("//a[@rel]") + doc.xpath("//nav//a"):
        kind, title = _pager_link(anchor)
        if kind and title and kind not in found:
            found[kind] = (anchor, Link(kind, title))
    return [found[kind] for kind in ("previous", "next") if kind in found]


def _pager_link(anchor: HtmlElement) -> tuple[str | None, str]:
    """The kind of a previous/next link and the title it names, from rel, text or labels."""
    rel = set((anchor.get("rel") or "").lower().split())
    kind = "previous" if rel & {"prev", "previous"} else "next" if "next" in rel else None
    marked: list[str] = []
    plain: list[str] = []
    for label in (_text(anchor), _clean(anchor.get("aria-label")), _clean(anchor.get("title"))):
        label_kind, rest = _pager_label(label)
        kind = kind or label_kind
        (marked if label_kind else plain).append(rest)
    return kind, next((title for title in marked + plain if title), "")


def _pager_label(label: str) -> tuple[str | None, str]:
    """What a label announces ("<<:", "« Previous", "Next article:") and the title after it."""
    arrow = next((arrow for arrow in _ARROWS if label.startswith(arrow)), None)
    kind = _ARROWS[arrow] if arrow else None
    label = label[len(arrow) :].lstrip() if arrow else label
    if match := _PAGER_WORD.match(label):
        kind = kind or ("next" if match.group(1).lower() == "next" else "previous")
        label = label[match.end() :]
    return kind, label.strip(" :«»←→<>–—-")


def _related_headings(doc: HtmlElement) -> list[HtmlElement]:
    headings = doc.xpath(f"//*[{_HEADING}]")
    return [h for h in headings if _text(h).rstrip(" :").casefold() in _RELATED]


def _section_of(heading: HtmlElement) -> tuple[HtmlElement, list[HtmlElement]]:
    """The heading's own box; for a heading loose in the article, it and what follows it."""
    boxes = heading.xpath("ancestor::*[self::section or self::aside or self::nav or self::div][1]")
    others = f".//*[{_HEADING}][not(ancestor::a) and not(.//a)] | .//article | .//main"
    if boxes and all(other is heading for other in boxes[0].xpath(others)):
        return heading, [boxes[0]]
    members = [heading]
    for sibling in heading.itersiblings():
        if sibling.xpath(f"self::*[{_HEADING}][not(.//a)]") and sibling.tag <= heading.tag:
            break
        members.append(sibling)
    return heading, members


def _related_items(heading: HtmlElement, members: Sequence[HtmlElement]) -> list[Link]:
    """Each link is an item's title; the first teaser-like element after it is its teaser."""
    skip = set(heading.iter())
    items: list[list[str]] = []
    for element in (e for member in members for e in member.iter(etree.Element)):
        if element in skip:
            continue
        if element.tag == "a" and _text(element):
            headings = element.xpath(f".//*[{_HEADING}]")
            items.append([_text(headings[0] if headings else element), ""])
        elif items and not items[-1][1] and _is_teaser(element):
            items[-1][1] = _text(element)
    return [Link("related", title, teaser) for title, teaser in items]


def _is_teaser(element: HtmlElement) -> bool:
    looks = element.tag == "p" or bool(_TEASER_CLASS.search(element.get("class") or ""))
    return looks and bool(_text(element)) and not element.xpath(".//a")


def _body_element(doc: HtmlElement) -> HtmlElement:
    """The <article> with most paragraph text, else <main>, else the densest paragraph parent."""
    articles = doc.xpath("//article")
    if articles:
        return max(articles, key=lambda article: sum(len(_text(p)) for p in article.iter("p")))
    mains = doc.xpath("//main")
    if mains:
        return mains[0]
    scores: dict[HtmlElement, int] = {}
    for paragraph in doc.iter("p"):
        parent = paragraph.getparent()
        scores[parent] = scores.get(parent, 0) + len(_text(paragraph))
    if scores:
        return max(scores, key=lambda parent: scores[parent])
    body = doc.find("body")
    return body if body is not None else lxml.html.Element("body")  # a frameset, or only <head>


def _number_paragraphs(container: HtmlElement) -> None:
    """Turn runs of sibling <p>s numbered "1. ", "2. "... into one <ol> each."""
    for parent in list(container.iter(etree.Element)):
        children = list(parent)
        numbers = [_paragraph_number(child) for child in children]
        for run in _list_runs(numbers):
            _make_list([children[i] for i in run], numbers[run.start] or 1)


def _paragraph_number(element: HtmlElement) -> int | None:
    if element.tag != "p" or (element.tail or "").strip():
        return None  # text between paragraphs ends a list
    return _item_number(_text(element))


def _make_list(paragraphs: list[HtmlElement], start: int) -> None:
    ol = lxml.html.fragment_fromstring(_ol_tag(start) + "</ol>")
    paragraphs[0].addprevious(ol)
    ol.text, ol.tail = "\n", paragraphs[-1].tail
    for paragraph in paragraphs:
        item = lxml.html.Element("li")
        item.text = paragraph.text
        item.extend(list(paragraph))
        item.tail = "\n"
        _strip_number(item)
        ol.append(item)
        paragraph.getparent().remove(paragraph)


def _strip_number(item: HtmlElement) -> None:
    """Remove the "1. " from the item's first text, also when it sits in <strong>1.</strong>."""
    node = next(node for node in item.xpath(".//text()") if node.strip())
    owner, rest = node.getparent(), _NUMBER_PREFIX.sub("", str(node), count=1)
    if node.is_tail:
        owner.tail = rest
    else:
        owner.text = rest
        if owner is not item and not rest and not len(owner):
            owner.drop_tag()
    item.text = (item.text or "").lstrip() or None


def _inner_html(element: HtmlElement) -> str:
    children = "".join(lxml.html.tostring(child, encoding="unicode") for child in element)
    return (_escape(element.text or "") + children).strip()


def _sniff_html(item: Input, head: bytes) -> bool:
    """An .html/.htm file, or any file that starts like an HTML document."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:14].lower()
    html_start = start.startswith((b"<!doctype html", b"<html"))
    return item.suffix in (".html", ".htm", ".xhtml") or html_start


FORMATS: list[Format] = [
    Format("page-text", "an article page's text export (.txt)", _sniff_text, _reader(_text_page)),
    Format("page-html", "an article page as HTML (.html, .htm)", _sniff_html, _reader(_html_page)),
]
