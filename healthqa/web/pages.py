"""The HTML pages: each renders one view's model with a Jinja2 template.

Server-rendered, usable without JavaScript. Every route is listed in `ROUTES`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

from healthqa.ingest import is_web_url
from healthqa.store import NotFound
from healthqa.web import views
from healthqa.web.feedback import THANKS, post_feedback
from healthqa.web.site import Site
from healthqa.web.urls import article_url, base_url, canonical, topic_url

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
SITE_NAME = views.SITE_NAME


def long_date(value: date | str | None) -> str:
    """A date, or "2026-11-01", as "1 November 2026" (a text that is not an ISO date is
    unchanged)."""
    if not value:
        return "not stated"
    try:
        day = value if isinstance(value, date) else date.fromisoformat(value[:10])
    except ValueError:
        return value if isinstance(value, str) else str(value)
    return f"{day.day} {day:%B %Y}"


templates.env.filters["long_date"] = long_date
templates.env.globals["site_name"] = SITE_NAME
# `{% if url is web_url %}`: a link is rendered only when it is http(s), whatever is stored.
templates.env.tests["web_url"] = is_web_url


def render(
    request: Request,
    template: str,
    view: BaseModel | dict[str, Any],
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """The template over a view's model (its fields, computed ones too, are the template's
    names) and `extra` names."""
    context = _names(view) if isinstance(view, BaseModel) else dict(view)
    return templates.TemplateResponse(request, template, context | extra, status_code=status)


def _names(view: BaseModel) -> dict[str, Any]:
    shape = type(view)
    return {
        name: getattr(view, name) for name in [*shape.model_fields, *shape.model_computed_fields]
    }


def _site(request: Request) -> Site:
    found: Site = request.app.state.site
    found.fresh()
    return found


async def home(request: Request) -> HTMLResponse:
    return render(request, "home.html", views.home(_site(request)))


async def article(
    request: Request,
    slug: str,
    feedback: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    site = _site(request)
    try:
        base = base_url(request)
        page = views.article_page(site, slug, base)
    except NotFound:
        moved = site.library.store.slug_alias(slug)
        if moved is None:
            raise
        return RedirectResponse(article_url(moved), status_code=301)
    thanks = feedback == THANKS
    return render(request, "article.html", page, jsonld=views.jsonld(page, base), thanks=thanks)


async def topics(
    request: Request, letter: Annotated[str | None, Query(max_length=1)] = None
) -> HTMLResponse:
    index = views.topics_index(_site(request), letter, views.TOPICS_ON_ONE_PAGE)
    return render(request, "topics.html", index)


async def topic(request: Request, slug: str) -> Response:
    site = _site(request)
    try:
        page = views.topic_page(site, slug)
    except NotFound:
        moved = views.topic_moved(site, slug)  # a topic merged into one of the same name
        if moved is None:
            raise
        return RedirectResponse(topic_url(moved), status_code=301)
    return render(request, "topic.html", page)


async def search(
    request: Request,
    q: Annotated[str, Query(max_length=2000)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    correct: bool = True,
) -> HTMLResponse:
    found = views.search_page(_site(request), q, page, correct)
    return render(request, "search.html", found, correct=correct)


async def ask(request: Request, q: Annotated[str, Query(max_length=2000)] = "") -> HTMLResponse:
    return render(request, "ask.html", views.ask_page(_site(request), q))


async def about(request: Request) -> HTMLResponse:
    page = views.text_page(_site(request), "about_text", f"About {SITE_NAME}")
    return render(request, "text.html", page)


async def editorial_policy(request: Request) -> HTMLResponse:
    page = views.text_page(_site(request), "editorial_policy_text", "Our editorial policy")
    return render(request, "text.html", page)


async def sitemap(request: Request) -> Response:
    pages = views.sitemap(_site(request)).pages
    body = templates.get_template("sitemap.xml").render(pages=pages, base=base_url(request))
    return Response(body, media_type="application/xml")


async def robots(request: Request) -> PlainTextResponse:
    sitemap_url = canonical(request, "/sitemap.xml")
    return PlainTextResponse(f"User-agent: *\nAllow: /\nSitemap: {sitemap_url}\n")


ROUTES: list[tuple[str, Any, str]] = [
    ("/", home, "home"),
    ("/articles/{slug}", article, "article"),
    ("/topics", topics, "topics"),
    ("/topics/{slug}", topic, "topic"),
    ("/search", search, "search"),
    ("/ask", ask, "ask"),
    ("/about", about, "about"),
    ("/editorial-policy", editorial_policy, "editorial_policy"),
    ("/sitemap.xml", sitemap, "sitemap"),
    ("/robots.txt", robots, "robots"),
]


# Forms a page posts (each works without JavaScript and answers with a redirect).
POST_ROUTES: list[tuple[str, Any, str]] = [
    ("/articles/{slug}/feedback", post_feedback, "feedback"),
]


def routes() -> list[APIRoute]:
    """The pages' routes, from `ROUTES` and `POST_ROUTES` (kept out of the OpenAPI document)."""
    posts = [
        APIRoute(path, endpoint, methods=["POST"], name=name, include_in_schema=False)
        for path, endpoint, name in POST_ROUTES
    ]
    return posts + [
        APIRoute(
            path,
            endpoint,
            methods=["GET", "HEAD"],
            name=name,
            include_in_schema=False,
            response_class=HTMLResponse,
        )
        for path, endpoint, name in ROUTES
    ]
