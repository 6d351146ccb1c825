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
the same in other words ("calves knot up" against "leg cramps") counts. An article whose topic
the question does not name, in its words or in everyday words the collection knows, and
whose title it does not mostly ask, is held to UNNAMED_CEILING, below "Good match": on
everyday questions such answers are mostly about another subject. Below MIN_CONFIDENCE the
result says there is no good answer rather than showing a weak one. Both lines were read off
how often the top answer was judged right on liveqa-med-dev (docs/quality.md, "Confidence"):
scores, not probabilities.

With a trained re-ranker that has a retrieval model (`healthqa train --data`), the confidence
is instead its calibrated probability that the answer is right, the answers are ordered by it,
and the two lines (no answer below, "Good match" from) are the ones the training chose on its
held-in questions (docs/quality.md, "Confidence"; docs/decisions.md section 19).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import html as lxml_html

from healthqa.articles import Article, article_path, title_key
from healthqa.questions import Analysis, answers_type
from healthqa.safety import DISCLAIMER, Numbers, Urgency, assess, dose_note, review_status
from healthqa.search import Result, Search
from healthqa.text import terms

MIN_CONFIDENCE = 0.3
GOOD_MATCH = 0.7  # "Good match" from here; "Possible match" from MIN_CONFIDENCE
# With embeddings, a top answer whose cosine with the question is at least this is an answer
# even when it shares few words with it (docs/quality.md, "Confidence").
MIN_SIMILARITY = 0.5
TYPE_BONUS = 0.25
FOCUS_BONUS = 0.1  # an article about the question's focus scores 10% more
FOCUS_DEPTH = 30  # how many search results the focus may re-order
# An answer about a topic the question does not name (`Analysis.subjects`) claims at most
# UNNAMED_CEILING ("Possible match"): about one in three such top answers is on the question's
# subject (docs/quality.md, "Named subjects").
UNNAMED_CEILING = 0.45
TITLE_ASKED = 0.6  # a question that has this share of a title's terms asks that title
_BLOCKS = ("p", "ul", "ol", "h2", "h3", "h4", "blockquote", "table")
_HEADINGS = ("h2", "h3", "h4")
MAX_FOLLOW = 3  # paragraphs a leading-on paragraph may bring with it
_SENTENCE_ENDS = (".", "!", "?", ")", '"', "\u201d", "'", "\u2019")
# The last word of a sentence that goes on in the next block ("Many things can cause asthma,
# including" before a list, as MedQuAD writes them).
_LEAD_WORDS = frozenset(
    "a an and are as by following for from in include includes including is like of on or "
    "such than that the these this to which with".split()
)


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


NO_ANSWER = (
    "We do not have a good answer to this question. Please talk to a pharmacist, doctor, nurse "
    "or midwife about it. If you feel very unwell or are worried it could be serious, call "
    "{emergency} or go to an emergency department."
)


def confidence_label(
    confidence: float, least: float = MIN_CONFIDENCE, good: float = GOOD_MATCH
) -> str:
    """An answer's confidence in plain words, as the page, the API and the CLI all show it;
    `least` and `good` are the lines in use (`Lines`)."""
    if confidence >= good:
        return "Good match"
    if confidence >= least:
        return "Possible match"
    return "Weak match"


@dataclass(frozen=True)
class Lines:
    """Below `least` there is no good answer; from `good` an answer is a "Good match"."""

    least: float = MIN_CONFIDENCE
    good: float = GOOD_MATCH


def lines(search: Search) -> Lines:
    """The trained re-ranker's lines when its calibrated probability is the confidence; else
    the defaults."""
    if search.calibrated and search.reranker is not None:
        return Lines(search.reranker.min_confidence, search.reranker.good_match)
    return Lines()


