"""Cleaning: from the `ArticleRecord` an importer read to the `CleanArticle` the store saves.

    text answer ─▶ text_to_html ─────────────────────┐
    HTML answer ─▶ sanitise ─▶ tidy (one lxml tree) ─┴▶ drop_repeats ─▶ body_html, plain_text

The output is a fixed point: cleaning a record built from a `CleanArticle` (body_format "html")
gives back the same title, body and content hash, so an export re-imports byte for byte.
`signature` and `near_duplicates` find articles across the corpus that say nearly the same.
"""

from __future__ import annotations

import functools
import hashlib
import html as html_lib
import json
import re
import string
import struct
import threading
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import accumulate

import nh3
import numpy as np
import rensa
from lxml import etree

from healthqa.articles import ArticleRecord, CleanArticle, TopicRecord, teaser, topic_key

# Invisible, space-like and non-XML characters: what each becomes (unlisted ones go).
_ODD_CHARS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00a0\u00ad\u034f\u061c\u1680\u180e\u2000-\u200f\u2028-\u202f"
    "\u205f-\u206f\u3000\ufdd0-\ufdef\ufeff\ufffe\uffff\ud800-\udfff]"
)
_ODD_ASCII = bytes(range(0x09)) + bytes(range(0x0B, 0x20)) + b"\x7f"  # the ASCII ones
_CHAR_FIXES = dict.fromkeys("\x0b\x0c\u00a0\u1680\u202f\u205f\u3000", " ")
_CHAR_FIXES |= dict.fromkeys("\r\x85\u2028", "\n") | {"\u2029": "\n\n"}
_CHAR_FIXES |= {chr(code): " " for code in range(0x2000, 0x200B)}
_SPACES = re.compile(r"[ \t]+")
_WHITESPACE = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")
_PUNCTUATION = string.punctuation + "‘’“”–—…•·"
_FOLD = str.maketrans(dict.fromkeys(_PUNCTUATION, " "))
_SQUEEZE = str.maketrans(dict.fromkeys(_PUNCTUATION + " \t") | dict.fromkeys(".!?", "\n"))
# _SQUEEZE for ASCII text, as bytes.translate's table and deletions (several times faster)
_SQUEEZE_ENDS = bytes.maketrans(b".!?", b"\n\n\n")
_SQUEEZE_GONE = bytes(c for c in range(128) if _SQUEEZE.get(c, c) is None)


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


ALLOWED_TAGS = _names("p br ul ol li h2 h3 h4 strong em b i a blockquote table thead tbody tr")
ALLOWED_TAGS |= _names("th td sup sub dl dt dd abbr")
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(_names("script style iframe noscript template object embed svg math")),
    attributes={"a": {"href", "title"}},
    url_schemes={"http", "https", "mailto"},
    link_rel="nofollow noopener noreferrer",
)
_H1 = re.compile(r"<(/?)h1(?=[\s/>])", re.IGNORECASE)
_BLOCKS = _names("p ul ol li h2 h3 h4 blockquote table thead tbody tr th td dl dt dd")
_TEXT_BLOCKS = _names("p li h2 h3 h4 th td dt dd blockquote")
_REMOVABLE = _names("p li h2 h3 h4 dt dd blockquote")
_HEADINGS = ("h2", "h3", "h4")
_ROUNDS = 4

# Plain-text answers (MedQuAD): gaps of spaces and dashes are all that is left of the layout.
_WIDE_GAP = re.compile(r"[ \t]{3,}")
# A plain-text answer's pointers to media it no longer carries: "(image)", "(top left image)",
# "(Figure 2)", "(Watch the video to ...)", "(Click the table ...)", "(This short video ...)".
# An instruction runs to its closing parenthesis (one nested pair allowed) or the line's end.
_MISSING_MEDIA = re.compile(
    r"[ \t]*\((?:(?:(?:top|bottom) (?:left|right) )?image|figure \d+|video blog)\)"
    r"|[ \t]*\((?:watch|click|listen|this (?:short )?video)\b(?:[^()\n]|\([^()\n]*\))*(?:\)|$)",
    re.IGNORECASE | re.MULTILINE,
)
# The same without the spaces before: it matches somewhere exactly when _MISSING_MEDIA does, and
# is found at C speed (a pattern that starts with `[ \t]*` is tried at every character).
_MEDIA_MENTION = re.compile(
    _MISSING_MEDIA.pattern.replace(r"[ \t]*\(", r"\("), _MISSING_MEDIA.flags
)
_BULLET = re.compile(r"[-•*]\s+")
_BULLET_GAP = re.compile(r"[ \t]{2,}[-•]\s+")
_INLINE_DASH = re.compile(r" - (?:(?<=[^\s\d] - )(?=\S)|(?<=\S - )(?=[^\s\d]))")
_NUMBERED = re.compile(r"(\d{1,2})[.)]\s+")
_NOT_ABBREVIATION = r"(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bSt\.)(?<!\bvs\.)(?<!\be\.g\.)"
_SENTENCE_END = re.compile(r"[.!?\n](?:(?<=\n)|" + _NOT_ABBREVIATION + r"[\"'”’)\]]*(?:\s+|$))\s*")
_NEXT_SENTENCE = re.compile(r"[.!?]" + _NOT_ABBREVIATION + r"[\"'”’)\]]*\s+(?=[A-Z\"“(])")
_NOT_HEADING_ENDS = (".", ",", ";", ":", "!", "-", "…")
_HEADING_WORDS = 8
_MIN_SENTENCE_WORDS = 4

