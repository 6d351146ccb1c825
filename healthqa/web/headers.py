"""Security headers on every response, and a Content-Security-Policy that lets a browser load
nothing from anywhere but the site itself.

The pages run only the site's own script files (`/static/suggest.js`: suggestions as you type,
which the pages do without), never an inline script (the JSON-LD block is data, which CSP does
not block); the API docs page needs its one inline script and Swagger UI's inline styles.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def policy(path: str, docs_path: str) -> str:
    return DOCS_POLICY if path == docs_path else PAGE_POLICY


class SecurityHeadersMiddleware:
    """Adds `ALWAYS` and the page's Content-Security-Policy to every HTTP response."""

    def __init__(self, app: ASGIApp, docs_path: str) -> None:
        self.app = app
        self.docs_path = docs_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", policy(scope["path"], self.docs_path))
            await send(message)

        await self.app(scope, receive, send_with_headers)
