"""MedQuAD XML (Ben Abacha & Demner-Fushman, 2019): one file per topic document.

Each question-answer pair becomes an article titled by its question; the document's focus
becomes its topic, with its synonyms. Pairs whose answers MedQuAD removed for copyright are
counted as skipped, never imported empty.

The release mostly uses `<Document><QAPairs><QAPair><Question/><Answer/>`; one CDC file has the
root `<DiseaseFile>` instead, and four NINDS files use an older layout
(`<doc><qaPairs><pair><question/><answer/>`): all are read the same way. With all three, the
release gives 16,423 answered pairs and 31,034 without answers: the 47,457 its readme counts.

XML is parsed by lxml with entity resolution, DTD loading and network access off, so an entity
bomb cannot expand and an external entity cannot be fetched; a file that declares a DTD at all
is then refused as a problem of its file. (lxml measured 4.6 times faster than defusedxml on the
release, and parsing is a large share of import time.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree
from lxml.etree import _Element as Element

from healthqa.articles import ArticleRecord, TopicRecord
from healthqa.ingest import Format, Item, Limits, Problem, Skipped
from healthqa.ingest.encodings import head_text
from healthqa.ingest.inputs import Input

LICENCE = (
    "MedQuAD, CC BY 4.0 (Ben Abacha & Demner-Fushman, BMC Bioinformatics 2019); "
    "answer text from the page at the source URL"
)
SKIP_NO_ANSWER = "no answer text (MedQuAD removed it for copyright)"

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)

_UNSAFE = "it declares a DTD or entities, which MedQuAD files never do (refused for safety)"

# The layouts, as element and attribute names.
_LAYOUTS = {
    "Document": {
        "pairs": "QAPairs/QAPair",
        "question": "Question",
        "answer": "Answer",
        "focus": "Focus",
        "source": "source",
    },
    "DiseaseFile": {
        "pairs": "QAPairs/QAPair",
        "question": "Question",
        "answer": "Answer",
        "focus": "Focus",
        "source": "source",
    },
    "doc": {
        "pairs": "qaPairs/pair",
        "question": "question",
        "answer": "answer",
        "focus": "doctitle-focus",
        "source": "corpus",
    },
}


def sniff(item: Input, head: bytes) -> bool:
    if item.suffix != ".xml":
        return False
    text = head_text(head)  # UTF-16 too; lxml then reads the encoding the file declares
    return any("<" + tag in text for tag in _LAYOUTS)


def read(item: Input, limits: Limits) -> Iterator[Item]:
    data = item.read(limits.document_bytes)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        if b"<!ENTITY" in data:  # libxml2 stops entity bombs with a syntax error
            yield Problem(item.name, "unsafe XML", _UNSAFE)
            return
        line, column = exc.position
        yield Problem(item.name, "broken XML", f"{exc.msg} (column {column})", line=line)
        return
    if root.getroottree().docinfo.doctype:
        yield Problem(item.name, "unsafe XML", _UNSAFE)
        return
    layout = _LAYOUTS.get(root.tag)
    if layout is None:
        expected = " or ".join(f"<{tag}>" for tag in _LAYOUTS)
        detail = f"the root element is <{root.tag}>; expected {expected}"
        yield Problem(item.name, "not MedQuAD", detail)
        return
    yield from _pairs(item, root, layout)


def _pairs(item: Input, root: Element, layout: dict[str, str]) -> Iterator[Item]:
    source = root.get(layout["source"]) or "MedQuAD"
    stem = item.stem
    topic = _topic(root, layout)
    annotations = None  # the document's, read once for its first answered pair
    for position, pair in enumerate(root.iterfind(layout["pairs"]), start=1):
        pid = pair.get("pid") or str(position)
        origin = f"{item.name} (pair {pid})"
        answer = pair.find(layout["answer"])
        answer_text = (answer.text or "") if answer is not None else ""
        if not answer_text.strip():
            yield Skipped(origin, SKIP_NO_ANSWER)
            continue
        question = pair.find(layout["question"])
        annotations = _annotations(root) if annotations is None else annotations
        yield ArticleRecord(
            source=source,
            external_id=f"{source}_{stem}_Sec{pid}",
            title=_text(question),
            body=answer_text,
            body_format="text",
            origin=origin,
            source_url=root.get("url"),
            licence=LICENCE,
            topic=topic,
            question_type=question.get("qtype") if question is not None else None,
            meta=_meta(question, annotations),
        )


@dataclass(frozen=True)
class FAQ:
    """One MedQuAD question, answered or not: its text, its qtype and its document's focus."""

    question: str
    qtype: str
    topic: TopicRecord | None
    origin: str


def faqs(item: Input, limits: Limits | None = None) -> Iterator[FAQ]:
    """Every question of a MedQuAD document, including those whose answers MedQuAD removed
    (for training on the questions alone); nothing for a file that is not MedQuAD."""
    try:
        root = etree.fromstring(item.read((limits or Limits()).document_bytes), _PARSER)
    except etree.XMLSyntaxError:
        return
    layout = _LAYOUTS.get(root.tag)
    if layout is None or root.getroottree().docinfo.doctype:
        return
    topic = _topic(root, layout)
    for position, pair in enumerate(root.iterfind(layout["pairs"]), start=1):
        question = pair.find(layout["question"])
        text = " ".join(_text(question).split())
        if text and question is not None:
            origin = f"{item.name} (pair {pair.get('pid') or position})"
            yield FAQ(text, (question.get("qtype") or "").strip().lower(), topic, origin)


def _topic(root: Element, layout: dict[str, str]) -> TopicRecord | None:
    focus = " ".join(_text(root.find(layout["focus"])).split())
    if not focus:
        return None
    synonyms = tuple(
        dict.fromkeys(
            " ".join(_text(s).split()) for s in root.iterfind("FocusAnnotations/Synonyms/Synonym")
        )
    )
    category = _text(root.find("FocusAnnotations/Category")) or None
    return TopicRecord(focus, tuple(s for s in synonyms if s and s != focus), category)


def _annotations(root: Element) -> tuple[list[str], str]:
    """The document's UMLS concept ids and semantic group, for each pair's meta."""
    cuis = [c.text for c in root.iterfind("FocusAnnotations/UMLS/CUIs/CUI") if c.text]
    return cuis, _text(root.find("FocusAnnotations/UMLS/SemanticGroup"))


def _meta(question: Element | None, annotations: tuple[list[str], str]) -> dict[str, object]:
    meta: dict[str, object] = {"collection": "MedQuAD"}
    if question is not None and question.get("qid"):
        meta["qid"] = question.get("qid")
    cuis, group = annotations
    if cuis:
        meta["cuis"] = list(cuis)  # each article its own list
    if group:
        meta["semantic_group"] = group
    return meta


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


FORMAT = Format(
    "medquad", "MedQuAD XML documents (a folder, an archive or files)", sniff, read, url_field="url"
)