NUM_PERM, SEED, SHINGLE = 64, 20240601, 5
_MIX = np.uint64(0x9E3779B97F4A7C15)
_DIGEST = struct.Struct(f"<{NUM_PERM}I")
_BANDS, _ROWS, _MAX_BUCKET, _CHUNK = 16, 4, 64, 100_000

Block = tuple[str, list[str]]  # ("p" | "h2" | "ul" | "ol", the text of each line)
Slot = tuple[etree._Element, str] | None


@dataclass(frozen=True)
class DuplicatePair:
    """Two articles whose signatures agree on `similarity` of their MinHash slots (a < b)."""

    a: int
    b: int
    similarity: float


def clean(record: ArticleRecord) -> CleanArticle:
    """The article as the store saves it: normalised, sanitised, repeats dropped, hashed."""
    given = " ".join(normalise_text(record.title).split())
    source_title = given
    if record.source_title:  # an export's: what the source called it before tidying
        source_title = " ".join(normalise_text(record.source_title).split())
    title = given
    topic = tidy_topic(record.topic) if record.topic else None
    if source_title == given:  # else tidied (or edited) before: an export keeps its titles
        title = tidy_title(given, record.body, topic.name if topic else None)
    headings = None  # known without parsing the HTML for a text answer
    if record.body_format == "text":
        body_html, body_text, headings = _clean_text(record.body, title)
    else:
        body_html, body_text = _clean_html(record.body, title)
    copied: tuple[str, ...] = ("source", "external_id", "origin", "source_url", "licence")
    copied += ("language", "question_type", "last_reviewed", "next_review", "status", "links")
    copied += ("meta", "slug")
    return CleanArticle(
        **{name: getattr(record, name) for name in copied},
        topic=topic,
        title=title,
        source_title=source_title,
        body_html=body_html,
        body_text=body_text,
        teaser=teaser(lead_sentence(body_html, body_text, headings)),
        content_hash=_content_hash(record, title, body_html, source_title, topic),
        signature=signature(title + "\n" + body_text),
    )


def tidy_title(title: str, body: str = "", focus: str | None = None) -> str:
    """A template question as a reader would write it; other titles keep their words.

    MedQuAD's templates become plain questions: "What is (are) Breast Cancer ?" becomes
    "What is breast cancer?", "Who is at risk for Glaucoma? ?" becomes "Who is at risk for
    glaucoma?". The words of `focus` (the topic's name, where the title names it) are
    lowercased only where `body` writes them lowercase mid-sentence more often than as the
    title has them, so "Parkinson's", "Down syndrome", "HIV" and gene names stay as they are.
    A title all in lowercase takes the body's spelling of its words ("als" becomes "ALS").
    Deterministic, and idempotent: a tidy title comes back unchanged.
    """
    text = " ".join(title.split())
    if not text:
        return text
    # Each substitution only where it can apply (the text's only spaces are single " "; an
    # ASCII text without "need to know" or "what research " cannot match those patterns).
    if text.count("?") > 1:
        text = _REPEATED_MARK.sub("?", text)
    if any(f" {mark}" in text for mark in "?!.,;:"):
        text = _SPACE_BEFORE_MARK.sub(r"\1", text)
    ascii_lower = text.lower() if text.isascii() else None
    # A booklet's name for its subject: "What is What I need to know about Gout?", "What are
    # the symptoms of Hepatitis B: What Asian Americans Need to Know?" ask about the condition.
    if ascii_lower is None or "need to know" in ascii_lower:
        # A title that is nothing but a booklet's name (": What I need to know") keeps it.
        subject = _BOOKLET_END.sub("", _IN_BOOKLET.sub("", text))
        text = subject if subject.strip(" ?:;,.!") else text
    if ascii_lower is None or ascii_lower.startswith("what research "):
        text = _RESEARCH.sub("What research and clinical trials are being done for ", text)
    if are := _IS_ARE.match(text):
        subject = are["subject"]
        verb = "are" if subject and _plural(subject) else "is"
        text = f"What {verb} {subject}?" if subject else "What is it?"
    if not text.endswith("?") and _asks(text):
        text = text.rstrip(" .") + "?"
    if body and (wanted := _wanted(text, focus)):
        text = _recased(text, _evidence(body, wanted), focus)
    return text[:1].upper() + text[1:]


def tidy_topic(topic: TopicRecord) -> TopicRecord:
    """The topic a booklet is about: NIDDK names some MedQuAD topics by booklet ("What I need to
    know about Gout", "Hepatitis B: What Asian Americans Need to Know"), so they are tidied to
    the condition ("Gout", "Hepatitis B") and join its topic."""
    name = _BOOKLET_END.sub("", _BOOKLET.sub("", topic.name)).strip()
    if name == topic.name or not name:
        return topic
    return replace(topic, name=name[:1].upper() + name[1:])


