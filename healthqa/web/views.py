"""The views: each computes one model (healthqa.web.models) that the HTML page and the JSON
API both render.

A view takes the `Site` and plain arguments (never the request), so it can be called from
tests, the CLI or either rendering. Not found raises `NotFound`; bad input raises `BadInput`.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any

from healthqa.answers import ask, no_answer
from healthqa.articles import Topic, slugify, teaser, title_key
from healthqa.clean import lead_sentence
from healthqa.index.lexical import LexicalIndex
from healthqa.recommend import (
    distinct_questions,
    neighbours,
    related,
    topic_order_key,
)
from healthqa.safety import Numbers, assess, assess_article, demote_overdue
from healthqa.search import Result, question_query
from healthqa.store import ArticleFilter, NotFound, Store
from healthqa.store.base import ArticleSummary
from healthqa.web import models
from healthqa.web.models import source_name
from healthqa.web.site import Site
from healthqa.web.snippets import snippet
from healthqa.web.spelling import corrected_text, did_you_mean
from healthqa.web.urls import article_url, topic_url

PER_PAGE = 10
SUGGESTIONS = 8
_WORD = re.compile(r"[^\W_]+")
SCAN = 100  # the search page looks this deep: ten pages of results
RELEVANCE_FLOOR = 0.5  # of the best score; below it a result shares little but a word
TOPICS_ON_ONE_PAGE = 300  # more, and /topics shows one letter at a time
RELATED_LIMIT = 12
FEATURED = 6
MAX_ID = 2**63 - 1
SITE_NAME = "healthqa"
DESCRIPTION = 160  # characters of the first sentence in a page's description
# schema.org types for the topic kinds sources name (MedQuAD: "Disease", "Other").
TOPIC_TYPES = {
    "disease": "MedicalCondition",
    "condition": "MedicalCondition",
    "drug": "Drug",
    "medicine": "Drug",
    "test": "MedicalTest",
}


class BadInput(ValueError):
    """A request the site cannot answer as asked, with the field it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# Views ------------------------------------------------------------------------------------


def home(site: Site) -> models.Home:
    """The search and ask boxes' page: topics A to Z and a few featured questions."""
    return site.cached("home", lambda: _home(site), expires=False)


def _home(site: Site) -> models.Home:
    topics = site.library.store.topics()
    largest = sorted(topics, key=lambda t: (-t.article_count, t.name.casefold()))[:FEATURED]
    featured = []
    for topic in largest:
        members = sorted(site.library.store.topic_articles(topic.id), key=topic_order_key)
        if members:
            featured.append(models.Featured.of(members[0], topic=topic.name))
    return models.Home(letters=_letters(topics), featured=featured)


def topics_index(
    site: Site, letter: str | None = None, one_page: int | None = None
) -> models.TopicsIndex:
    """Every topic (or those starting with `letter`), grouped by first letter. With more
    than `one_page` topics and no letter, the first letter's only: a long list of thousands
    of names helps nobody on a phone."""
    if letter is not None and (len(letter) != 1 or not letter.isalpha()):
        raise BadInput("letter must be one letter, A to Z", "letter")
    chosen = letter.upper() if letter else None
    found = site.cached("topics", lambda: _topics_with_questions(site), expires=False)
    if chosen is None and one_page is not None and len(found) > one_page:
        chosen = min((_initial(t.name) for t in found if t.article_count), default=None)
    groups: dict[str, list[models.TopicOut]] = {}
    for topic in found:
        first = _initial(topic.name)
        if chosen is None or first == chosen:
            groups.setdefault(first, []).append(topic)
    return models.TopicsIndex(
        letter=chosen,
        letters=sorted({_initial(t.name) for t in found}),
        groups=[models.LetterGroup(letter=k, topics=v) for k, v in sorted(groups.items())],
        topics=[t for group in groups.values() for t in group],
    )


def topic_page(site: Site, slug: str) -> models.TopicPage:
    """One topic: its articles grouped by question type, its "also called" names."""
    return site.cached(("topic", slug), lambda: _topic_page(site, slug), expires=False)


