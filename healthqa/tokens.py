"""Editors' API tokens: made and revoked with the CLI, shown once, stored only as a hash.

A token is `hqa_` followed by `secrets.token_urlsafe(32)`: 256 random bits, recognisable in a
config file or a leaked log by its prefix. The store keeps its SHA-256, never the token. A fast
hash is right here: passwords need a slow hash (bcrypt, argon2) because people choose guessable
ones, but nobody can guess or brute-force 256 random bits, and a slow hash would only add latency
to every write. A token is found by its hash, and the hashes are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from healthqa.accounts import check_name
from healthqa.store import Store, Token

PREFIX = "hqa_"
MAX_DAYS = 3650
_MAX_TOKEN_CHARS = 200  # far above a real token's 47; anything longer is not one of ours


class TokenError(Exception):
    """A token that does not let its bearer write: unknown, expired or revoked."""


def hash_token(secret: str) -> str:
    """The hex SHA-256 of a token: what the store keeps and looks tokens up by."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(store: Store, name: str, days: int, now: datetime | None = None) -> tuple[str, Token]:
    """A new token named `name`, valid for `days` days: (the token itself, its stored record).

    The token is returned once and never stored; whoever asked must keep it.
    """
    check_name(name, "a token name", "token ids")
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"a token lasts 1 to {MAX_DAYS} days, not {days}")
    now = now or _now()
    secret = PREFIX + secrets.token_urlsafe(32)
    token = store.add_token(name, hash_token(secret), _iso(now), _iso(now + timedelta(days=days)))
    return secret, token


def verify(store: Store, secret: str, now: datetime | None = None) -> Token:
    """The stored token `secret` is, if it may write now; else `TokenError` saying why.

    Records the time of use.
    """
    if not secret.startswith(PREFIX) or len(secret) > _MAX_TOKEN_CHARS:
        raise TokenError(f"not a healthqa token (they start with {PREFIX!r})")
    digest = hash_token(secret)
    token = store.token_by_hash(digest)
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        raise TokenError("unknown token")
    when = _iso(now or _now())
    problem = _problem(token, when)
    if problem:
        raise TokenError(problem)
    store.touch_token(token.id, when)
    return token


def revoke(store: Store, key: str, now: datetime | None = None) -> Token:
    """Revoke the token with this id, or the token in use with this name."""
    return store.revoke_token(key, _iso(now or _now()))


def state(token: Token, now: datetime | None = None) -> str:
    """ "active", "expired" or "revoked"."""
    if token.revoked:
        return "revoked"
    return "expired" if _problem(token, _iso(now or _now())) else "active"


def _problem(token: Token, when: str) -> str | None:
    if token.revoked:
        return f"the token was revoked at {token.revoked}"
    if token.expires <= when:  # both ISO times in UTC with a Z: they sort as strings
        return f"the token expired at {token.expires}"
    return None


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
