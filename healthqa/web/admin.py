"""The admin's pages of the editors' workspace: accounts and API tokens. See docs/editing.md.

Only an admin sees them (`accounts.PERMISSIONS`: "accounts", "tokens"); an editor or a
reviewer gets 403 on every page and form. Every form carries the session's CSRF token
(healthqa/web/sessions.py `posted`), and every change is made by healthqa.accounts and
healthqa.tokens, the calls `healthqa users` and `healthqa tokens` make. The store refuses,
inside its write transaction, to disable or demote the last admin who can sign in
(`LastAdmin`), so two admins demoting each other at once still leave one.

A new token's secret is shown once, on the page that answers the form (never in an address,
never kept), with a note to copy it now. Each change is an INFO line of logger "healthqa.web"
naming the admin: accounts and tokens have no history table of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from healthqa import accounts, tokens
from healthqa.store import ROLES, Account, LastAdmin, Store, StoreError
from healthqa.web.pages import render
from healthqa.web.sessions import (
    CSRF_FIELD,
    HOME,
    SIGN_IN,
    SignedIn,
    library,
    need,
    no_store,
    posted,
)

ACCOUNTS = "/editor/admin/accounts"
TOKENS = "/editor/admin/tokens"
MAX_ID = 2**63 - 1
DEFAULT_DAYS = 90
AccountId = Annotated[int, Path(ge=1, le=MAX_ID)]
TokenId = Annotated[int, Path(ge=1, le=MAX_ID)]
Done = Annotated[str, Query(max_length=20)]
log = logging.getLogger("healthqa.web")

_NOTICES = {
    "created": "Account made. Tell its owner their name and password, and to sign in at /editor/.",
    "role": "Role changed. It applies from their next page.",
    "disabled": "Account disabled: it is signed out and cannot sign in.",
    "enabled": "Account enabled: it can sign in again with its password.",
    "password": "New password set. Anyone signed in with this account was signed out.",
    "revoked": "Token revoked: programs that use it are refused from now on.",
}


# Accounts ---------------------------------------------------------------------------------------


async def accounts_page(request: Request, done: Done = "") -> Response:
    signed = need(request, "accounts")
    return _accounts(request, signed, notice=_NOTICES.get(done, ""))


async def create_account(request: Request) -> Response:
    signed, fields = await posted(request, "accounts")
    values = {"name": fields.get("name", "").strip(), "role": fields.get("role", "editor")}
    try:
        made = accounts.create(
            library(request).primary, values["name"], values["role"], fields.get("password", "")
        )
    except (ValueError, StoreError) as exc:
        return _accounts(request, signed, values=values, error=_sentence(exc), status=422)
    _log(signed, f"made account {made.id} ({made.name!r}, {made.role})")
    return RedirectResponse(f"{ACCOUNTS}/{made.id}?done=created", 303)


async def account_page(request: Request, account_id: AccountId, done: Done = "") -> Response:
    signed = need(request, "accounts")
    return _account(request, signed, _found(request, account_id), notice=_NOTICES.get(done, ""))


async def set_role(request: Request, account_id: AccountId) -> Response:
    signed, fields = await posted(request, "accounts")
    role = fields.get("role", "")
    return _change(request, signed, account_id, "role", lambda s, k: accounts.set_role(s, k, role))


async def disable(request: Request, account_id: AccountId) -> Response:
    signed, _ = await posted(request, "accounts")
    return _change(request, signed, account_id, "disabled", accounts.disable)


async def enable(request: Request, account_id: AccountId) -> Response:
    signed, _ = await posted(request, "accounts")
    return _change(request, signed, account_id, "enabled", accounts.enable)


async def set_password(request: Request, account_id: AccountId) -> Response:
    signed, fields = await posted(request, "accounts")
    password = fields.get("password", "")
    return _change(
        request, signed, account_id, "password", lambda s, k: accounts.set_password(s, k, password)
    )


def _change(
    request: Request,
    signed: SignedIn,
    account_id: int,
    what: str,
    change: Callable[[Store, int], Account],
) -> Response:
    """Make one change to an account through healthqa.accounts, then back to its page; the
    page again with a plain message when the change is refused."""
    account = _found(request, account_id)
    try:
        changed = change(library(request).primary, account.id)
    except LastAdmin as exc:
        return _account(request, signed, account, error=str(exc), status=409)
    except (ValueError, StoreError) as exc:
        return _account(request, signed, account, error=_sentence(exc), status=422)
    _log(signed, f"{what}: account {changed.id} ({changed.name!r}, {changed.role})")
    return RedirectResponse(_after(signed, changed, what), 303)


def _after(signed: SignedIn, changed: Account, what: str) -> str:
    """Where a change leads: the account's page; but an admin who signed themselves out (a new
    password, disabled) goes to sign in, and one who is no longer an admin to the lists."""
    if changed.id != signed.account.id:
        return f"{ACCOUNTS}/{changed.id}?done={what}"
    if what in ("disabled", "password"):
        return f"{SIGN_IN}?signed_out=1"
    return f"{ACCOUNTS}/{changed.id}?done={what}" if changed.role == "admin" else HOME


def _found(request: Request, account_id: int) -> Account:
    return library(request).primary.account(account_id)  # NotFound: a 404 page


def _accounts(
    request: Request,
    signed: SignedIn,
    *,
    values: dict[str, str] | None = None,
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> Response:
    context = {
        "accounts": library(request).primary.accounts(),
        "values": values or {"name": "", "role": "editor"},
        "error": error,
        "notice": notice,
    }
    return _page(request, "editor/accounts.html", signed, context, status)


def _account(
    request: Request,
    signed: SignedIn,
    account: Account,
    *,
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> Response:
    context = {"account": account, "error": error, "notice": notice}
    return _page(request, "editor/account.html", signed, context, status)


# API tokens -------------------------------------------------------------------------------------


async def tokens_page(request: Request, done: Done = "") -> Response:
    signed = need(request, "tokens")
    return _tokens(request, signed, notice=_NOTICES.get(done, ""))


async def create_token(request: Request) -> Response:
    signed, fields = await posted(request, "tokens")
    values = {"name": fields.get("name", "").strip(), "days": fields.get("days", "").strip()}
    try:
        secret, token = tokens.create(library(request).primary, values["name"], _days(values))
    except (ValueError, StoreError) as exc:
        return _tokens(request, signed, values=values, error=_sentence(exc), status=422)
    _log(signed, f"made token {token.id} ({token.name!r}), expires {token.expires}")
    return _tokens(request, signed, secret=secret, made=token.name)


async def revoke_token(request: Request, token_id: TokenId) -> Response:
    signed, _ = await posted(request, "tokens")
    token = tokens.revoke(library(request).primary, str(token_id))  # NotFound: a 404 page
    _log(signed, f"revoked token {token.id} ({token.name!r})")
    return RedirectResponse(f"{TOKENS}?done=revoked", 303)


def _days(values: dict[str, str]) -> int:
    days = values["days"]
    if not days.isascii() or not days.isdigit() or not 1 <= int(days[:6]) <= tokens.MAX_DAYS:
        raise ValueError(
            f"write how many days the token lasts: a number from 1 to {tokens.MAX_DAYS}"
        )
    return int(days)


def _tokens(
    request: Request,
    signed: SignedIn,
    *,
    values: dict[str, str] | None = None,
    secret: str = "",
    made: str = "",
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> Response:
    listed = library(request).primary.tokens()[::-1]  # newest first
    context = {
        "tokens": [(token, tokens.state(token)) for token in listed],
        "values": values or {"name": "", "days": str(DEFAULT_DAYS)},
        "max_days": tokens.MAX_DAYS,
        "secret": secret,
        "made": made,
        "error": error,
        "notice": notice,
    }
    return _page(request, "editor/tokens.html", signed, context, status)


# Pieces -----------------------------------------------------------------------------------------


def _page(
    request: Request, template: str, signed: SignedIn, context: dict[str, Any], status: int = 200
) -> Response:
    names = {"signed": signed, "csrf_field": CSRF_FIELD, "roles": ROLES}
    return no_store(render(request, template, context | names, status))


def _sentence(exc: Exception) -> str:
    """A library's message ("a password needs at least 10 characters") as a sentence."""
    text = str(exc).strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _log(signed: SignedIn, what: str) -> None:
    log.info("admin %r (account %d) %s", signed.name, signed.account.id, what)


# Routes -----------------------------------------------------------------------------------------

GET_ROUTES: list[tuple[str, Any, str]] = [
    (ACCOUNTS, accounts_page, "editor_accounts"),
    (ACCOUNTS + "/{account_id}", account_page, "editor_account"),
    (TOKENS, tokens_page, "editor_tokens"),
]
POST_ROUTES: list[tuple[str, Any, str]] = [
    (ACCOUNTS, create_account, "editor_create_account"),
    (ACCOUNTS + "/{account_id}/role", set_role, "editor_account_role"),
    (ACCOUNTS + "/{account_id}/disable", disable, "editor_account_disable"),
    (ACCOUNTS + "/{account_id}/enable", enable, "editor_account_enable"),
    (ACCOUNTS + "/{account_id}/password", set_password, "editor_account_password"),
    (TOKENS, create_token, "editor_create_token"),
    (TOKENS + "/{token_id}/revoke", revoke_token, "editor_revoke_token"),
]
