"""The views: each computes one plain dict that both the HTML page and the JSON API render.

A view takes the `Site` and plain arguments (never the request), so it can be called from
tests, the CLI or either rendering. Not found raises `NotFound`; bad input raises `BadInput`.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import asdict
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from healthqa.answers import ask, no_answer
from healthqa.articles import Article, Topic, article_path, slugify, teaser, title_key
from healthqa.clean import lead_sentence
from healthqa.recommend import (
    Related,
    distinct_questions,
    neighbours,
    related,
    topic_order_key,
)
from healthqa.safety import Numbers, assess, assess_article, demote_overdue, review_status
from healthqa.search import Result, question_query
from healthqa.store import ArticleFilter, NotFound
from healthqa.store.base import ArticleSummary
from healthqa.web.site import Site
from healthqa.web.snippets import snippet
from healthqa.web.spelling import corrected_text, did_you_mean

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
# The full names of the sources MedQuAD (and corpora made from it) name by an abbreviation.
SOURCE_NAMES = {
    "CancerGov": "National Cancer Institute",
    "CDC": "Centers for Disease Control and Prevention",
    "GARD": "Genetic and Rare Diseases Information Center",
    "GHR": "Genetics Home Reference",
    "MPlusHealthTopics": "MedlinePlus",
    "MPlusDrugs": "MedlinePlus",
    "MPlusHerbsSupplements": "MedlinePlus",
    "MPlusADAM": "MedlinePlus",
    "NHLBI": "National Heart, Lung, and Blood Institute",
    "NIDDK": "National Institute of Diabetes and Digestive and Kidney Diseases",
    "NIHSeniorHealth": "NIHSeniorHealth",
    "NINDS": "National Institute of Neurological Disorders and Stroke",
}
# Licences whose terms have a known address, found by their name in the licence text.
LICENCES = (
    (r"\bCC BY-SA 4\.0\b", "https://creativecommons.org/licenses/by-sa/4.0/"),
    (r"\bCC BY 4\.0\b", "https://creativecommons.org/licenses/by/4.0/"),
    (r"\bCC0\b", "https://creativecommons.org/publicdomain/zero/1.0/"),
)


class BadInput(ValueError):
    """A request the site cannot answer as asked, with the field it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# Links ------------------------------------------------------------------------------------


article_url = article_path


def topic_url(slug: str) -> str:
    return f"/topics/{slug}"


# Views ------------------------------------------------------------------------------------


def home(site: Site) -> dict[str, Any]:
    """The search and ask boxes' page: topics A to Z and a few featured questions."""
    return site.cached("home", lambda: _home(site), expires=False)


def _home(site: Site) -> dict[str, Any]:
    topics = site.library.store.topics()
    largest = sorted(topics, key=lambda t: (-t.article_count, t.name.casefold()))[:FEATURED]
    featured = []
    for topic in largest:
        members = sorted(site.library.store.topic_articles(topic.id), key=topic_order_key)
        if members:
            first = members[0]
            featured.append(
                {
                    "id": first.id,
                    "slug": first.slug,
                    "title": first.title,
                    "url": article_url(first.slug),
                    "topic": topic.name,
                }
            )
    return {"letters": _letters(topics), "featured": featured}


def topics_index(
    site: Site, letter: str | None = None, one_page: int | None = None
) -> dict[str, Any]:
    """Every topic (or those starting with `letter`), grouped by first letter. With more
    than `one_page` topics and no letter, the first letter's only: a long list of thousands
    of names helps nobody on a phone."""
    if letter is not None and (len(letter) != 1 or not letter.isalpha()):
        raise BadInput("letter must be one letter, A to Z", "letter")
    chosen = letter.upper() if letter else None
    found = site.cached("topics", lambda: _topics_with_questions(site), expires=False)
    if chosen is None and one_page is not None and len(found) > one_page:
        chosen = min((_initial(t["name"]) for t in found if t["article_count"]), default=None)
    groups: dict[str, list[dict[str, Any]]] = {}
    for topic in found:
        first = _initial(topic["name"])
        if chosen is None or first == chosen:
            groups.setdefault(first, []).append(topic)
    return {
        "letter": chosen,
        "letters": sorted({_initial(t["name"]) for t in found}),
        "groups": [{"letter": k, "topics": v} for k, v in sorted(groups.items())],
        "topics": [t for group in groups.values() for t in group],
    }


def topic_page(site: Site, slug: str) -> dict[str, Any]:
    """One topic: its articles grouped by question type, its "also called" names."""
    return site.cached(("topic", slug), lambda: _topic_page(site, slug), expires=False)