def lead_sentence(body_html: str, body_text: str, headings: Collection[str] | None = None) -> str:
    """The first sentence of the answer's text, for its teaser: never a heading ("Key
    Points"), nor a question the answer opens by asking ("What are the signs and symptoms of
    X?") when a sentence follows it. `body_text` is `body_html`'s, one line a block; the text
    of its headings is read from `body_html` unless given."""
    if headings is None:
        headings = set()
        if "<h" in body_html:
            root = _parse(body_html)
            headings = {" ".join("".join(h.itertext()).split()) for h in root.iter(*_HEADINGS)}
    lines = [line for line in body_text.split("\n") if line.strip()]
    text = next((line for line in lines if line not in headings), lines[0] if lines else "")
    text = _KEY_POINTS.sub("", text) or text  # a heading the text layout ran into the text
    sentence = text
    for start, end in _sentences(text):  # the first that is not a question, else the last
        sentence = text[start:end].strip()
        if not sentence.endswith("?"):
            break
    return sentence


def normalise_text(text: str) -> str:
    """NFC text without invisible characters, spaces collapsed, at most one blank line."""
    text = _fix_chars(text)
    if "\n" not in text:  # a title
        return _SPACES.sub(" ", text).strip()
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def text_to_html(text: str) -> str:
    """HTML for a plain-text answer: paragraphs, lists and (conservatively) headings.

    A line, or a part of a line after a gap of 3+ spaces, is a segment. Segments starting
    "- " are bullets and "1. ", "2. "... a numbered list; two or more " - " inside a segment
    make an inline list ("Key Points - one. - two."); a short line without end punctuation
    before body text may be a heading (see `_is_heading`).
    """
    return _render(_text_blocks(text))


def sanitise(html: str) -> str:
    """Only allowed tags and link attributes survive; h1 becomes h2 (the page has the h1);
    invisible characters go (no NFC here: "<b>" and U+0338 would compose into "<b≯")."""
    return _CLEANER.clean(_H1.sub(r"<\1h2", _fix_chars(html, nfc=False)))


def drop_repeats(html: str, title: str | None = None) -> str:
    """Sanitised HTML with each sentence (of 4+ words) said once, the first time.

    A later copy goes when it lies in a plain text node of its block (not inside inline
    markup); blocks and lists left empty go too, and so do headings that repeat `title` or an
    earlier heading. Blocks without repeats are left byte for byte. An answer that only
    repeats its question is left as it is, rather than emptied.
    """
    root = _parse(html)
    if not _drop_repeats(root, title) or not _text(root).strip():
        return html
    return _serialise(root)


def plain_text(html: str) -> str:
    """The text of sanitised HTML, one line per block (each list item on its own line)."""
    root = _parse(html)
    _tidy(root)
    return _text(root)


def signature(text: str) -> bytes:
    """MinHash (64 slots, fixed seed) of the casefolded text's word 5-shingles, as bytes.

    A shingle is a 64-bit mix of its words' rensa hashes, which are the same in every process;
    text of fewer than 5 words is hashed word by word. The bytes are little-endian uint32s.
    """
    words = text.casefold().split() or [""]
    hashes = np.fromiter(rensa.RMinHash.hash_token_sets([words])[0], np.uint64, len(words))
    if len(hashes) >= SHINGLE:
        count = len(hashes) - SHINGLE + 1
        shingles = hashes[:count].copy()
        for offset in range(1, SHINGLE):
            shingles *= _MIX
            shingles ^= hashes[offset : offset + count]
        hashes = shingles
    digest = rensa.RMinHash.digest_matrix_from_flat_token_hashes(
        hashes, [0, len(hashes)], NUM_PERM, SEED
    )
    return _DIGEST.pack(*digest.to_rows()[0])


def near_duplicates(
    ids: Sequence[int], signatures: Sequence[bytes], threshold: float = 0.8
) -> list[DuplicatePair]:
    """Pairs of articles whose signatures agree on at least `threshold` of their slots.

    Identical signatures form a group, and each member is paired only with the group's
    smallest id (similarity 1.0): a thousand copies give 999 pairs, not half a million.
    Other pairs come from LSH (16 bands of 4 rows) over those smallest ids and are checked on
    all 64 slots; a bucket of more than 64 pairs each member with its first only. Sorted by
    similarity (highest first), then a, then b.
    """
    if len(ids) != len(signatures):
        raise ValueError(f"{len(ids)} ids but {len(signatures)} signatures")
    if any(len(sig) != _DIGEST.size for sig in signatures):
        raise ValueError(f"every signature must be {_DIGEST.size} bytes, as signature() makes")
    groups: dict[bytes, list[int]] = {}
    for article_id, sig in zip(ids, signatures, strict=True):
        groups.setdefault(sig, []).append(article_id)
    members = [sorted(group) for group in groups.values()]
    pairs = [DuplicatePair(group[0], other, 1.0) for group in members for other in group[1:]]
    if len(groups) > 1:
        firsts = np.array([group[0] for group in members], dtype=np.int64)
        pairs += _similar_pairs(firsts, _matrix(list(groups)), threshold)
    return sorted(pairs, key=lambda pair: (-pair.similarity, pair.a, pair.b))