@dataclass
class AskResult:
    """`answers` is the whole ranking (evaluation scores it); `shown` is what a reader sees."""

    question: str
    analysis: Analysis
    answers: list[Answer] = field(default_factory=list)
    no_answer: bool = True
    # Safety (issue 5): the urgent-symptom notice, shown before any answer; the dose note.
    urgency: Urgency | None = None
    dose_note: str | None = None
    disclaimer: str = DISCLAIMER
    advice: str | None = None  # what to do instead, when there is no good answer
    lines: Lines = field(default_factory=Lines)

    @property
    def shown(self) -> list[Answer]:
        """The answers a reader is shown, in ranking order: none when there is no good answer,
        never one below MIN_CONFIDENCE (a card about something else helps nobody), and one
        card for articles that ask the same question."""
        if self.no_answer:
            return []
        shown: dict[str, Answer] = {}
        for answer in self.answers:  # the same question twice (MedQuAD's sources overlap): once
            if answer.confidence >= self.lines.least:
                shown.setdefault(title_key(answer.title), answer)
        return list(shown.values())

    def to_dict(self) -> dict[str, Any]:
        """The one shape of an answer to a question: the page, `/api/v1/ask` and
        `healthqa ask --json` all render this."""
        return {
            "question": self.question,
            "urgency": self.urgency.to_dict() if self.urgency else None,
            "no_answer": self.no_answer,
            "answers": [_card(answer, self.lines) for answer in self.shown],
            "disclaimer": self.disclaimer,
            "dose_note": self.dose_note,
            "advice": self.advice,
        }


def no_answer(question: str, numbers: Numbers | None = None) -> AskResult:
    """The result for a question with no words to search for."""
    return AskResult(question, Analysis((), None), advice=_advice(numbers))


def _advice(numbers: Numbers | None) -> str:
    return NO_ANSWER.format(emergency=(numbers or Numbers()).emergency)


def _card(answer: Answer, lines: Lines) -> dict[str, Any]:
    return asdict(answer) | {
        "url": article_path(answer.slug),
        "review_overdue": answer.review == "overdue",
        "confidence_label": confidence_label(answer.confidence, lines.least, lines.good),
    }


@dataclass(frozen=True)
class _Block:
    kind: str
    text: str
    heading: str
    items: tuple[str, ...] = ()
    section: int = 0  # blocks with the same number have no heading between them


def ask(search: Search, question: str, limit: int = 3, numbers: Numbers | None = None) -> AskResult:
    """The best articles for `question`, each with the passage that answers it.

    `numbers` (from the settings) are the ones an urgent-symptom notice says to call.
    """
    weights = _term_weights(search, question)
    alternatives = search.vocabulary.alternatives(list(weights))
    result = AskResult(question, search.analyse(question), lines=lines(search))
    result.urgency = assess(question, numbers)
    result.dose_note = dose_note(question)
    # The focus bonus is a share of a BM25 score; fused (hybrid) scores are compressed ranks, on
    # which 10% moves an article several places, so it applies to keyword ranking only
    # (docs/quality.md). Only then are more results fetched than are shown.
    focus = result.analysis.focus if search.ranking == "keywords" else None
    candidates = by_focus(
        search.results(question, max(limit, FOCUS_DEPTH) if focus else limit), focus
    )[:limit]
    subjects = set(result.analysis.subjects)
    asked = set(weights).union(*alternatives.values())  # the question's terms, and their kin
    meaning = _meaning(search, question, [found.article.id for found in candidates])
    for found in candidates:
        passage, covered = best_passage(found.article, weights, result.analysis.types)
        present = set(terms(found.article.title)) | covered
        # A question word counts as covered when a word it stands for is there ("charley
        # horse" by "cramp").
        present |= {term for term, words in alternatives.items() if words & present}
        confidence = max(_coverage(weights, present), meaning.get(found.article.id, 0.0))
        if search.calibrated:  # the re-ranker's calibrated probability that it is right
            confidence = found.score
        elif not _on_subject(search, found.article, subjects, asked):
            confidence = min(confidence, UNNAMED_CEILING)
        result.answers.append(_answer(found.article, passage, confidence))
    # Without the re-ranker, answers keep the retrieval order: sorting by coverage ranked worse
    # on liveqa-med-dev (MRR@10 0.423 against 0.432). With it, its probability is the order.
    if search.calibrated:
        result.answers.sort(key=lambda answer: -answer.confidence)
    best = max((answer.confidence for answer in result.answers), default=0.0)
    result.no_answer = best < result.lines.least
    result.advice = _advice(numbers) if result.no_answer else None
    return result