def _topic_page(site: Site, slug: str) -> dict[str, Any]:
    topic = next((t for t in site.library.store.topics() if t.slug == slug), None)
    if topic is None or topic.article_count == 0:
        raise NotFound(f"no topic {slug!r}")
    members = sorted(site.library.store.topic_articles(topic.id), key=topic_order_key)
    members = distinct_questions(members)  # each question once; its page links the others
    groups: dict[str, list[dict[str, Any]]] = {}
    for member in members:
        label = question_type_label(member.question_type)
        groups.setdefault(label, []).append(
            {
                "id": member.id,
                "slug": member.slug,
                "title": member.title,
                "url": article_url(member.slug),
                "question_type": member.question_type,
            }
        )
    return {
        "topic": _topic(topic, len(members)),
        "groups": [{"question_type": label, "articles": items} for label, items in groups.items()],
    }


def topic_moved(site: Site, slug: str) -> str | None:
    """The slug of the topic that `slug` was merged into (its old name is now "also
    called"), or None."""
    for topic in site.library.store.topics():
        if topic.article_count and any(slugify(name) == slug for name in topic.synonyms):
            return topic.slug
    return None


def article_page(site: Site, key: str | int, base_url: str = "") -> dict[str, Any]:
    """One published article with its neighbours, related articles and structured data."""
    view = site.cached(("article", str(key)), lambda: _article_page(site, key))
    page = dict(view)
    page["canonical"] = base_url.rstrip("/") + view["article"]["url"]
    page["jsonld"] = _jsonld(page, base_url.rstrip("/"))
    return page


def _article_page(site: Site, key: str | int) -> dict[str, Any]:
    store, index = site.library.store, site.library.index
    article = store.get_article(key)
    if article.status != "published":
        raise NotFound(f"no article with id or slug {key!r}")
    around = neighbours(store, article.id)
    notice = assess_article(article, _numbers(site))
    return {
        "article": article_dict(article),
        "description": teaser(lead_sentence(article.body_html, article.body_text), DESCRIPTION),
        "urgency": notice.to_dict() if notice else None,
        "previous": _related(around.previous) if around.previous else None,
        "next": _related(around.next) if around.next else None,
        "related": [_related(item) for item in related(store, index, article.id, RELATED_LIMIT)],
        "also": _also_list(store.same_question(article.id)),
    }


def _also_list(others: list[ArticleSummary]) -> list[dict[str, Any]]:
    """The other articles asking the same question; where one source answers more than once,
    each is numbered ("2 of 5"): their first words may be the same."""
    per_source = Counter(other.source for other in others)
    seen: Counter[str] = Counter()
    shown = []
    for other in others:
        seen[other.source] += 1
        count = per_source[other.source]
        shown.append(
            _also(other) | {"part": f"{seen[other.source]} of {count}" if count > 1 else None}
        )
    return shown


def _also(other: ArticleSummary) -> dict[str, Any]:
    """Another article asking the same question, named by its source ("also from ...")."""
    return {
        "id": other.id,
        "slug": other.slug,
        "title": other.title,
        "url": article_url(other.slug),
        "source": SOURCE_NAMES.get(other.source, other.source),
        "teaser": other.teaser,
    }


def related_list(site: Site, article_id: int, limit: int = RELATED_LIMIT) -> dict[str, Any]:
    """The related articles of one published article (the API's related endpoint)."""
    page = article_page(site, article_id)  # NotFound for an unknown or retired article
    if limit <= RELATED_LIMIT:
        return {"article_id": article_id, "related": page["related"][:limit]}
    library = site.library
    longer = site.cached(
        ("related", article_id, limit),
        lambda: [_related(i) for i in related(library.store, library.index, article_id, limit)],
    )
    return {"article_id": article_id, "related": longer}


def search_page(site: Site, query: str, page: int = 1, correct: bool = True) -> dict[str, Any]:
    """One page of results for `query`, with snippets, the count and spelling help.

    Results are the keyword search's (`Search.page`'s ranking), looked at up to `SCAN` deep,
    kept while they score at least `RELEVANCE_FLOOR` of the best, and each question shown once
    (the first of the articles sharing a `title_key`). `total` counts those: a count a reader
    can trust, not every article that uses one of the words. With `correct` off, misspelt
    words are searched as typed.
    """
    text = query.strip()
    if not text:
        empty = {"urgency": None, "corrected": None, "more": False}
        return _search_result(query, page, [], 0, None) | empty
    ranked = _ranked(site, text, correct)
    kept = _floored(ranked)
    found = _distinct(kept)
    start = (page - 1) * PER_PAGE
    results = [
        summary(r.article)
        | {"score": round(r.score, 4), "snippet_html": snippet(r.article.body_text, text)}
        for r in found[start : start + PER_PAGE]
    ]
    suggestion = did_you_mean(site, text) if not found else None
    notice = assess(text, _numbers(site))
    return _search_result(query, page, results, len(found), suggestion) | {
        "urgency": notice.to_dict() if notice else None,
        "corrected": corrected_text(site, text) if correct and found else None,
        "more": len(ranked) == SCAN and len(kept) == SCAN,  # the floor was not reached
    }


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
    query: str, page: int, results: list[dict[str, Any]], total: int, suggestion: str | None
) -> dict[str, Any]:
    pages = max(1, math.ceil(total / PER_PAGE))
    return {
        "query": query,
        "page": page,
        "per_page": PER_PAGE,
        "total": total,
        "pages": pages,
        "results": results,
        "did_you_mean": suggestion,
        "previous_page": page - 1 if page > 1 else None,
        "next_page": page + 1 if page < pages else None,
    }


