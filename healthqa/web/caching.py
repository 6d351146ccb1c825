"""ETags and Cache-Control for every successful GET.

The ETag is a hash of the response body, so it changes exactly when what a reader sees changes
(an edit, a new related article, a new review date). A request whose If-None-Match names it
gets 304 Not Modified with no body. Responses that set their own ETag (static files) are left
alone.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_MAX_AGE = 60
STATIC_MAX_AGE = 86_400


def etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return tag in {t.strip().removeprefix("W/") for t in if_none_match.split(",")}


def cache_control(path: str) -> str:
    if path == "/editor" or path.startswith("/editor/"):
        return "no-store"  # the editors' workspace: one person's pages, kept by no cache
    max_age = STATIC_MAX_AGE if path.startswith("/static/") else PAGE_MAX_AGE
    return f"public, max-age={max_age}"


class ETagMiddleware:
    """Buffers a GET's 200 response, tags it, and answers 304 when the tag matches."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        wanted = Headers(scope=scope).get("if-none-match")
        start: Message | None = None
        chunks: list[bytes] = []

        async def tagging_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = Headers(raw=message["headers"])
                if message["status"] != 200 or "etag" in headers:
                    if message["status"] == 200 and "cache-control" not in headers:
                        MutableHeaders(raw=message["headers"]).append(
                            "Cache-Control", cache_control(scope["path"])
                        )
                    await send(message)
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _finish(send, start, b"".join(chunks), wanted, scope["path"])

        await self.app(scope, receive, tagging_send)


async def _finish(send: Send, start: Message, body: bytes, wanted: str | None, path: str) -> None:
    tag = etag(body)
    headers = MutableHeaders(raw=list(start["headers"]))
    headers["ETag"] = tag
    headers.setdefault("Cache-Control", cache_control(path))
    if matches(wanted, tag):
        del headers["content-length"]
        if "content-type" in headers:
            del headers["content-type"]
        await send({"type": "http.response.start", "status": 304, "headers": headers.raw})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": headers.raw})
    await send({"type": "http.response.body", "body": body})
