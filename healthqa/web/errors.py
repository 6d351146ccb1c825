"""Errors: one JSON envelope for every /api error, a page in the site's style for the rest.

    {"error": {"status": 404, "code": "not_found", "message": "...", "field": null}}

`ErrorResponse` is that envelope's one model: every JSON error is rendered from it, and every
route's OpenAPI entry names it (`responses`).

A reader never sees a traceback: unexpected errors are logged once and answered with a plain 500
(`ServerErrors`; Starlette's own handler re-raises after answering, so the server logged each
traceback a second time).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthqa.store import NotFound, StoreFull, StoreUnavailable
from healthqa.web.views import BadInput

log = logging.getLogger("healthqa.web")

CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    422: "invalid_parameter",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
    507: "insufficient_storage",
}
RETRY_AFTER_S = 5  # what a 503 asks a client to wait
PAGE_MESSAGES = {
    429: "You have sent a lot of requests in a short time. Please wait a moment and try again.",
    404: "We could not find that page. It may have moved, or the address may be mistyped.",
    500: "Something went wrong on our side. Please try again in a moment.",
    503: "The site cannot reach its database just now. Please try again in a moment.",
    507: "The site cannot save anything just now. Reading still works; please try later.",
}

DESCRIPTIONS = {
    400: "Bad request",
    401: "No valid editor's token",
    404: "Not found",
    408: "The request took too long to arrive",
    409: "Already exists",
    412: "Someone changed the article since you read it",
    413: "The request body is too large",
    415: "The request body is not JSON",
    422: "A parameter or field is missing or invalid",
    428: "If-Match is needed",
    429: "Too many requests",
    500: "Server error",
    503: "The database cannot be reached now",
    507: "No room to save",
}

Handler = Callable[[Request, Any], Coroutine[Any, Any, Response]]


class ErrorBody(BaseModel):
    status: int = Field(description="The HTTP status, repeated.")
    code: str = Field(description="A stable name for the error: not_found, invalid_field...")
    message: str = Field(description="What went wrong, in plain words.")
    field: str | None = Field(description="The parameter or body field at fault, if one is.")


class ErrorResponse(BaseModel):
    """The one envelope of every JSON error."""

    error: ErrorBody


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entries of a route's error statuses: each the one envelope."""
    return {
        status: {"model": ErrorResponse, "description": DESCRIPTIONS[status]} for status in statuses
    }


class ApiError(Exception):
    """An error the API answers with: HTTP status, a stable code, a message, maybe a field."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}

    def envelope(self) -> ErrorResponse:
        body = ErrorBody(status=self.status, code=self.code, message=self.message, field=self.field)
        return ErrorResponse(error=body)


def envelope(status: int, message: str, field: str | None = None) -> ErrorResponse:
    """The envelope of an error known by its status alone (its code follows from it)."""
    code = CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))
    return ApiError(status, code, message, field).envelope()


def is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def respond(request: Request, status: int, message: str, field: str | None = None) -> Response:
    """The envelope for the API, the error page for everything else."""
    headers = {"Cache-Control": "no-store"}
    if is_api(request):
        body = envelope(status, message, field).model_dump()
        return JSONResponse(body, status, headers=headers)
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
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path (the router names only the first route's:
    `GET` for /api/v1/articles/1, which also takes PUT)."""
    routes = request.app.router.routes
    found = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]
    return found or ["GET", "HEAD"]  # inside a mount: the static files, which answer only those


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


async def api_error(request: Request, exc: ApiError) -> Response:
    headers = {"Cache-Control": "no-store", **exc.headers}
    return JSONResponse(exc.envelope().model_dump(), exc.status, headers=headers)


def body_error(exc: RequestValidationError) -> ApiError | None:
    """A request body FastAPI could not parse: 400 when it is not a JSON object, else 422
    naming the first field at fault. None when the problem is not in the body."""
    first = dict(exc.errors()[0]) if exc.errors() else {}
    location = [str(part) for part in first.get("loc", ())]
    if not location or location[0] != "body":
        return None
    kind = first.get("type", "")
    if kind == "json_invalid":
        reason = first.get("ctx", {}).get("error", "not JSON")
        at = f" at character {location[1]}" if len(location) > 1 else ""
        return ApiError(400, "invalid_json", f"the body is not valid JSON: {reason}{at}")
    if location == ["body"]:
        what = "is missing" if kind == "missing" else "must be a JSON object"
        return ApiError(400, "invalid_body", f"the request body {what}")
    field = ".".join(location[1:]) or None
    code = "missing_field" if kind == "missing" else "invalid_field"
    message = f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg"))
    return ApiError(422, code, message, field=field)


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    """The first problem, in words, naming the parameter (a page gets a 400, not a 422)."""
    if is_api(request) and (problem := body_error(exc)) is not None:
        return await api_error(request, problem)
    first = exc.errors()[0] if exc.errors() else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("query", "path")]
    field = ".".join(location) or None
    message = f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg"))
    return respond(request, 422 if is_api(request) else 400, message, field)


async def not_found(request: Request, exc: NotFound) -> Response:
    return respond(request, 404, str(exc))


async def store_full(request: Request, exc: StoreFull) -> Response:
    """507: the database has no room for a write; nothing of it was kept, reads go on."""
    log.error("a write was refused for want of room: %s", exc)
    return respond(request, 507, str(exc))


async def store_unavailable(request: Request, exc: StoreUnavailable) -> Response:
    """503: the database (for a write, the primary) cannot be reached; try again shortly."""
    log.error("the database cannot be reached: %s", exc)
    response = respond(request, 503, "the database cannot be reached now; try again shortly")
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


async def bad_input(request: Request, exc: BadInput) -> Response:
    return respond(request, 400, str(exc), exc.field)


async def server_error(request: Request, exc: Exception) -> Response:
    """The 500 for an error outside `ServerErrors` (which the server then logs, once)."""
    return respond(request, 500, "the server could not answer this request")


class ServerErrors:
    """Answers an unexpected error with the 500 page or envelope, logs it once, and ends there.

    It sits inside the other middleware, so the 500 still gets the security headers. An error
    after the response has started cannot be answered: it goes on to the server, which logs it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started:
                raise
            request = Request(scope, receive)
            log.exception("error answering %s %s", request.method, request.url.path, exc_info=exc)
            response = await server_error(request, exc)
            await response(scope, receive, send)


HANDLERS: dict[Any, Handler] = {
    ApiError: api_error,
    HTTPException: http_error,
    RequestValidationError: validation_error,
    NotFound: not_found,
    StoreFull: store_full,
    StoreUnavailable: store_unavailable,
    BadInput: bad_input,
    Exception: server_error,
}