# The two paths through `clean`


def _clean_text(body: str, title: str) -> tuple[str, str, set[str]]:
    """The HTML, the text and the headings' text of a plain-text answer."""
    blocks = _text_blocks(body)
    html, text = _render(blocks), "\n".join(line for _, lines in blocks for line in lines)
    headings = [lines[0] for kind, lines in blocks if kind == "h2"]
    if not _may_repeat(headings, text, title):
        return html, text, set(headings)
    kept = _drop_block_repeats(blocks, title)
    if not kept:  # the answer only repeats the question: keep it as the source has it
        return html, text, set(headings)
    text = "\n".join(line for _, lines in kept for line in lines)
    return _render(kept), text, {lines[0] for kind, lines in kept if kind == "h2"}


def _clean_html(body: str, title: str) -> tuple[str, str]:
    """Clean until the output reads back as itself: serialised HTML can parse into another
    tree (an <a> in an <a>, a table in a <p>), and then another round is needed."""
    html = text = body
    for _ in range(_ROUNDS):
        read = html
        root = _parse(sanitise(html))
        raw = etree.tostring(root, encoding="unicode", method="text")
        _tidy(root, fix=_fix_chars(raw) != raw)
        html, text = _serialise(root), _text(root)
        headings = ["".join(heading.itertext()) for heading in root.iter(*_HEADINGS)]
        if _may_repeat(headings, text, title) and _drop_repeats(root, title):
            _tidy(root)
            if _text(root).strip():  # else the answer only repeats the question: keep it
                html, text = _serialise(root), _text(root)
        if html == read or _serialise(_parse(sanitise(html))) == html:
            break
    return html, text


# Characters and sentences


def _fix_chars(text: str, nfc: bool = True) -> str:
    if text.isascii():  # most text: then NFC already, and a byte-level test is 4 times faster
        raw = text.encode("ascii")
        if len(raw.translate(None, _ODD_ASCII)) == len(raw):
            return text
    if _ODD_CHARS.search(text):
        text = _ODD_CHARS.sub(lambda match: _CHAR_FIXES.get(match[0], ""), text)
    if not nfc or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def _key(sentence: str) -> str:
    """A sentence with case, punctuation and spacing folded away."""
    return " ".join(sentence.casefold().translate(_FOLD).split())


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the sentences in `text`, each with the whitespace after it, found as read."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        yield start, match.end()
        start = match.end()
    if text[start:].strip():
        yield start, len(text)


_KEY_POINTS = re.compile(r"^Key Points\s+(?:-\s+)?(?=[A-Z])")

# Titles


_REPEATED_MARK = re.compile(r"\?(?:\s*\?)+")
_BOOKLET = re.compile(r"^what i need to know about\s+", re.IGNORECASE)
_IN_BOOKLET = re.compile(r"(?<=\s)what i need to know about\s+", re.IGNORECASE)
_BOOKLET_END = re.compile(r":\s*what [^:?]*\bneed to know(?=\s*\??$)", re.IGNORECASE)
_SPACE_BEFORE_MARK = re.compile(r"\s+([?!.,;:])")
_RESEARCH = re.compile(r"^what research \(or clinical trials\) is being done for ", re.IGNORECASE)
_IS_ARE = re.compile(r"^what is \(are\)\s*(?P<subject>.*?)\s*\??$", re.IGNORECASE)
_AUXILIARIES = _names("is are was were do does can could should will")
_QUESTION_WORDS = _names("what who where when why which how")
_HEAD_ENDS = re.compile(
    r"\s(?:in|of|for|with|during|after|before|among|from|to|on|at|by|caused|due|related)\s",
    re.IGNORECASE,
)
_SINGULAR_S = _names(
    "diabetes prediabetes herpes measles mumps rickets shingles scabies hives rabies "
    "news series species lupus tetanus gas mellitus insipidus"
)
_TITLE_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
_WORD_CHARS = frozenset(string.ascii_letters + "'’")
_LOOK_BACK = 60  # characters read before a word for the word before it
# The last word or sentence end before a place: a word in group 1, an end in none.
_LAST_TOKEN = re.compile(r".*(?:(?<![A-Za-z'’])([A-Za-z][A-Za-z'’]*)|[.!?:•\n]|\s-\s)", re.S)


def _asks(title: str) -> bool:
    """Whether a title without "?" is a question all the same: "Do you have information about
    X", "Is X inherited", "What is X" (not "What to expect", "How vaccines work")."""
    words = title.casefold().split()[:2]
    if words[0] in _AUXILIARIES:
        return True
    return len(words) == 2 and words[0] in _QUESTION_WORDS and words[1] in _AUXILIARIES


def _plural(subject: str) -> bool:
    """Whether "What is (are) X" asks about several things: "Kidney Stones", "Sprains and
    Strains", "Kidney Stones in Adults" (the words before "in", "of"...), not "Diabetes"."""
    head = _HEAD_ENDS.split(re.sub(r"\([^)]*\)", " ", subject), maxsplit=1)[0]
    words = head.replace("/", " ").split()
    if not words or words[-1].isupper():  # an acronym: "HIV/AIDS", "ARDS"
        return False
    if "and" in words:
        return True
    last = words[-1].casefold()
    if last in _SINGULAR_S or last.endswith(("ss", "is", "us", "as", "os", "'s", "’s")):
        return False
    return last.endswith("s") and len(last) > 3


