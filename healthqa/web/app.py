"""The web application: every route, middleware and error handler, in one place.

    uvicorn --factory healthqa.web.app:create_app      # what `healthqa serve` runs

`create_app` reads the settings (environment, then file), so each server worker process builds
its own app and opens its own `Library`. Pages live in `pages.ROUTES`, the JSON API in
`api.ROUTES`; the editor API (healthqa.web.editor, when present) is included as its router.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.middleware import Middleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

import healthqa
from healthqa.library import Library
from healthqa.web import api, feedback, pages, sessions, workspace
from healthqa.web.caching import ETagMiddleware
from healthqa.web.errors import HANDLERS, ServerErrors
from healthqa.web.headers import SecurityHeadersMiddleware
from healthqa.web.limits import Limits
from healthqa.web.site import Site

STATIC = Path(__file__).parent / "static"
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
OPENAPI_URL = f"{api.PREFIX}/openapi.json"
DOCS_URL = f"{api.PREFIX}/docs"

DESCRIPTION = """Read-only access to healthqa's articles, topics, search and answers.

Every article in a response carries the path of its page as `url`. Every error has one shape:
`{"error": {"status": 404, "code": "not_found", "message": "...", "field": null}}`.
GET responses carry an ETag; send it back in If-None-Match to get 304 Not Modified.
"""

MIDDLEWARE = [
    Middleware(SecurityHeadersMiddleware, docs_path=DOCS_URL),
    Middleware(ETagMiddleware),
    Middleware(Limits),  # rates, body sizes and read times (healthqa/web/limits.py)
    Middleware(ServerErrors),  # innermost: a 500 still gets the headers above
]


def create_app(library: Library | None = None) -> FastAPI:
    """The app over `library` (default: the one the settings name)."""
    site = Site(library if library is not None else Library())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        site.start()
        yield
        site.close()

    app = FastAPI(
        title="healthqa",
        version=_version(),
        description=DESCRIPTION,
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
        middleware=MIDDLEWARE,
        exception_handlers=HANDLERS,
        lifespan=lifespan,
    )
    app.state.site = site
    app.state.feedback_limit = feedback.RateLimit()
    app.router.routes.extend(pages.routes())
    app.router.routes.extend(workspace.routes())  # the editors' workspace, under /editor/
    app.add_exception_handler(sessions.SignInNeeded, sessions.sign_in_needed)
    app.include_router(api.router())
    app.state.library = site.library  # the editor routes write through the worker's library
    app.include_router(feedback.router(), prefix=api.PREFIX)
    for router in extra_routers():
        app.include_router(router, prefix=api.PREFIX)
    app.add_api_route(DOCS_URL, api_docs, include_in_schema=False, response_class=HTMLResponse)
    app.mount("/static/docs", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


async def api_docs() -> HTMLResponse:
    """Swagger UI, with its script and style served by the app itself (no CDN)."""
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title="healthqa API",
        swagger_js_url="/static/docs/swagger-ui-bundle.js",
        swagger_css_url="/static/docs/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
        swagger_ui_parameters={"validatorUrl": None},
    )


def extra_routers() -> list[APIRouter]:
    """Routers built elsewhere: the editor API, when its module is installed."""
    try:
        editor = importlib.import_module("healthqa.web.editor")
    except ModuleNotFoundError as exc:
        if exc.name != "healthqa.web.editor":
            raise
        return []
    router: APIRouter = editor.router
    return [router]


def _version() -> str:
    return str(getattr(healthqa, "__version__", "0.1.0"))