def suggestions(site: Site, typed: str, limit: int = SUGGESTIONS) -> dict[str, Any]:
    """Topic names, then article titles (each question once), that have a word starting with
    each word typed: "glau" -> "Glaucoma", "What is glaucoma?". Two letters at least."""
    wanted = _WORD.findall(typed.casefold())
    found: list[dict[str, Any]] = []
    if len("".join(wanted)) >= 2:
        for entry in site.cached("suggestions", lambda: _suggestion_entries(site), expires=False):
            if all(any(word.startswith(w) for word in entry[0]) for w in wanted):
                found.append(entry[1])
                if len(found) >= limit:
                    break
    return {"query": typed, "suggestions": found}


def _suggestion_entries(site: Site) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """Topics by name (largest first), then titles (each question once, shortest first)."""
    store = site.library.store
    topics = sorted((t for t in store.topics() if t.article_count), key=lambda t: -t.article_count)
    entries = [
        (
            tuple(_WORD.findall(t.name.casefold())),
            {"text": t.name, "kind": "topic", "url": topic_url(t.slug)},
        )
        for t in topics
    ]
    titles = distinct_questions(store.titles())
    entries += [
        (
            tuple(_WORD.findall(a.title.casefold())),
            {"text": a.title, "kind": "article", "url": article_url(a.slug)},
        )
        for a in sorted(titles, key=lambda a: (len(a.title), a.title))
    ]
    return entries


def ask_page(site: Site, question: str, limit: int = 3) -> dict[str, Any]:
    """Answer cards quoted from the articles, or a plain "no good answer" with what to do."""
    numbers = _numbers(site)
    text = question.strip()
    result = ask(site.library.search, text, limit, numbers) if text else no_answer(text, numbers)
    return result.to_dict() | {"question": question}


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
) -> dict[str, Any]:
    """A page of published articles, oldest first, filtered by topic, source or review state."""
    where = ArticleFilter(topic=topic, source=source, review=review)
    store = site.library.store
    total = store.count_articles(where)
    found = store.list_articles(where, per_page, (page - 1) * per_page)
    return {
        "page": page,
        "per_page": per_page,
        "total": total,
        "articles": [summary(article) for article in found],
    }


def stats(site: Site) -> dict[str, Any]:
    """Counts a reader or a monitor may want; nothing about the server's files."""
    counts = site.library.store.stats()
    keys = ("articles", "topics", "sources", "revisions", "review_overdue", "last_change")
    return {key: counts[key] for key in keys} | {"by_source": counts["by_source"]}


def text_page(site: Site, setting: str, title: str) -> dict[str, Any]:
    """A page of the publisher's own words from a setting: About, the editorial policy."""
    text = str(site.library.settings.get(setting, ""))
    paragraphs = [" ".join(part.split()) for part in text.split("\n\n") if part.strip()]
    return {"title": title, "paragraphs": paragraphs}


def _iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def sitemap(site: Site) -> dict[str, Any]:
    """Every published article and topic page; an article's `lastmod` is its content's own
    date (when it was last reviewed), never when it was imported, and absent without one."""

    def compute() -> dict[str, Any]:
        store = site.library.store
        articles = [
            {"url": article_url(a.slug), "lastmod": _iso_date(a.last_reviewed)}
            for a in store.iter_articles(ArticleFilter(status="published"))
        ]
        topics = [
            {"url": topic_url(t.slug), "lastmod": None} for t in store.topics() if t.article_count
        ]
        return {"pages": [{"url": "/", "lastmod": None}, *topics, *articles]}

    return site.cached("sitemap", compute, expires=False)


# Shapes -----------------------------------------------------------------------------------


