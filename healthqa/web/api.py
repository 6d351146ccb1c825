"""The read-only JSON API under /api/v1: the same view models as the pages, as JSON.

Every route is listed in `ROUTES`; every error has the one envelope of `healthqa.web.errors`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from healthqa import editing
from healthqa.store import NotFound
from healthqa.web import models, views
from healthqa.web.caching import cache_control, etag, matches
from healthqa.web.errors import responses
from healthqa.web.site import Site
from healthqa.web.urls import base_url

PREFIX = "/api/v1"
_ERRORS = responses(400, 404, 422, 500)


def site(request: Request) -> Site:
    """The worker's site, with other processes' changes applied (at most every few seconds)."""
    found: Site = request.app.state.site
    found.fresh()
    return found


SiteDep = Annotated[Site, Depends(site)]
Page = Annotated[int, Query(ge=1, le=10_000, description="Page number, from 1.")]
Question = Annotated[
    str,
    Query(
        min_length=1,
        max_length=2000,
        description="Words or a question.",
        examples=["what causes leg cramps in late pregnancy?"],
    ),
]
ArticleId = Annotated[int, Path(ge=1, le=views.MAX_ID)]


async def list_articles(
    s: SiteDep,
    topic: Annotated[str | None, Query(max_length=200, description="A topic's slug.")] = None,
    source: Annotated[str | None, Query(max_length=200, description="A source's name.")] = None,
    review: Annotated[
        Literal["overdue", "current"] | None, Query(description="Review status.")
    ] = None,
    page: Page = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> models.ArticleList:
    """Published articles, oldest first, a page at a time."""
    return views.articles_list(s, topic, source, review, page, per_page)


async def get_article(
    request: Request,
    s: SiteDep,
    key: Annotated[
        str,
        Path(
            max_length=200,
            description="The article's id or slug.",
            examples=["what-causes-leg-cramps-in-late-pregnancy", "1"],
        ),
    ],
) -> Response:
    """One published article by id or slug, with previous, next and related articles.

    Its ETag (`"a42-r3-<hash of this body>"`) names the revision, so an editor can send it as
    If-Match to update the article; sent as If-None-Match it gives 304 while the body is the same.
    """
    try:
        page = views.article_page(s, key, base_url(request))
    except NotFound:
        moved = s.library.store.slug_alias(key)  # an address from before titles were tidied
        if moved is None:
            raise
        return RedirectResponse(f"{PREFIX}/articles/{moved}", status_code=301)
    body = page.model_dump_json().encode()
    tag = editing.revision_etag(page.article.id, page.article.revision, etag(body).strip('"'))
    if matches(request.headers.get("if-none-match"), tag):
        headers = {"ETag": tag, "Cache-Control": cache_control(request.url.path)}
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers={"ETag": tag})


async def get_related(
    s: SiteDep, article_id: ArticleId, limit: Annotated[int, Query(ge=1, le=50)] = 12
) -> models.RelatedList:
    """The articles related to one article, each with a teaser and a reason."""
    return views.related_list(s, article_id, limit)


async def list_topics(s: SiteDep) -> models.TopicList:
    """Every topic with its "also called" names and its number of published articles."""
    return models.TopicList(topics=views.topics_index(s).topics)


async def get_topic(
    s: SiteDep,
    slug: Annotated[str, Path(max_length=200, examples=["pregnancy-discomforts"])],
) -> models.TopicPage:
    """One topic with its articles grouped by question type."""
    return views.topic_page(s, slug)


async def search(
    s: SiteDep,
    q: Question,
    page: Page = 1,
    correct: Annotated[
        bool, Query(description="Correct misspelt words (false: search the words as typed).")
    ] = True,
) -> models.SearchPage:
    """Articles matching the words, best first, each question once, with highlighted snippets."""
    return views.search_page(s, q, page, correct)


async def suggest(
    s: SiteDep, q: Annotated[str, Query(max_length=200, description="What has been typed.")]
) -> models.Suggestions:
    """Up to 8 topic names and article titles for the search box, as a reader types."""
    return views.suggestions(s, q)


async def ask(
    s: SiteDep, q: Question, limit: Annotated[int, Query(ge=1, le=10)] = 3
) -> models.AskPage:
    """Answers quoted from the articles, each cited and dated, with a confidence."""
    return views.ask_page(s, q, limit)


async def stats(s: SiteDep) -> models.Stats:
    """Counts of articles, topics, sources, revisions and overdue reviews."""
    return views.stats(s)


ROUTES: list[tuple[str, Any, type, str]] = [
    ("/articles", list_articles, models.ArticleList, "articles"),
    ("/articles/{key}", get_article, models.ArticlePage, "article"),
    ("/articles/{article_id}/related", get_related, models.RelatedList, "related"),
    ("/topics", list_topics, models.TopicList, "topics"),
    ("/topics/{slug}", get_topic, models.TopicPage, "topic"),
    ("/search", search, models.SearchPage, "search"),
    ("/suggest", suggest, models.Suggestions, "suggest"),
    ("/ask", ask, models.AskPage, "ask"),
    ("/stats", stats, models.Stats, "stats"),
]


def router() -> APIRouter:
    """The API's routes, from `ROUTES`."""
    built = APIRouter(prefix=PREFIX, responses=_ERRORS)
    for path, endpoint, model, name in ROUTES:
        built.add_api_route(
            path, _as_json(endpoint), methods=["GET"], response_model=model, name=f"api_{name}"
        )
    return built


def _as_json(endpoint: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """The endpoint, its view's model sent as JSON at once: the view built and checked the
    model, so FastAPI's dumping it to a dict and checking it again against the same model
    (twice the time of the JSON itself) is left out. `response_model` still documents it."""

    @functools.wraps(endpoint)
    async def answer(*args: Any, **kwargs: Any) -> Any:
        found = await endpoint(*args, **kwargs)
        if isinstance(found, BaseModel):
            return Response(found.model_dump_json(), media_type="application/json")
        return found

    return answer
