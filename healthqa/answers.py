"""Ask: a question in a person's words, answered by passages quoted from the articles.

    retrieve (search) -> quote (the passage of each article that answers) -> confidence

Nothing is generated: every passage is the article's own text, verbatim, with the article's
title, topic, source, URL and review date beside it. An article's body is cut into blocks
(paragraphs, lists, headings). A paragraph that introduces a list ("...:") and the list are one
passage, and a list is quoted whole, item by item. Each passage is scored by how much of the
question it covers (its terms weighted by rarity, idf, with the words of its section heading
counting half), and the best is quoted: for "What causes leg cramps in late pregnancy?" on the
sample page, that is the list of causes.

Confidence, between 0 and 1, is the idf-weighted share of the question's terms that the
article's title and quoted passage cover; with embeddings, it is the larger of that and the
article's cosine with the question put on the same scale (`_meaning`), so an article that says
the same in other words ("calves knot up" against "leg cramps") counts. Below MIN_CONFIDENCE
the result says there is no good answer rather than showing a weak one. Both lines were read
off how often the top answer was judged right on liveqa-med-dev (docs/quality.md,
"Confidence"): scores, not probabilities.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import html as lxml_html

from healthqa.articles import Article
from healthqa.index.analysis import terms
from healthqa.questions import Analysis, answers_type
from healthqa.safety import DISCLAIMER, Numbers, Urgency, assess, dose_note, review_status
from healthqa.search import Result, Search

MIN_CONFIDENCE = 0.3
# With embeddings, a top answer whose cosine with the question is at least this is an answer
# even when it shares few words with it (docs/quality.md, "Confidence").
MIN_SIMILARITY = 0.5
TYPE_BONUS = 0.25
FOCUS_BONUS = 0.1  # an article about the question's focus scores 10% more
FOCUS_DEPTH = 30  # how many search results the focus may re-order
_BLOCKS = ("p", "ul", "ol", "h2", "h3", "h4", "blockquote", "table")
_HEADINGS = ("h2", "h3", "h4")


@dataclass(frozen=True)
class Passage:
    """Verbatim text of an article: a paragraph, or a list's items (with its introduction)."""

    text: str
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    article_id: int
    slug: str
    title: str
    topic: str | None
    source: str
    source_url: str | None
    last_reviewed: str | None
    passages: tuple[Passage, ...]
    confidence: float
    next_review: str | None = None
    review: str = "unknown"  # "current", "overdue" or "unknown" (healthqa.safety.review_status)


@dataclass
class AskResult:
    question: str
    analysis: Analysis
    answers: list[Answer] = field(default_factory=list)
    no_answer: bool = True
    # Safety (issue 5): the urgent-symptom notice, shown before any answer; the dose note.
    urgency: Urgency | None = None
    dose_note: str | None = None
    disclaimer: str = DISCLAIMER

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Block:
    kind: str
    text: str
    heading: str
    items: tuple[str, ...] = ()


def ask(search: Search, question: str, limit: int = 3, numbers: Numbers | None = None) -> AskResult:
    """The best articles for `question`, each with the passage that answers it.

    `numbers` (from the settings) are the ones an urgent-symptom notice says to call.
    """
    weights = _term_weights(search, question)
    alternatives = search.vocabulary.alternatives(list(weights))
    result = AskResult(question, search.analyse(question))
    result.urgency = assess(question, numbers)
    result.dose_note = dose_note(question)
    # The focus bonus is a share of a BM25 score; fused (hybrid) scores are compressed ranks, on
    # which 10% moves an article several places, so it applies to keyword ranking only
    # (docs/quality.md). Only then are more results fetched than are shown.
    focus = result.analysis.focus if search.ranking == "keywords" else None
    candidates = by_focus(
        search.results(question, max(limit, FOCUS_DEPTH) if focus else limit), focus
    )[:limit]
    meaning = _meaning(search, question, [found.article.id for found in candidates])
    for found in candidates:
        passage, covered = best_passage(found.article, weights, result.analysis.types)
        present = set(terms(found.article.title)) | covered
        # A question word counts as covered when a word it stands for is there ("charley
        # horse" by "cramp").
        present |= {term for term, words in alternatives.items() if words & present}
        confidence = max(_coverage(weights, present), meaning.get(found.article.id, 0.0))
        result.answers.append(_answer(found.article, passage, confidence))
    # Answers keep the retrieval order: sorting by confidence ranked worse on liveqa-med-dev
    # (MRR@10 0.423 against 0.432). Confidence decides whether there is an answer at all.
    best = max((answer.confidence for answer in result.answers), default=0.0)
    result.no_answer = best < MIN_CONFIDENCE
    return result


