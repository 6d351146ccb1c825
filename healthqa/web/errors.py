"""Errors: one JSON envelope for every /api error, a page in the site's style for the rest.

    {"error": {"status": 404, "code": "not_found", "message": "...", "field": null}}

A reader never sees a traceback: unexpected errors are logged and answered with a plain 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from healthqa.store import NotFound
from healthqa.web.views import BadInput

log = logging.getLogger("healthqa.web")

CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid_parameter",
    500: "server_error",
}
PAGE_MESSAGES = {
    404: "We could not find that page. It may have moved, or the address may be mistyped.",
    500: "Something went wrong on our side. Please try again in a moment.",
}

Handler = Callable[[Request, Any], Coroutine[Any, Any, Response]]


def envelope(status: int, message: str, field: str | None = None) -> dict[str, Any]:
    code = CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))
    return {"error": {"status": status, "code": code, "message": message, "field": field}}


def is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def respond(request: Request, status: int, message: str, field: str | None = None) -> Response:
    """The envelope for the API, the error page for everything else."""
    headers = {"Cache-Control": "no-store"}
    if is_api(request):
        return JSONResponse(envelope(status, message, field), status, headers=headers)
    from healthqa.web.pages import render

    shown = PAGE_MESSAGES.get(status, message)
    context = {"status": status, "title": HTTPStatus(status).phrase, "message": shown}
    response = render(request, "error.html", context, status)
    response.headers.update(headers)
    return response


async def http_error(request: Request, exc: HTTPException) -> Response:
    message = str(exc.detail) if exc.detail else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such address: {request.url.path}"
    response = respond(request, exc.status_code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    """The first problem, in words, naming the parameter (a page gets a 400, not a 422)."""
    first = exc.errors()[0] if exc.errors() else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("query", "path")]
    field = ".".join(location) or None
    message = f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg"))
    return respond(request, 422 if is_api(request) else 400, message, field)


async def not_found(request: Request, exc: NotFound) -> Response:
    return respond(request, 404, str(exc))


async def bad_input(request: Request, exc: BadInput) -> Response:
    return respond(request, 400, str(exc), exc.field)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("error answering %s %s", request.method, request.url.path, exc_info=exc)
    return respond(request, 500, "the server could not answer this request")


HANDLERS: dict[Any, Handler] = {
    HTTPException: http_error,
    RequestValidationError: validation_error,
    NotFound: not_found,
    BadInput: bad_input,
    Exception: server_error,
}
