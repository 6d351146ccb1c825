"""Signing in to the editors' workspace: the sign-in and sign-out forms, the session cookie,
and the checks every workspace request passes (a session, its CSRF token, the role).

- The session cookie holds a random id (healthqa/accounts.py keeps only its hash, in the
  database, so any worker or node accepts it). It is HttpOnly (no script reads it),
  SameSite=Lax (a form on another site cannot send it), limited to /editor, lasts
  `session_hours`, and is Secure whenever the site is served over https (`site_url`, or the
  request itself).
- Every POST under /editor/ carries a CSRF token: the session's own secret, in a hidden field.
  `posted` refuses a POST without a session, without the token or with another session's,
  before anything is read or written. The sign-in form, which has no session yet, has a token
  of its own: a random value in a short-lived SameSite=Strict cookie that the form must echo
  (a site elsewhere can neither read nor set it).
- A failed sign-in says one plain thing whatever went wrong; each client may try
  `rate_limit_signin` times a minute (healthqa/web/limits.py answers 429 past that).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from healthqa import accounts
from healthqa.library import Library
from healthqa.store import Account, Session
from healthqa.web.pages import render

SESSION_COOKIE = "healthqa_session"
SIGN_IN_COOKIE = "healthqa_sign_in"
PATH = "/editor"
HOME = "/editor/"
SIGN_IN = "/editor/sign-in"
CSRF_FIELD = "csrf"
SIGN_IN_MINUTES = 60  # how long a sign-in form stays good
MAX_FIELDS = 50
NOT_SIGNED_IN = (
    "You are not signed in (or you were signed out), so nothing was changed. "
    "Sign in, then try again."
)
STALE_FORM = (
    "This form is out of date, so nothing was changed. Go back, reload the page, and try again."
)
NOT_ALLOWED = "Your account cannot do this. Ask an admin if you need to."
_SIGNED_OUT = "You have signed out."
_EXPIRED_SIGN_IN = "The sign-in form had expired. Please sign in again."


@dataclass(frozen=True)
class SignedIn:
    """Who is making this request, and the session they do it in."""

    session: Session
    account: Account

    @property
    def csrf(self) -> str:
        """The token each form of this session carries back."""
        return self.session.csrf_secret

    @property
    def name(self) -> str:
        return self.account.name

    def may(self, action: str) -> bool:
        return accounts.may(self.account.role, action)


class SignInNeeded(Exception):
    """A workspace page asked for without a session: the answer sends them to sign in."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


async def sign_in_needed(request: Request, exc: Exception) -> Response:
    """The handler of `SignInNeeded`: to the sign-in page, which brings them back after."""
    path = exc.path if isinstance(exc, SignInNeeded) else HOME
    return RedirectResponse(f"{SIGN_IN}?next={quote(path, safe='/')}", 303)


def library(request: Request) -> Library:
    found: Library = request.app.state.library
    return found


def signed_in(request: Request) -> SignedIn | None:
    """The request's session and account, while both are good; else None."""
    found = accounts.current(library(request).primary, request.cookies.get(SESSION_COOKIE, ""))
    return SignedIn(*found) if found else None


def need(request: Request, action: str | None = None) -> SignedIn:
    """For a page: who is signed in (else `SignInNeeded`), allowed to do `action` (else 403)."""
    signed = signed_in(request)
    if signed is None:
        raise SignInNeeded(request.url.path)
    if action is not None and not signed.may(action):
        raise HTTPException(403, NOT_ALLOWED)
    return signed


async def posted(request: Request, action: str | None = None) -> tuple[SignedIn, dict[str, str]]:
    """For a form's POST: who sent it and its fields, once the session, its CSRF token and the
    role `action` needs are checked. 403 with a plain message otherwise, and nothing done."""
    fields = await form(request)
    signed = signed_in(request)
    if signed is None:
        raise HTTPException(403, NOT_SIGNED_IN)
    if not accounts.csrf_ok(signed.session, fields.get(CSRF_FIELD)):
        raise HTTPException(403, STALE_FORM)
    if action is not None and not signed.may(action):
        raise HTTPException(403, NOT_ALLOWED)
    return signed, fields


async def form(request: Request) -> dict[str, str]:
    """A posted form's fields (the first value of each); the body's size is limited by the
    Limits middleware (`max_request_bytes`)."""
    body = await request.body()
    parsed = parse_qs(body.decode("utf-8", "replace"), max_num_fields=MAX_FIELDS)
    return {key: values[0] for key, values in parsed.items()}


def secure(request: Request) -> bool:
    """Whether cookies must be Secure: the site is served over https."""
    site_url = str(library(request).settings.get("site_url", ""))
    return site_url.lower().startswith("https:") or request.url.scheme == "https"


def no_store(response: Response) -> Response:
    """Workspace pages are for the person signed in: kept by no cache, shared or not."""
    response.headers["Cache-Control"] = "no-store"
    return response


# Sign in and sign out ---------------------------------------------------------------------------


async def sign_in_page(
    request: Request,
    next: Annotated[str, Query(max_length=500)] = "",
    signed_out: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    if signed_in(request) is not None:
        return RedirectResponse(_next(next), 303)
    message = _SIGNED_OUT if signed_out else ""
    return _sign_in_form(request, next, "", message, 200, notice=bool(signed_out))


async def sign_in(request: Request) -> Response:
    fields = await form(request)
    name, target = fields.get("name", ""), fields.get("next", "")
    token = request.cookies.get(SIGN_IN_COOKIE, "")
    if not token or not hmac.compare_digest(token.encode(), fields.get(CSRF_FIELD, "").encode()):
        return _sign_in_form(request, target, name, _EXPIRED_SIGN_IN, 403)
    store = library(request).primary
    hours = float(library(request).settings["session_hours"])
    try:
        session_id, _, _ = accounts.sign_in(store, name, fields.get("password", ""), hours)
    except accounts.SignInFailed as exc:
        return _sign_in_form(request, target, name, str(exc), 401)
    response = RedirectResponse(_next(target), 303)
    response.set_cookie(SESSION_COOKIE, session_id, max_age=int(hours * 3600), **_cookie(request))
    response.delete_cookie(SIGN_IN_COOKIE, path=PATH)
    return response


async def sign_out(request: Request) -> Response:
    await posted(request)
    accounts.sign_out(library(request).primary, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse(f"{SIGN_IN}?signed_out=1", 303)
    response.delete_cookie(SESSION_COOKIE, path=PATH)
    return response


def _sign_in_form(
    request: Request, target: str, name: str, message: str, status: int, notice: bool = False
) -> Response:
    token = request.cookies.get(SIGN_IN_COOKIE, "")
    if len(token) != 43:  # none yet, or not one of ours
        token = secrets.token_urlsafe(32)
    context = {"csrf": token, "next": _next(target), "name": name, "message": message}
    response = render(request, "editor/sign_in.html", context | {"notice": notice}, status)
    options = _cookie(request) | {"samesite": "strict"}
    response.set_cookie(SIGN_IN_COOKIE, token, max_age=SIGN_IN_MINUTES * 60, **options)
    return no_store(response)


def _cookie(request: Request) -> dict[str, Any]:
    return {"path": PATH, "httponly": True, "samesite": "lax", "secure": secure(request)}


def _next(target: str) -> str:
    """Where to go after signing in: a workspace page named by the form, else its home."""
    if target.startswith(HOME) and "//" not in target and "\\" not in target:
        return target
    return HOME
