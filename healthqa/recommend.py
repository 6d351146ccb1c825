"""What to read next: an article's related articles and its neighbours within its topic.

`related` combines three signals into one score: the "related" links a source page showed
(strongest, in the page's order), the other articles of the same topic (other question types
about the same subject first) and content similarity through the lexical index (a query built
from the article's title and its most distinctive body terms). Editors' pins come first, in the
order they were set; their exclusions never appear; retired articles never appear.

`neighbours` follows the previous and next links a source page showed when they point at a
published article, and otherwise the topic's published articles in a stable order: question
type (what it is, causes, symptoms, diagnosis, treatment, prevention, outlook, the rest), then
title, then id.

Every list shows a question once: articles with the same `title_key` (MedQuAD's sources
overlap, and one source may answer one question in several parts) count as one, the first in
ranking or topic order standing for the rest, and an article's own question is never related
to it nor its neighbour. The article page links the others ("also from SOURCE").
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from healthqa.articles import Article, teaser, title_key
from healthqa.index.lexical import LexicalIndex, LexicalQuery
from healthqa.store.base import ArticleSummary, NotFound, Store
from healthqa.text import STOP, stem, terms, words

LINK_WEIGHT = 3.0  # above anything topic and content can add up to (at most 2)
LINK_ORDER_WEIGHT = 0.5  # keeps the page's order among its links
TOPIC_WEIGHT = 1.0  # another question about the same subject
SAME_TYPE_TOPIC_WEIGHT = 0.7  # the same question type about the same subject
CONTENT_WEIGHT = 1.0  # times the BM25 score as a share of the article's own score
MIN_SIMILARITY = 0.05  # content-only candidates below this share are noise
BODY_TERMS = 15
BODY_TERM_WEIGHT = 0.5
CONTENT_FIELDS = {"title": 1.0, "body": 1.0, "topic": 0.5}
_CONTENT_CANDIDATES = 60

# The order of a topic's articles; a question type not named here comes after these.
QUESTION_TYPE_ORDER: tuple[frozenset[str], ...] = (
    frozenset({"information", "what is", "what is it", "overview", "definition"}),
    frozenset({"cause", "causes"}),
    frozenset({"symptom", "symptoms", "signs"}),
    frozenset({"diagnosis", "exams and tests", "tests", "exams"}),
    frozenset({"treatment", "treatments"}),
    frozenset({"prevention"}),
    frozenset({"outlook", "prognosis"}),
)

# Title words too generic to say what two articles are "also about".
_GENERIC = frozenset(
    """cause causes caused symptom symptoms sign signs treat treated treatment treatments
    prevent prevention diagnose diagnosed diagnosis test tests outlook risk risks normal common
    safe ease stop best help""".split()
)

PINNED = "picked by an editor"
LINKED = "linked from the page"
SIMILAR = "similar wording"


@dataclass(frozen=True)
class Related:
    """One article to suggest, with a teaser and a short reason a reader can understand.

    `score` is the combined relatedness that ranked it (0 for a neighbour: order, not score).
    """

    article_id: int
    slug: str
    title: str
    teaser: str
    reason: str
    score: float


@dataclass(frozen=True)
class Neighbours:
    """The articles before and after one article in its topic (None at either end)."""

    previous: Related | None
    next: Related | None


@dataclass
class _Score:
    """How one candidate is related, signal by signal."""

    link: float = 0.0
    topic: float = 0.0
    content: float = 0.0

    @property
    def total(self) -> float:
        return self.link + self.topic + self.content


def related(store: Store, index: LexicalIndex, article_id: int, limit: int = 12) -> list[Related]:
    """Up to `limit` articles related to `article_id`, pins first; see the module docstring."""
    article = store.get_article(article_id)
    overrides = store.related_overrides(article_id)
    pins = [o.target_id for o in overrides if o.action == "pin"]
    hidden = {o.target_id for o in overrides} | {article.id}
    scores = _scores(store, index, article)
    ranked = sorted((i for i in scores if i not in hidden), key=lambda i: (-scores[i].total, i))
    found: list[Related] = []
    seen = {title_key(article.title)}
    for target_id, is_pin in _chain(pins, ranked):
        if len(found) >= limit:
            break
        score = scores.get(target_id, _Score())
        target = _published(store, target_id)
        if target is not None and target.id != article.id and title_key(target.title) not in seen:
            seen.add(title_key(target.title))
            reason = PINNED if is_pin else _reason(article, target, score)
            found.append(_item(target, reason, score.total))
    return found


def distinct_questions(summaries: list[ArticleSummary]) -> list[ArticleSummary]:
    """`summaries` (in the order given) with each question once: the first of the articles
    sharing a `title_key` stands for them all."""
    shown: dict[str, ArticleSummary] = {}
    for summary in summaries:
        shown.setdefault(title_key(summary.title), summary)
    return list(shown.values())


def _scores(store: Store, index: LexicalIndex, article: Article) -> dict[int, _Score]:
    """Every candidate's signals (candidates may be retired; `related` drops those)."""
    scores: dict[int, _Score] = {}
    targets = [link.target_id for link in article.links if link.kind == "related"]
    linked = [t for t in dict.fromkeys(targets) if t is not None]
    for position, target_id in enumerate(linked):
        order = LINK_ORDER_WEIGHT * (len(linked) - position) / len(linked)
        scores.setdefault(target_id, _Score()).link = LINK_WEIGHT + order
    if article.topic is not None:
        mine = _qtype(article.question_type)
        for other in store.topic_articles(article.topic.id):
            same = _qtype(other.question_type) == mine
            weight = SAME_TYPE_TOPIC_WEIGHT if same else TOPIC_WEIGHT
            scores.setdefault(other.id, _Score()).topic = weight
    for target_id, share in content_similarity(index, article).items():
        if share >= MIN_SIMILARITY or target_id in scores:
            scores.setdefault(target_id, _Score()).content = CONTENT_WEIGHT * share
    scores.pop(article.id, None)
    return scores