def _topic_page(site: Site, slug: str) -> models.TopicPage:
    topic = next((t for t in site.library.store.topics() if t.slug == slug), None)
    if topic is None or topic.article_count == 0:
        raise NotFound(f"no topic {slug!r}")
    members = sorted(site.library.store.topic_articles(topic.id), key=topic_order_key)
    members = distinct_questions(members)  # each question once; its page links the others
    groups: dict[str, list[models.TopicArticle]] = {}
    for member in members:
        label = question_type_label(member.question_type)
        groups.setdefault(label, []).append(models.TopicArticle.of(member))
    return models.TopicPage(
        topic=models.TopicOut.of(topic, question_count=len(members)),
        groups=[models.TopicGroup(question_type=k, articles=v) for k, v in groups.items()],
    )


def topic_moved(site: Site, slug: str) -> str | None:
    """The slug of the topic that `slug` was merged into (its old name is now "also
    called"), or None."""
    for topic in site.library.store.topics():
        if topic.article_count and any(slugify(name) == slug for name in topic.synonyms):
            return topic.slug
    return None


def article_page(site: Site, key: str | int, base_url: str = "") -> models.ArticlePage:
    """One published article with its neighbours and related articles; `base_url` is the
    site's public address (healthqa.web.urls.base_url), which its canonical address starts
    with."""
    view = site.cached(("article", str(key)), lambda: _article_page(site, key))
    return view.model_copy(update={"canonical": base_url.rstrip("/") + view.article.url})


def _article_page(site: Site, key: str | int) -> models.ArticlePage:
    store, index = site.library.store, site.library.index
    article = store.get_article(key)
    if article.status != "published":
        raise NotFound(f"no article with id or slug {key!r}")
    around = neighbours(store, article.id)
    notice = assess_article(article, _numbers(site))
    return models.ArticlePage(
        article=models.ArticleFull.of(article),
        description=teaser(lead_sentence(article.body_html, article.body_text), DESCRIPTION),
        urgency=models.Urgency.of(notice) if notice else None,
        previous=models.RelatedItem.of(around.previous) if around.previous else None,
        next=models.RelatedItem.of(around.next) if around.next else None,
        related=_related(store, index, article.id, RELATED_LIMIT),
        also=_also_list(store.same_question(article.id)),
        canonical="",
    )


def _also_list(others: list[ArticleSummary]) -> list[models.SameQuestion]:
    """The other articles asking the same question, each named by its source ("also from
    ..."); where one source answers more than once, each is numbered ("2 of 5"): their
    first words may be the same."""
    per_source = Counter(other.source for other in others)
    seen: Counter[str] = Counter()
    shown = []
    for other in others:
        seen[other.source] += 1
        count = per_source[other.source]
        part = f"{seen[other.source]} of {count}" if count > 1 else None
        shown.append(models.SameQuestion.of(other, source=source_name(other.source), part=part))
    return shown


def related_list(site: Site, article_id: int, limit: int = RELATED_LIMIT) -> models.RelatedList:
    """The related articles of one published article, with its previous and next in its
    topic (the API's related endpoint and `healthqa related --json`)."""
    page = article_page(site, article_id)  # NotFound for an unknown or retired article
    found = page.related[:limit]
    if limit > RELATED_LIMIT:
        store, index = site.library.store, site.library.index
        found = site.cached(
            ("related", article_id, limit), lambda: _related(store, index, article_id, limit)
        )
    return models.RelatedList(
        article_id=article_id, previous=page.previous, next=page.next, related=found
    )


def search_page(site: Site, query: str, page: int = 1, correct: bool = True) -> models.SearchPage:
    """One page of results for `query`, with snippets, the count and spelling help.

    Results are the keyword search's (`Search.page`'s ranking), looked at up to `SCAN` deep,
    kept while they score at least `RELEVANCE_FLOOR` of the best, and each question shown once
    (the first of the articles sharing a `title_key`). `total` counts those: a count a reader
    can trust, not every article that uses one of the words. With `correct` off, misspelt
    words are searched as typed.
    """
    text = query.strip()
    if not text:
        return _search_result(query, page, [], 0)
    ranked = _ranked(site, text, correct)
    kept = _floored(ranked)
    found = _distinct(kept)
    start = (page - 1) * PER_PAGE
    results = [
        models.SearchResult.of(
            r.article, score=round(r.score, 4), snippet_html=snippet(r.article.body_text, text)
        )
        for r in found[start : start + PER_PAGE]
    ]
    notice = assess(text, _numbers(site))
    return _search_result(
        query,
        page,
        results,
        len(found),
        did_you_mean=did_you_mean(site, text) if not found else None,
        urgency=models.Urgency.of(notice) if notice else None,
        corrected=corrected_text(site, text) if correct and found else None,
        more=len(ranked) == SCAN and len(kept) == SCAN,  # the floor was not reached
    )


