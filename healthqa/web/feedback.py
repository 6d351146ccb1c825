"""'Was this page helpful?': a reader's yes or no, with a comment if they like, per article.

The form on every article page posts here and works without JavaScript: the answer is kept
(`Store.add_feedback`) and the reader goes back to the page (303), which thanks them. No
account and nothing about the reader is kept.

Safe by design:
- Cross-site posts are refused (403): a browser names where a form came from
  (`Sec-Fetch-Site`, else `Origin`, else `Referer`), and it must be this site. A request that
  names none (a script, not a browser) cannot ride on a reader's visit, so it is let through.
- Each client (by address) may answer `LIMIT` times in `WINDOW` seconds (429 after), counted in
  memory per worker: a small local limiter, because feedback needs no more than that.
- Editors read it with a token: `GET /api/v1/feedback` and `/api/v1/articles/{id}/feedback`,
  or `healthqa feedback report`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from cachetools import LRUCache
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException

from healthqa.store import NotFound, Store
from healthqa.web import views
from healthqa.web.editor import Editor
from healthqa.web.errors import responses
from healthqa.web.models import FeedbackCount, FeedbackItem, FeedbackReport
from healthqa.web.site import Site

LIMIT = 10  # answers per client per window
WINDOW = 3600.0  # seconds
COMMENT_CHARS = 1000
BODY_BYTES = 8192
THANKS = "thanks"  # ?feedback=thanks: the page says thank you
_MAX_CLIENTS = 10_000  # the limiter forgets the oldest clients past this many


class RateLimit:
    """At most `limit` events per client in any `window` seconds (a sliding window)."""

    def __init__(self, limit: int = LIMIT, window: float = WINDOW) -> None:
        self.limit, self.window = limit, window
        self._seen: LRUCache[str, deque[float]] = LRUCache(_MAX_CLIENTS)
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        """Count one event for `client`; False when it is over the limit (not counted)."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            times = self._seen.pop(client, deque())
            while times and times[0] <= moment - self.window:
                times.popleft()
            allowed = len(times) < self.limit
            if allowed:
                times.append(moment)
            self._seen[client] = times  # past _MAX_CLIENTS, the least recent client goes
            return allowed


def same_site(request: Request, site_url: str = "") -> bool:
    """Whether a browser says the form came from this site; see the module docstring."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    named = request.headers.get("origin") or request.headers.get("referer")
    if named is None:
        return True
    ours = {request.headers.get("host", ""), urlsplit(site_url).netloc} - {""}
    return urlsplit(named).netloc in ours


def answer(helpful: str | None, comment: str | None) -> tuple[bool, str]:
    """The form's fields as (helpful, comment); 400 when `helpful` is not yes or no."""
    if helpful not in ("yes", "no"):
        raise HTTPException(400, "Please choose Yes or No.")
    return helpful == "yes", " ".join((comment or "").split())[:COMMENT_CHARS]


async def post_feedback(request: Request, slug: str) -> RedirectResponse:
    """Keep one reader's answer, then back to the page, which thanks them."""
    site: Site = request.app.state.site
    if not same_site(request, site.library.settings.get("site_url", "")):
        raise HTTPException(403, "This form can only be sent from this site's own pages.")
    fields = await _form(request)
    helpful, comment = answer(fields.get("helpful"), fields.get("comment"))
    page = views.article_page(site, slug)  # 404 for an unknown or retired article
    limiter: RateLimit = request.app.state.feedback_limit
    client = request.client.host if request.client else "unknown"
    if not limiter.allow(client):
        raise HTTPException(
            429,
            "too many answers from one client: the page says to wait and try again",
            headers={"Retry-After": str(int(WINDOW))},
        )
    created = datetime.now(UTC).isoformat(timespec="seconds")
    site.library.store.add_feedback(page.article.id, helpful, comment, created)
    return RedirectResponse(f"{page.article.url}?feedback={THANKS}#feedback", 303)


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > BODY_BYTES:
        raise HTTPException(413, "That comment is too long.")
    parsed = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    return {key: values[0] for key, values in parsed.items()}


# The editors' JSON API ------------------------------------------------------------------------


def report(store: Store, article_id: int | None = None, limit: int = 100) -> FeedbackReport:
    """Counts per article and the latest `limit` answers: the API's and `healthqa feedback
    report --json`'s one shape."""
    if article_id is not None:
        store.get_article(article_id)  # NotFound for an unknown article
    return FeedbackReport(
        articles=[FeedbackCount.of(c) for c in store.feedback_counts(article_id)],
        comments=[FeedbackItem.of(f) for f in store.feedback(article_id, limit)],
    )


async def all_feedback(
    request: Request, _: Editor, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> FeedbackReport:
    """What readers said of every page: counts per article and the latest comments."""
    return report(request.app.state.site.library.store, None, limit)


async def article_feedback(
    request: Request,
    _: Editor,
    article_id: Annotated[int, Path(ge=1, le=views.MAX_ID)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> FeedbackReport:
    """What readers said of one article's page: its counts and its latest answers."""
    try:
        return report(request.app.state.site.library.store, article_id, limit)
    except NotFound:
        raise HTTPException(404, f"no article with id {article_id}") from None


def router() -> APIRouter:
    """The editors' feedback routes (a token is required), under the API's prefix."""
    built = APIRouter(responses=responses(401, 404, 422))
    built.add_api_route("/feedback", all_feedback, response_model=FeedbackReport)
    built.add_api_route(
        "/articles/{article_id}/feedback", article_feedback, response_model=FeedbackReport
    )
    return built