def content_query(
    article: Article, index: LexicalIndex, body_terms: int = BODY_TERMS
) -> LexicalQuery:
    """The article's title terms (weight 1) and its most distinctive body terms."""
    weights = dict.fromkeys(terms(article.title), 1.0)
    for term in distinctive_terms(article.body_text, index, body_terms):
        weights[term] = weights.get(term, 0.0) + BODY_TERM_WEIGHT
    return LexicalQuery(weights, CONTENT_FIELDS)


def distinctive_terms(text: str, index: LexicalIndex, count: int = BODY_TERMS) -> list[str]:
    """The `count` terms of `text` with the highest tf*idf in the index's bodies.

    A term only one article uses (this one, when it is indexed) finds nothing else: skipped.
    """
    total = max(index.size, 1)
    ranked = []
    for term, tf in Counter(terms(text)).items():
        df = index.doc_freq("body", term)
        if df >= 2:
            ranked.append((-tf * math.log(1 + total / df), term))
    return [term for _, term in sorted(ranked)[:count]]


def content_similarity(index: LexicalIndex, article: Article) -> dict[int, float]:
    """Article id -> BM25 score for the content query as a share of the article's own score."""
    hits = index.search(content_query(article, index), _CONTENT_CANDIDATES + 1)
    own = [hit.score for hit in hits if hit.article_id == article.id]
    ceiling = own[0] if own else max((hit.score for hit in hits), default=0.0)
    if ceiling <= 0:
        return {}
    return {
        hit.article_id: min(hit.score / ceiling, 1.0)
        for hit in hits
        if hit.article_id != article.id
    }