def _wanted(title: str, focus: str | None) -> set[str]:
    """The words (casefolded) whose spelling `_recased` will look up."""
    if title.islower():
        return {word.casefold() for word in _TITLE_WORD.findall(title)}
    where = title.casefold().rfind(focus.casefold()) if focus else -1
    if where <= 0 or focus is None:
        return set()
    words = _TITLE_WORD.findall(title, where, where + len(focus))
    return {word.casefold() for word in words if not word.islower()}  # lowercase stays so


def _evidence(body: str, wanted: set[str]) -> dict[str, Counter[str]]:
    """How the body spells each `wanted` word mid-sentence (casefolded word: spelling: times).

    A capitalised word counts only after a lowercase word, so the words of a Title Case
    heading ("General Information About Breast Cancer") say nothing; an acronym ("ALS",
    "IgA") always counts. Tags of an HTML body count for nothing. Only the words wanted are
    looked for, and only the few characters before each are read for the word before it.
    """
    text = re.sub(r"<[^>]*>", "\n", body) if "<" in body else body
    folded = text.lower()  # ASCII letters only in the words wanted: same offsets
    seen: dict[str, Counter[str]] = {}
    size = len(folded)
    for word in wanted:
        start = folded.find(word)
        while start >= 0:
            end = start + len(word)
            # a whole word: no letter or apostrophe on either side
            if (not start or folded[start - 1] not in _WORD_CHARS) and (
                end >= size or folded[end] not in _WORD_CHARS
            ):
                _count(text, start, end, seen)
            start = folded.find(word, end)
    return seen


def _count(text: str, start: int, end: int, seen: dict[str, Counter[str]]) -> None:
    """Count the spelling at text[start:end] if it stands mid-sentence (see `_evidence`)."""
    token = text[start:end]
    last = _LAST_TOKEN.match(text, max(0, start - _LOOK_BACK), start)
    previous = last[1] if last else None  # the word before, in this sentence
    if not previous:
        return
    if token.islower() or previous[0].islower() or _has_capitals(token):
        key = token.casefold()
        forms = seen.get(key)
        if forms is None:
            forms = seen[key] = Counter()
        forms[token] = forms.get(token, 0) + 1


def _has_capitals(word: str) -> bool:
    rest = word[1:]
    if rest.isascii():  # then a capital is exactly what lower() changes
        return rest != rest.lower()
    return any(letter.isupper() for letter in rest)


def _recased(title: str, seen: dict[str, Counter[str]], focus: str | None) -> str:
    """The title with the words of its `focus` (or, in an all-lowercase title, every word)
    spelt as the body spells them; the first word is left to the caller."""
    if title.islower():
        return _TITLE_WORD.sub(lambda word: _found_spelling(word[0], seen), title)
    where = title.casefold().rfind(focus.casefold()) if focus else -1
    if where <= 0 or focus is None:
        return title
    words = list(_TITLE_WORD.finditer(title, where, where + len(focus)))
    # In a Title Case name, capitals say nothing: a word the body gives no evidence for
    # follows the word before it. In a name in sentence case, a capital is meant: kept.
    title_case = all(match[0][0].isupper() for match in words if len(match[0]) > 3)
    spelt, ordinary = [], False  # "ordinary": the word before was lowercase or lowercased
    for match in words:
        word = match[0]
        kind = _kind(word, seen)
        if kind == "ordinary" or (kind == "unknown" and title_case and ordinary):
            word = word.lower()
        spelt.append(word)
        ordinary = word.islower()
    parts, last = [], 0
    for match, word in zip(words, spelt, strict=True):
        parts += [title[last : match.start()], word]
        last = match.end()
    return "".join([*parts, title[last:]])


def _kind(word: str, seen: dict[str, Counter[str]]) -> str:
    """ "ordinary" (lowercase, or written so mid-sentence more often than capitalised),
    "proper" (a capital the body keeps, an acronym, a gene name) or "unknown"."""
    if word.islower():
        return "ordinary"
    if len(word) < 2 or _has_capitals(word):
        return "proper"
    forms = seen.get(word.casefold())
    if not forms:
        return "unknown"
    lower, capital = forms.get(word.lower(), 0), forms.get(word, 0)
    if lower > capital:
        return "ordinary"
    return "proper" if capital else "unknown"


def _found_spelling(word: str, seen: dict[str, Counter[str]]) -> str:
    """A lowercase word as the body writes it, when the body mostly capitalises it."""
    forms = seen.get(word.casefold())
    if not forms or len(word) < 2:
        return word
    best, times = max(forms.items(), key=lambda form: (form[1], form[0]))
    return best if times > forms[word] else word


# Plain text to blocks