def _on_subject(search: Search, article: Article, subjects: set[str], asked: set[str]) -> bool:
    """Whether the question says what `article` is about: it names the article's topic, or
    asks most of its title (TITLE_ASKED of its terms by rarity: a site whose topics are broad
    sections, "Pregnancy", has titles that say the subject). An article with no topic cannot be
    judged so and is not held back."""
    if article.topic is None or article.topic.name in subjects:
        return True
    title = {term: search.idf(term) for term in terms(article.title)}
    return _coverage(title, asked) >= TITLE_ASKED


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
    scored = []
    for position, block in enumerate(blocks):
        passage = _quotable(blocks, position)
        if passage is None:
            continue
        own = set(terms(passage.text + " " + " ".join(passage.items)))
        heading = set(terms(block.heading))
        score = _coverage(weights, own) + 0.5 * _coverage(weights, heading - own)
        words = f"{block.heading} {passage.text} {' '.join(passage.items)}"
        if types and answers_type(words, types[0]):
            score += TYPE_BONUS
        scored.append((score, -position, passage, own | heading))
    if not scored:
        return Passage(article.teaser), set()
    _, _, passage, covered = max(scored, key=lambda entry: entry[:2])
    return passage, covered


def blocks_of(body_html: str) -> list[_Block]:
    """Paragraphs and lists of an article body, each with the heading of its section."""
    try:
        root = lxml_html.fragment_fromstring(body_html, create_parent="div")
    except (ValueError, TypeError):
        return []
    blocks, heading, section = [], "", 0
    for element in root:
        text = " ".join(element.text_content().split())
        if element.tag in _HEADINGS:
            heading, section = text, section + 1
        elif element.tag in ("ul", "ol"):
            items = tuple(" ".join(li.text_content().split()) for li in element.iter("li"))
            blocks.append(_Block(element.tag, "", heading, items, section))
        elif element.tag in _BLOCKS and text:
            blocks.append(_Block(element.tag, text, heading, (), section))
    return blocks


def _quotable(blocks: list[_Block], position: int) -> Passage | None:
    """The passage that starts from block `position` and reads whole, or None.

    A list keeps its introduction (or, first in its section, its heading); a paragraph that
    leads on ("...: ", "many other causes, including") brings what follows in its section,
    a list or up to MAX_FOLLOW paragraphs. A passage that would still end mid-sentence is
    not quotable.
    """
    block = blocks[position]
    before = blocks[position - 1] if position > 0 else None
    if block.items:
        if before and before.section == block.section and not before.items:
            if _introduces(before.text):
                return Passage(before.text, block.items)
            return Passage("", block.items)
        return Passage(block.heading, block.items)
    texts = [block.text]
    for following in blocks[position + 1 : position + 1 + MAX_FOLLOW]:
        if not leads_on(texts[-1]) or following.section != block.section:
            break
        if following.items:
            return Passage(" ".join(texts), following.items)
        texts.append(following.text)
    return None if leads_on(texts[-1]) else Passage(" ".join(texts))


def leads_on(text: str) -> bool:
    """True when `text` stops mid-sentence: on a colon, a comma or a word such as "including"."""
    end = text.rstrip()
    if not end:
        return False
    if end[-1] in ":,;-\u2013\u2014":
        return True
    return end.split()[-1].casefold() in _LEAD_WORDS


def _introduces(text: str) -> bool:
    """A paragraph right before a list introduces it when it leads on or has no full stop."""
    return leads_on(text) or not text.rstrip().endswith(_SENTENCE_ENDS)


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
    if not set(article_ids) - vectors.missing(article_ids):
        return {}  # none embedded yet (a fresh import): no question to embed for them
    cosines = vectors.similarities(vectors.embed_query(search.semantic_text(question)), article_ids)
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