def _ranked(site: Site, text: str, correct: bool) -> list[Result]:
    """The keyword ranking the search page uses (`Search.page`), with or without correction."""
    search = site.library.search
    if correct:
        return search.page(text, SCAN)[0]
    hits, _ = search.index.search_page(question_query(text, None, search.vocabulary), SCAN, 0)
    found = [Result(search.store.get_article(hit.article_id), hit.score) for hit in hits]
    return demote_overdue(found, lambda result: result.article, lambda result: result.score)


def _floored(results: list[Result]) -> list[Result]:
    best = max((r.score for r in results), default=0.0)
    return [r for r in results if r.score >= RELEVANCE_FLOOR * best]


def _distinct(results: list[Result]) -> list[Result]:
    shown: dict[str, Result] = {}
    for result in results:
        shown.setdefault(title_key(result.article.title), result)
    return list(shown.values())


def _search_result(
    query: str, page: int, results: list[models.SearchResult], total: int, **rest: Any
) -> models.SearchPage:
    pages = max(1, math.ceil(total / PER_PAGE))
    return models.SearchPage.model_validate(
        {
            "query": query,
            "page": page,
            "per_page": PER_PAGE,
            "total": total,
            "pages": pages,
            "results": results,
            "previous_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if page < pages else None,
            "did_you_mean": None,
            "urgency": None,
            "corrected": None,
            "more": False,
        }
        | rest
    )


def suggestions(site: Site, typed: str, limit: int = SUGGESTIONS) -> models.Suggestions:
    """Topic names, then article titles (each question once), that have a word starting with
    each word typed: "glau" -> "Glaucoma", "What is glaucoma?". Two letters at least."""
    wanted = _WORD.findall(typed.casefold())
    found: list[models.Suggestion] = []
    if len("".join(wanted)) >= 2:
        for entry in site.cached("suggestions", lambda: _suggestion_entries(site), expires=False):
            if all(any(word.startswith(w) for word in entry[0]) for w in wanted):
                found.append(entry[1])
                if len(found) >= limit:
                    break
    return models.Suggestions(query=typed, suggestions=found)


def _suggestion_entries(site: Site) -> list[tuple[tuple[str, ...], models.Suggestion]]:
    """Topics by name (largest first), then titles (each question once, shortest first)."""
    store = site.library.store
    topics = sorted((t for t in store.topics() if t.article_count), key=lambda t: -t.article_count)
    entries = [
        (_words(t.name), models.Suggestion(text=t.name, kind="topic", url=topic_url(t.slug)))
        for t in topics
    ]
    titles = distinct_questions(store.titles())
    entries += [
        (_words(a.title), models.Suggestion(text=a.title, kind="article", url=article_url(a.slug)))
        for a in sorted(titles, key=lambda a: (len(a.title), a.title))
    ]
    return entries


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.casefold()))


def ask_page(site: Site, question: str, limit: int = 3) -> models.AskPage:
    """Answer cards quoted from the articles, or a plain "no good answer" with what to do.

    Readers ask the same questions again, so an answer is kept for this data version and as
    many articles in the semantic ranking (the background embedder adding vectors changes
    rankings without a change in the log), for at most `ttl_seconds`."""
    vectors = site.library.vectors
    ranked = vectors.size if vectors is not None else None
    return site.cached(("ask", question, limit, ranked), lambda: _ask_page(site, question, limit))


def _ask_page(site: Site, question: str, limit: int) -> models.AskPage:
    numbers = _numbers(site)
    text = question.strip()
    result = ask(site.library.search, text, limit, numbers) if text else no_answer(text, numbers)
    return models.AskPage.model_validate(result.to_dict() | {"question": question})


def _numbers(site: Site) -> Numbers:
    """The numbers notices give (settings: they differ by country)."""
    return Numbers.from_settings(site.library.settings)