def _text_blocks(text: str) -> list[Block]:
    text = _MISSING_MEDIA.sub("", text) if _MEDIA_MENTION.search(text) else text
    lines = [line.strip() for line in _fix_chars(text).split("\n")]
    split = [_WIDE_GAP.split(line) if "   " in line or "\t" in line else [line] for line in lines]
    segments = [part for parts in split for part in parts if part]
    blocks: list[Block] = []
    for index, segment in enumerate(segments):
        before = segments[index - 1] if index else ""
        after = segments[index + 1] if index + 1 < len(segments) else ""
        for kind, content in _segment_blocks(segment, blocks, before, after):
            if kind in ("ul", "ol") and blocks and blocks[-1][0] == kind:
                blocks[-1][1].extend(content)
            else:
                blocks.append((kind, content))
    return [_numbers_dropped(kind, lines) for kind, lines in blocks]


def _segment_blocks(segment: str, blocks: list[Block], before: str, after: str) -> list[Block]:
    if bullet := _BULLET.match(segment):
        rest = segment[bullet.end() :]
        if _BULLET_GAP.search(rest):
            return [("ul", [_collapse(item) for item in _BULLET_GAP.split(rest)])]
        parts = _INLINE_DASH.split(_collapse(rest))
        return _inline_list("", parts) if len(parts) >= 3 else [("ul", [_collapse(rest)])]
    numbered = blocks[-1][1] if blocks and blocks[-1][0] == "ol" else []
    if (number := _NUMBERED.match(segment)) and int(number[1]) == len(numbered) + 1:
        return [("ol", [_collapse(segment)])]
    segment = _collapse(segment)
    if len(parts := _INLINE_DASH.split(segment)) >= 3:
        return _inline_list(parts[0], parts[1:])
    return [("h2" if _is_heading(segment, before, after) else "p", [segment])]


def _collapse(text: str) -> str:
    return " ".join(text.split()) if "  " in text or "\t" in text else text


def _inline_list(lead: str, items: list[str]) -> list[Block]:
    """A lead and the items after it. Flattened text hides where a list ends, so an item's
    second sentence starts a paragraph when every item so far was one sentence, or when it
    introduces another list (ends with ":")."""
    blocks: list[Block] = [("h2" if _is_heading(lead, "", "- ") else "p", [lead])] if lead else []
    current: list[str] = []
    one_sentence_each = True
    for item in items:
        end = _NEXT_SENTENCE.search(item)
        cut = end.end() if end else len(item)
        rest = item[cut:]
        if rest and (one_sentence_each or rest.endswith(":")):
            blocks += [("ul", [*current, item[:cut].rstrip()]), ("p", [rest])]
            current, one_sentence_each = [], True
        else:
            current.append(item)
            one_sentence_each = one_sentence_each and not rest
    return [*blocks, ("ul", current)] if current else blocks


def _is_heading(segment: str, before: str, after: str) -> bool:
    """A short capitalised line without end punctuation (a question is fine) before body text.
    Before a list it must be in Title Case ("Key Points", not "Symptoms may include"); in
    sentence case it must follow a sentence, not another short line (a list in disguise)."""
    if not after or before.endswith(":") or not segment[0].isupper():
        return False
    if segment.endswith(_NOT_HEADING_ENDS) or len(segment) > 80:
        return False
    words = segment.split()
    title_case = all(word[0].isupper() or not word[0].isalpha() for word in words if len(word) > 3)
    if len(words) > _HEADING_WORDS:
        return False
    if _BULLET.match(after) or _NUMBERED.match(after) or " - " in after:
        return title_case
    if len(after.split()) <= _HEADING_WORDS and after[-1] not in ".!?:":
        return False
    return title_case or not before or before[-1] in ".!?)"


def _numbers_dropped(kind: str, lines: list[str]) -> Block:
    if kind == "ol" and len(lines) == 1:
        return "p", lines  # "1. " alone is no list
    if kind == "ol":
        return kind, [_NUMBERED.sub("", line, count=1) for line in lines]
    return kind, lines


def _render(blocks: list[Block]) -> str:
    html = []
    for kind, lines in blocks:
        escaped = [html_lib.escape(line, quote=False) for line in lines]
        if kind in ("ul", "ol"):
            items = "".join(f"<li>{line}</li>\n" for line in escaped)
            html.append(f"<{kind}>\n{items}</{kind}>")
        else:
            html.append(f"<{kind}>{escaped[0]}</{kind}>")
    return "\n".join(html)


# The article tree

_LOCAL = threading.local()


def _parse(html: str) -> etree._Element:
    if not hasattr(_LOCAL, "parser"):
        _LOCAL.parser = etree.HTMLParser()
    return etree.fromstring(f"<div>{html}</div>", _LOCAL.parser)[0][0]


def _serialise(root: etree._Element) -> str:
    text: str = etree.tostring(root, encoding="unicode", method="html")
    return text[5:-6].strip()


def _text(root: etree._Element) -> str:
    text = etree.tostring(root, encoding="unicode", method="text")
    return "\n".join(line for line in map(str.strip, text.split("\n")) if line)


def _tidy(root: etree._Element, fix: bool = True) -> None:
    """Normalise each text node (on its own, so that NFC cannot reach into the markup);
    put exactly one newline around each block and after each <br>. `fix=False` skips the
    character fixes for a tree whose text is known to need none."""
    for element in root.iter():
        if element.text:
            element.text = _inline(element.text, fix)
        if element.tail and element is not root:
            element.tail = _inline(element.tail, fix)
        if element.tag in _BLOCKS:
            _break_around(element)
        elif element.tag == "br":
            element.tail = "\n" + (element.tail or "").lstrip()