def article_dict(article: Article) -> dict[str, Any]:
    """An article as pages and the API show it."""
    return summary(article) | {
        "body_html": article.body_html,
        "source_title": article.source_title,
        "licence": article.licence,
        "attribution": attribution(article),
        "language": article.language,
        "updated": article.updated,
        "revision": article.revision,
    }


def attribution(article: Article) -> dict[str, Any]:
    """Who wrote the answer, where it was published and under which licence, for the page's
    credit line and the API: the source's full name, its page and site, the licence's text
    and (for a licence we recognise) the address of its terms."""
    site = None
    if article.source_url:
        parts = urlsplit(article.source_url)
        if parts.scheme in ("http", "https") and parts.hostname:
            site = {
                "name": parts.hostname.removeprefix("www."),
                "url": f"{parts.scheme}://{parts.netloc}/",
            }
    licence_url = None
    for pattern, url in LICENCES:
        if article.licence and re.search(pattern, article.licence):
            licence_url = url
            break
    return {
        "source": SOURCE_NAMES.get(article.source, article.source),
        "source_url": article.source_url,
        "site": site,
        "licence": article.licence,
        "licence_url": licence_url,
    }


def summary(article: Article) -> dict[str, Any]:
    """An article without its body: enough for a result list."""
    topic = article.topic
    return {
        "id": article.id,
        "slug": article.slug,
        "url": article_url(article.slug),
        "title": article.title,
        "teaser": article.teaser,
        "topic": {
            "name": topic.name,
            "slug": topic.slug,
            "url": topic_url(topic.slug),
            "category": topic.category,
        }
        if topic
        else None,
        "question_type": article.question_type,
        "source": article.source,
        "source_url": article.source_url,
        "last_reviewed": _iso(article.last_reviewed),
        "next_review": _iso(article.next_review),
        "review_overdue": review_status(article) == "overdue",
    }


def question_type_label(question_type: str | None) -> str:
    if not question_type:
        return "Other questions"
    words = question_type.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _related(item: Related) -> dict[str, Any]:
    return asdict(item) | {"id": item.article_id, "url": article_url(item.slug)}


def _topics_with_questions(site: Site) -> list[dict[str, Any]]:
    counts = site.library.store.question_counts()
    return [_topic(t, counts.get(t.id, 0)) for t in site.library.store.topics()]


def _topic(topic: Topic, questions: int) -> dict[str, Any]:
    return {
        "id": topic.id,
        "slug": topic.slug,
        "url": topic_url(topic.slug),
        "name": topic.name,
        "synonyms": list(topic.synonyms),
        "category": topic.category,
        "article_count": topic.article_count,
        "question_count": questions,
    }


def _letters(topics: list[Topic]) -> list[str]:
    return sorted({_initial(t.name) for t in topics if t.article_count})


def _initial(name: str) -> str:
    first = name.strip()[:1].upper()
    return first if first.isalpha() else "#"


def _jsonld(page: dict[str, Any], base: str) -> str:
    """schema.org MedicalWebPage data for the page, safe to place inside a <script> tag.

    The site publishes the page; the source wrote the answer (`sourceOrganization`,
    `isBasedOn`). Dates are the content's (`lastReviewed`), never the import's: an article
    without a review date has no `dateModified`. `about` is typed only for a topic whose kind
    the source named (a "Disease" is a MedicalCondition); any other topic is a Thing.
    """
    article, credit = page["article"], page["article"]["attribution"]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": article["title"],
        "description": page["description"],
        "url": page["canonical"],
        "inLanguage": article["language"],
        "publisher": {"@type": "Organization", "name": SITE_NAME, "url": base + "/"},
        "sourceOrganization": {"@type": "Organization", "name": credit["source"]},
        "breadcrumb": _breadcrumb(article, base),
    }
    if credit["site"]:
        data["sourceOrganization"]["url"] = credit["site"]["url"]
    if credit["source_url"]:
        data["isBasedOn"] = credit["source_url"]
    if credit["licence_url"]:
        data["license"] = credit["licence_url"]
    if article["topic"]:
        kind = TOPIC_TYPES.get((article["topic"].get("category") or "").casefold(), "Thing")
        data["about"] = {"@type": kind, "name": article["topic"]["name"]}
    if article["last_reviewed"]:
        data["lastReviewed"] = data["dateModified"] = article["last_reviewed"]
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _breadcrumb(article: dict[str, Any], base: str) -> dict[str, Any]:
    """Home > topic > article, as the page's breadcrumb shows it."""
    steps = [("Home", base + "/")]
    if article["topic"]:
        steps.append((article["topic"]["name"], base + article["topic"]["url"]))
    steps.append((article["title"], base + article["url"]))
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": number, "name": name, "item": url}
            for number, (name, url) in enumerate(steps, start=1)
        ],
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