def by_focus(found: list[Result], focus: str | None) -> list[Result]:
    """Results re-ordered so an article whose topic is the question's focus gains FOCUS_BONUS."""
    if focus is None:
        return found
    about = focus.casefold()

    def score(result: Result) -> float:
        topic = result.article.topic
        return result.score * (
            1 + FOCUS_BONUS * (topic is not None and topic.name.casefold() == about)
        )

    return sorted(found, key=score, reverse=True)


def best_passage(
    article: Article, weights: dict[str, float], types: tuple[str, ...] = ()
) -> tuple[Passage, set[str]]:
    """The passage of `article` that best answers the question, and the terms it covers.

    A passage that reads like an answer to the question's type (a cause for "why", a
    treatment for "what helps") scores `TYPE_BONUS` more.
    """
    blocks = blocks_of(article.body_html)
    if not blocks:
        return Passage(article.teaser), set()
    scored = []
    for position, block in enumerate(blocks):
        passage = _with_list(blocks, position, block)
        own = set(terms(passage.text + " " + " ".join(passage.items)))
        heading = set(terms(block.heading))
        score = _coverage(weights, own) + 0.5 * _coverage(weights, heading - own)
        words = f"{block.heading} {passage.text} {' '.join(passage.items)}"
        if types and answers_type(words, types[0]):
            score += TYPE_BONUS
        scored.append((score, -position, passage, own | heading))
    _, _, passage, covered = max(scored, key=lambda entry: entry[:2])
    return passage, covered


def blocks_of(body_html: str) -> list[_Block]:
    """Paragraphs and lists of an article body, each with the heading of its section."""
    try:
        root = lxml_html.fragment_fromstring(body_html, create_parent="div")
    except (ValueError, TypeError):
        return []
    blocks, heading = [], ""
    for element in root:
        text = " ".join(element.text_content().split())
        if element.tag in _HEADINGS:
            heading = text
        elif element.tag in ("ul", "ol"):
            items = tuple(" ".join(li.text_content().split()) for li in element.iter("li"))
            blocks.append(_Block(element.tag, "", heading, items))
        elif element.tag in _BLOCKS and text:
            blocks.append(_Block(element.tag, text, heading))
    return blocks


def _with_list(blocks: list[_Block], position: int, block: _Block) -> Passage:
    """A list keeps its introduction; an introduction ("...:") brings its list."""
    if block.items:
        before = blocks[position - 1] if position > 0 else None
        intro = before.text if before and before.text.endswith(":") else ""
        return Passage(intro, block.items)
    after = blocks[position + 1] if position + 1 < len(blocks) else None
    if block.text.endswith(":") and after and after.items:
        return Passage(block.text, after.items)
    return Passage(block.text)


def _term_weights(search: Search, question: str) -> dict[str, float]:
    """Each question term's weight: its idf in the collection (rare words say more)."""
    weights = {}
    for term in dict.fromkeys(terms(question)):  # in question order: phrases stay whole
        corrected = search.speller.correct(term) or term
        weights[corrected] = search.idf(corrected)
    return weights


def _meaning(search: Search, question: str, article_ids: list[int]) -> dict[int, float]:
    """With embeddings, each article's confidence by meaning: its cosine with the question,
    put on the coverage scale so that MIN_SIMILARITY lands on MIN_CONFIDENCE and a cosine of
    1 on 1 (an article that says the same in other words is an answer, though it shares few
    of the question's words)."""
    vectors = search.vectors
    if vectors is None or search.ranking == "keywords" or not article_ids:
        return {}
    cosines = vectors.similarities(vectors.embed_query(question), article_ids)
    slope = (1 - MIN_CONFIDENCE) / (1 - MIN_SIMILARITY)
    return {
        i: min(1.0, max(0.0, MIN_CONFIDENCE + (cosine - MIN_SIMILARITY) * slope))
        for i, cosine in cosines.items()
    }


def _coverage(weights: dict[str, float], found: set[str]) -> float:
    total = sum(weights.values())
    return sum(w for term, w in weights.items() if term in found) / total if total else 0.0


def _answer(article: Article, passage: Passage, confidence: float) -> Answer:
    return Answer(
        article_id=article.id,
        slug=article.slug,
        title=article.title,
        topic=article.topic.name if article.topic else None,
        source=article.source,
        source_url=article.source_url,
        last_reviewed=article.last_reviewed.isoformat() if article.last_reviewed else None,
        passages=(passage,),
        confidence=round(confidence, 3),
        next_review=article.next_review.isoformat() if article.next_review else None,
        review=review_status(article),
    )