def _inline(text: str, fix: bool = True) -> str:
    text = _fix_chars(text) if fix else text
    return _WHITESPACE.sub(" ", text) if "  " in text or "\n" in text or "\t" in text else text


def _break_around(block: etree._Element) -> None:
    block.text = (block.text or "").lstrip()  # libxml2 writes an empty <li> without </li>
    if len(block) and block[-1].tail:
        block[-1].tail = _inline(block[-1].tail).rstrip()
    elif not len(block):
        block.text = block.text.rstrip()
    previous, parent = block.getprevious(), block.getparent()
    before = parent.text if previous is None else previous.tail
    before = before.rstrip() + "\n" if before and before.strip() else "\n"
    if previous is None:
        parent.text = before
    else:
        previous.tail = before
    block.tail = "\n" + (block.tail or "").lstrip()


# Repeated sentences


def _may_repeat(headings: list[str], text: str, title: str) -> bool:
    """Whether a heading or a sentence may repeat: a quick test that lets most articles skip
    the walk. Its keys are coarser than `_key` (cut at every . ! ?, spaces dropped), so that
    no repeat `_drop_repeats` would find is missed."""
    keys = [_key(title), *map(_key, headings)]
    if len(set(keys)) < len(keys):
        return True
    fragments = _squeezed(f"{title}\n{text}".casefold()).split("\n")
    in_title = _squeezed(title).count("\n") + 1
    # a fragment (long enough) of the text seen in the title, or twice in the text
    body = [fragment for fragment in fragments[in_title:] if len(fragment) >= _MIN_SENTENCE_WORDS]
    return len(set(body)) < len(body) or not set(fragments[:in_title]).isdisjoint(body)


def _squeezed(text: str) -> str:
    """`text.translate(_SQUEEZE)`, at byte level for ASCII text."""
    if text.isascii():
        return text.encode("ascii").translate(_SQUEEZE_ENDS, _SQUEEZE_GONE).decode("ascii")
    return text.translate(_SQUEEZE)


def _drop_block_repeats(blocks: list[Block], title: str) -> list[Block]:
    """`_drop_repeats` for the blocks of a plain-text answer (all plain text): same result,
    no tree."""
    seen = {_key(title)}
    headings = set(seen)
    kept: list[Block] = []
    for kind, lines in blocks:
        lines = [_without(line, _repeats(line, seen)).strip() for line in lines]
        lines = [line for line in lines if line]
        if kind == "h2" and lines and _key(lines[0]) in headings:
            continue
        headings |= {_key(lines[0])} if kind == "h2" and lines else set()
        kept += [(kind, lines)] if lines else []
    return kept


def _repeats(text: str, seen: set[str]) -> list[tuple[int, int]]:
    """Spans of the sentences (4+ words) of `text` already in `seen`; every one joins it."""
    spans = []
    for start, end in _sentences(text):
        key = _key(text[start:end])
        if key.count(" ") >= _MIN_SENTENCE_WORDS - 1:
            if key in seen:
                spans.append((start, end))
            seen.add(key)
    return spans


def _drop_repeats(root: etree._Element, title: str | None) -> bool:
    """Remove repeated sentences, then repeated headings, in place; True if anything went.
    A repeated heading that holds blocks of its own stays (they would go with it)."""
    seen = {_key(title)} if title else set()
    changed = False
    for block in list(root.iter()):
        if block is root or block.tag in _TEXT_BLOCKS:
            changed |= _drop_sentences(block, seen)
    headings = {_key(title)} if title else set()
    for heading in list(root.iter(*_HEADINGS)):
        key = _key("".join(heading.itertext()))
        if key and key in headings and not _holds_block(heading):
            _remove(heading)
            changed = True
        headings.add(key)
    return changed


def _drop_sentences(block: etree._Element, seen: set[str]) -> bool:
    """Drop the block's sentences seen before, where each lies within one plain text node."""
    pieces, slots = _pieces(block)
    text = "".join(pieces)
    ends = list(accumulate(map(len, pieces)))
    cuts: dict[int, list[tuple[int, int]]] = {}
    for start, end in _repeats(text, seen):
        index = bisect_right(ends, start)
        if slots[index] and start + len(text[start:end].rstrip()) <= ends[index]:
            base = ends[index] - len(pieces[index])
            cuts.setdefault(index, []).append((start - base, min(end, ends[index]) - base))
    for index, spans in cuts.items():
        slot = slots[index]
        if slot is None:
            continue
        node, attribute = slot
        kept = _without(pieces[index], spans)
        kept = kept.lstrip() if attribute == "text" else kept
        setattr(node, attribute, kept.rstrip() if index == len(pieces) - 1 else kept)
    if cuts and block.tag in _REMOVABLE and _is_empty(block):
        _remove(block)
    return bool(cuts)