def neighbours(store: Store, article_id: int) -> Neighbours:
    """The previous and next article; see the module docstring."""
    article = store.get_article(article_id)
    # A page that gave its own chain is followed: a side it left out is the chain's end. A
    # side whose linked article is unresolved or retired, or a page with no chain at all,
    # falls back to the topic's stable order.
    given = {link.kind for link in article.links if link.kind in ("previous", "next")}
    linked = {kind: _linked_neighbour(store, article, kind) for kind in given}
    fallback = _topic_neighbours(store, article) if None in linked.values() or not given else None
    sides: list[Related | None] = []
    for position, kind in enumerate(("previous", "next")):
        if given and kind not in given:
            sides.append(None)
        else:
            sides.append(linked.get(kind) or (fallback[position] if fallback else None))
    return Neighbours(sides[0], sides[1])


def topic_order_key(summary: ArticleSummary) -> tuple[int, str, str, int]:
    """The stable order of a topic: question type, then title, then id."""
    return (
        question_type_rank(summary.question_type),
        _qtype(summary.question_type),
        summary.title.casefold(),
        summary.id,
    )


def question_type_rank(question_type: str | None) -> int:
    """The place of a question type in QUESTION_TYPE_ORDER (unnamed ones come last)."""
    name = _qtype(question_type)
    for rank, names in enumerate(QUESTION_TYPE_ORDER):
        if name in names:
            return rank
    return len(QUESTION_TYPE_ORDER)


def related_teaser(text: str) -> str:
    """About 50 characters of `text` cut at a word, with "..." when anything was cut."""
    return teaser(text)


def also_about(title: str, other_title: str) -> str:
    """The longest run of words of `title` that `other_title` also uses ("leg cramps")."""
    other = {stem(word) for word in words(other_title)}
    runs: list[list[str]] = [[]]
    for word in words(title):
        if word not in STOP and word not in _GENERIC and stem(word) in other:
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    longest = max(runs, key=lambda run: len(run))
    return " ".join(longest)


def _reason(article: Article, target: Article, score: _Score) -> str:
    if score.link:
        return LINKED
    if score.topic and article.topic is not None:
        return f"same topic: {article.topic.name}"
    about = also_about(article.title, target.title)
    return f"also about {about}" if about else SIMILAR


def _linked_neighbour(store: Store, article: Article, kind: str) -> Related | None:
    for link in article.links:
        if link.kind == kind and link.target_id is not None and link.target_id != article.id:
            target = _published(store, link.target_id)
            if target is not None and title_key(target.title) != title_key(article.title):
                return _item(target, LINKED, 0.0)
    return None


def _topic_neighbours(store: Store, article: Article) -> tuple[Related | None, Related | None]:
    if article.topic is None:
        return None, None
    me = ArticleSummary(article.id, article.slug, article.title, article.question_type)
    mine = title_key(article.title)
    members = [m for m in store.topic_articles(article.topic.id) if title_key(m.title) != mine]
    # The topic page's list: each other question once, this article standing for its own.
    ordered = distinct_questions(sorted([*members, me], key=topic_order_key))
    position = ordered.index(me)
    reason = f"same topic: {article.topic.name}"
    before = ordered[position - 1] if position > 0 else None
    after = ordered[position + 1] if position + 1 < len(ordered) else None
    return _neighbour(store, before, reason), _neighbour(store, after, reason)


def _neighbour(store: Store, summary: ArticleSummary | None, reason: str) -> Related | None:
    target = _published(store, summary.id) if summary else None
    return _item(target, reason, 0.0) if target else None


def _published(store: Store, article_id: int) -> Article | None:
    try:
        article = store.get_article(article_id)
    except NotFound:
        return None
    return article if article.status == "published" else None


def _item(article: Article, reason: str, score: float) -> Related:
    shown = article.teaser or related_teaser(article.title)  # the first sentence, not a heading
    return Related(article.id, article.slug, article.title, shown, reason, round(score, 4))


def _chain(pins: list[int], ranked: list[int]) -> Iterator[tuple[int, bool]]:
    for target_id in pins:
        yield target_id, True
    for target_id in ranked:
        yield target_id, False


def _qtype(question_type: str | None) -> str:
    return " ".join((question_type or "").casefold().replace("-", " ").replace("_", " ").split())