def articles_list(
    site: Site,
    topic: str | None = None,
    source: str | None = None,
    review: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> models.ArticleList:
    """A page of published articles, oldest first, filtered by topic, source or review state."""
    where = ArticleFilter(topic=topic, source=source, review=review)
    store = site.library.store
    total = store.count_articles(where)
    found = store.list_articles(where, per_page, (page - 1) * per_page)
    return models.ArticleList(
        page=page,
        per_page=per_page,
        total=total,
        articles=[models.ArticleSummary.of(article) for article in found],
    )


def stats(site: Site) -> models.Stats:
    """Counts a reader or a monitor may want, and how far embedding is (it reads the stored
    vectors and embeds nothing); nothing about the server's files."""
    coverage = site.library.coverage()
    embedding = None
    if coverage is not None:
        embedding = models.Embedding(
            model=coverage.model,
            embedded=coverage.embedded,
            articles=coverage.articles,
            complete=coverage.complete,
        )
    return models.Stats.model_validate(site.library.store.stats() | {"embedding": embedding})


def text_page(site: Site, setting: str, title: str) -> models.TextPage:
    """A page of the publisher's own words from a setting: About, the editorial policy."""
    text = str(site.library.settings.get(setting, ""))
    paragraphs = [" ".join(part.split()) for part in text.split("\n\n") if part.strip()]
    return models.TextPage(title=title, paragraphs=paragraphs)


def sitemap(site: Site) -> models.Sitemap:
    """Every published article and topic page; an article's `lastmod` is its content's own
    date (when it was last reviewed), never when it was imported, and absent without one."""

    def compute() -> models.Sitemap:
        store = site.library.store
        articles = [
            models.SitemapEntry(url=article_url(a.slug), lastmod=a.last_reviewed)
            for a in store.iter_articles(ArticleFilter(status="published"))
        ]
        topics = [
            models.SitemapEntry(url=topic_url(t.slug), lastmod=None)
            for t in store.topics()
            if t.article_count
        ]
        home = models.SitemapEntry(url="/", lastmod=None)
        return models.Sitemap(pages=[home, *topics, *articles])

    return site.cached("sitemap", compute, expires=False)


# Parts ------------------------------------------------------------------------------------


def question_type_label(question_type: str | None) -> str:
    if not question_type:
        return "Other questions"
    words = question_type.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _related(
    store: Store, index: LexicalIndex, article_id: int, limit: int
) -> list[models.RelatedItem]:
    return [models.RelatedItem.of(item) for item in related(store, index, article_id, limit)]


def _topics_with_questions(site: Site) -> list[models.TopicOut]:
    counts = site.library.store.question_counts()
    return [
        models.TopicOut.of(t, question_count=counts.get(t.id, 0))
        for t in site.library.store.topics()
    ]


def _letters(topics: list[Topic]) -> list[str]:
    return sorted({_initial(t.name) for t in topics if t.article_count})


def _initial(name: str) -> str:
    first = name.strip()[:1].upper()
    return first if first.isalpha() else "#"


def jsonld(page: models.ArticlePage, base: str) -> str:
    """schema.org MedicalWebPage data for the article page, safe to place inside a <script>
    tag; `base` is the site's public address.

    The site publishes the page; the source wrote the answer (`sourceOrganization`,
    `isBasedOn`). Dates are the content's (`lastReviewed`), never the import's: an article
    without a review date has no `dateModified`. `about` is typed only for a topic whose kind
    the source named (a "Disease" is a MedicalCondition); any other topic is a Thing.
    """
    article, credit = page.article, page.article.attribution
    base = base.rstrip("/")
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": article.title,
        "description": page.description,
        "url": page.canonical,
        "inLanguage": article.language,
        "publisher": {"@type": "Organization", "name": SITE_NAME, "url": base + "/"},
        "sourceOrganization": {"@type": "Organization", "name": credit.source},
        "breadcrumb": _breadcrumb(article, base),
    }
    if credit.site:
        data["sourceOrganization"]["url"] = credit.site.url
    if credit.source_url:
        data["isBasedOn"] = credit.source_url
    if credit.licence_url:
        data["license"] = credit.licence_url
    if article.topic:
        kind = TOPIC_TYPES.get((article.topic.category or "").casefold(), "Thing")
        data["about"] = {"@type": kind, "name": article.topic.name}
    if article.last_reviewed:
        data["lastReviewed"] = data["dateModified"] = article.last_reviewed.isoformat()
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _breadcrumb(article: models.ArticleFull, base: str) -> dict[str, Any]:
    """Home > topic > article, as the page's breadcrumb shows it."""
    steps = [("Home", base + "/")]
    if article.topic:
        steps.append((article.topic.name, base + article.topic.url))
    steps.append((article.title, base + article.url))
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": number, "name": name, "item": url}
            for number, (name, url) in enumerate(steps, start=1)
        ],
    }