def _pieces(block: etree._Element) -> tuple[list[str], list[Slot]]:
    """The block's text in order, with a slot for each of its own text nodes (None for
    inline markup). A nested block is a line break here: its text counts on its own."""
    pieces: list[str] = [block.text or ""]
    slots: list[Slot] = [(block, "text")]
    for child in block:
        if child.tag in _BLOCKS or not isinstance(child.tag, str) or _holds_block(child):
            pieces.append("\n")
        else:
            pieces.append("".join(child.itertext()))
        pieces.append(child.tail or "")
        slots += [None, (child, "tail")]
    return pieces, slots


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    kept, position = [], 0
    for start, end in spans:
        kept.append(text[position:start])
        position = end
    return _SPACES.sub(" ", "".join([*kept, text[position:]]))


def _holds_block(element: etree._Element) -> bool:
    return next(element.iterdescendants(*_BLOCKS), None) is not None


def _is_empty(element: etree._Element) -> bool:
    if "".join(element.itertext()).strip():
        return False
    return all(child.tag == "br" for child in element.iterdescendants())


def _remove(element: etree._Element) -> None:
    """Remove `element` but keep its tail text; a list left empty goes too."""
    parent, previous = element.getparent(), element.getprevious()
    if element.tail and element.tail.strip():
        if previous is None:
            parent.text = (parent.text or "") + element.tail
        else:
            previous.tail = (previous.tail or "") + element.tail
    parent.remove(element)
    if parent.tag in ("ul", "ol") and not len(parent):
        _remove(parent)


_topic_key = functools.lru_cache(maxsize=4096)(topic_key)  # a MedQuAD topic has 5 articles


def _content_hash(
    record: ArticleRecord,
    title: str,
    body_html: str,
    source_title: str,
    topic: TopicRecord | None,
) -> str:
    """SHA-256 of canonical JSON of the article's content fields. Left out, so that an export
    imports with the same hash: `origin` (a place), `status` (the store's: retire, restore)
    and the topic's spelling, synonyms and category (the store merges topics whose names differ
    only by case, plural or word order, keeping the first spelling: "Ewing sarcoma" and
    "Ewing Sarcoma" are one topic, so the topic counts by `topic_key`). The source's
    title counts only where it differs from the title, so untouched titles keep their hash."""
    names = ("source", "external_id", "source_url", "licence", "language", "question_type")
    fields = {name: getattr(record, name) for name in (*names, "meta")}
    fields |= {
        "title": title,
        "body_html": body_html,
        "topic": topic and _topic_key(topic.name),
    }
    if source_title != title:
        fields["source_title"] = source_title
    fields |= {"last_reviewed": record.last_reviewed, "next_review": record.next_review}
    fields["links"] = [[link.kind, link.title, link.teaser] for link in record.links]
    return hashlib.sha256(_canonical_json(fields).encode()).hexdigest()


# json.dumps(value, sort_keys=True, separators=(",", ":"), default=str), one encoder for all
_canonical_json = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode


# Near-duplicates


def _matrix(signatures: Sequence[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(signatures), dtype="<u4").reshape(len(signatures), NUM_PERM)


def _similar_pairs(ids: np.ndarray, matrix: np.ndarray, threshold: float) -> list[DuplicatePair]:
    first, second = _candidates(matrix)
    need = int(np.ceil(threshold * NUM_PERM - 1e-9))
    pairs = []
    for start in range(0, len(first), _CHUNK):
        i, j = first[start : start + _CHUNK], second[start : start + _CHUNK]
        equal = (matrix[i] == matrix[j]).sum(axis=1)
        keep = equal >= need
        a, b = ids[i[keep]], ids[j[keep]]
        low, high = np.minimum(a, b).tolist(), np.maximum(a, b).tolist()
        for x, y, count in zip(low, high, equal[keep].tolist(), strict=True):
            pairs.append(DuplicatePair(x, y, round(count / NUM_PERM, 3)))
    return pairs


def _candidates(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs sharing a bucket in any band, each pair once (first < second): every pair in
    a bucket of up to 64 rows, and each row with the bucket's first in a bigger one."""
    count = len(matrix)
    found = [np.empty(0, dtype=np.int64)]
    for band in range(_BANDS):
        halves = np.ascontiguousarray(matrix[:, band * _ROWS : (band + 1) * _ROWS]).view(np.uint64)
        keys = halves[:, 0] * _MIX ^ halves[:, 1]
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        sizes = np.diff(np.r_[starts, count])
        size_of = np.repeat(sizes, sizes)
        for gap in range(1, min(int(sizes.max()), _MAX_BUCKET)):
            same = (keys[:-gap] == keys[gap:]) & (size_of[gap:] <= _MAX_BUCKET)
            found.append(_codes(order[:-gap][same], order[gap:][same], count))
        big = size_of > _MAX_BUCKET
        found.append(_codes(order[np.repeat(starts, sizes)[big]], order[big], count))
    codes = np.unique(np.concatenate(found))
    return codes // count, codes % count


def _codes(first: np.ndarray, second: np.ndarray, count: int) -> np.ndarray:
    keep = first != second
    low, high = np.minimum(first, second)[keep], np.maximum(first, second)[keep]
    codes: np.ndarray = low.astype(np.int64) * count + high
    return codes
