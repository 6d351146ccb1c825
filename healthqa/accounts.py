"""Editors' accounts: a name, a role, a password hashed with argon2id; and signed-in sessions.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended
setting: 64 MiB of memory, 3 passes, 4 lanes), a memory-hard hash: people pick guessable
passwords, so a stolen database must make each guess cost memory and time. (API tokens are 256
random bits and need no slow hash: healthqa/tokens.py.)

A sign-in that fails says one thing whatever went wrong (no such name, wrong password, account
disabled), and costs the same time either way: an unknown name is checked against a dummy hash.

A session is a random id (256 bits) in the browser's cookie; the store keeps its SHA-256 with the
account, its times and a second random value, the CSRF secret, that every form of that session
carries back (`csrf_ok`). The sessions live in the database, so every worker and node accepts
them, and an admin who disables an account ends its sessions at once.

Roles: an editor edits, retires and restores articles; a reviewer marks articles reviewed and
sets the next review date; an admin does both and manages accounts and tokens (`may`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

import argon2

from healthqa.store import ROLES, Account, NotFound, Session, Store

MAX_NAME_CHARS = 100
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1000  # argon2 takes any length; a limit stops a costly megabyte password
SESSION_HOURS = 12
SIGN_IN_FAILED = (
    "That name and password do not match an account that can sign in. Check both and try again."
)
# What each role may do. "edit": an article's content and its related articles; "retire":
# retire and restore; "review": mark reviewed and set the next review date.
PERMISSIONS: dict[str, frozenset[str]] = {
    "edit": frozenset({"editor", "admin"}),
    "retire": frozenset({"editor", "admin"}),
    "review": frozenset({"reviewer", "admin"}),
    "accounts": frozenset({"admin"}),
    "tokens": frozenset({"admin"}),
}
_HASHER = argon2.PasswordHasher()  # argon2id
_DUMMY = _HASHER.hash("a password nobody has: it only makes a miss cost a check's time")
_MAX_SESSION_CHARS = 100  # a real session id has 43


class SignInFailed(Exception):
    """A name and password that do not let anyone in; the message never says which was wrong."""

    def __init__(self) -> None:
        super().__init__(SIGN_IN_FAILED)


def may(role: str, action: str) -> bool:
    """Whether an account with `role` may do `action` (a key of `PERMISSIONS`)."""
    return role in PERMISSIONS[action]


def check_name(name: str, what: str = "a name", numbers: str = "account ids") -> None:
    """`ValueError` in plain words unless `name` can name an account (or, as `what` says,
    something else a person holds: an API token, whose ids are `numbers`)."""
    if not name.strip() or name != name.strip():
        raise ValueError(f"{what} must not be blank or start or end with spaces")
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(f"{what} has at most {MAX_NAME_CHARS} characters")
    if name.isdigit():
        raise ValueError(f"{what} must not be all digits (numbers name {numbers})")
    if not name.isprintable():
        raise ValueError(f"{what} must be printable text")


def check_password(password: str) -> None:
    """`ValueError` in plain words unless `password` is long enough and not too long."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise ValueError(f"a password has at most {MAX_PASSWORD_CHARS} characters")


def create(
    store: Store, name: str, role: str, password: str, now: datetime | None = None
) -> Account:
    """A new account; `ValueError` for a name, role or password that cannot be used,
    `AlreadyExists` for a name taken."""
    check_name(name)
    if role not in ROLES:
        raise ValueError(f"a role is one of {', '.join(ROLES)}, not {role!r}")
    check_password(password)
    return store.add_account(name, role, _HASHER.hash(password), _iso(now or _now()))


def disable(store: Store, key: int | str, now: datetime | None = None) -> Account:
    """Turn an account off now: it cannot sign in, and its sessions end at once.
    `LastAdmin` for the last admin who can sign in."""
    return store.set_account(key, disabled=_iso(now or _now()))


def enable(store: Store, key: int | str) -> Account:
    """Turn a disabled account back on: it can sign in again with its password."""
    return store.set_account(key, enabled=True)


def set_role(store: Store, key: int | str, role: str) -> Account:
    """Give an account another role (`ValueError` for no such role); `LastAdmin` when it would
    take the role from the last admin who can sign in."""
    if role not in ROLES:
        raise ValueError(f"a role is one of {', '.join(ROLES)}, not {role!r}")
    return store.set_account(key, role=role)


def set_password(store: Store, key: int | str, password: str) -> Account:
    """Give an account a new password (`ValueError` unless it is usable); whoever is signed in
    with the account is signed out."""
    check_password(password)
    return store.set_account(key, password_hash=_HASHER.hash(password))


def sign_in(
    store: Store,
    name: str,
    password: str,
    hours: float = SESSION_HOURS,
    now: datetime | None = None,
) -> tuple[str, Session, Account]:
    """A new session for the account `name` if `password` is its own and it is not disabled:
    (the session id for the cookie, the session as stored, the account). Else `SignInFailed`."""
    account = _account(store, name)
    if account is None or len(password) > MAX_PASSWORD_CHARS:
        _verify(_DUMMY, password[:MAX_PASSWORD_CHARS])
        raise SignInFailed()
    if not _verify(account.password_hash, password) or account.disabled:
        raise SignInFailed()
    when = now or _now()
    store.end_sessions(_iso(when))  # the expired ones, whoever's
    session_id = secrets.token_urlsafe(32)
    session = Session(
        id_hash=hash_session(session_id),
        account_id=account.id,
        created=_iso(when),
        expires=_iso(when + timedelta(hours=hours)),
        csrf_secret=secrets.token_urlsafe(32),
    )
    store.add_session(session)
    return session_id, session, account


def current(
    store: Store, session_id: str, now: datetime | None = None
) -> tuple[Session, Account] | None:
    """The session `session_id` names and its account, while the session lasts and the account
    works; else None."""
    if not session_id or len(session_id) > _MAX_SESSION_CHARS:
        return None
    digest = hash_session(session_id)
    found = store.session(digest)
    if found is None or not hmac.compare_digest(found[0].id_hash, digest):
        return None
    session, account = found
    if session.expires <= _iso(now or _now()) or account.disabled:
        return None
    return session, account


def sign_out(store: Store, session_id: str) -> None:
    """End the session `session_id` names (nothing happens for an unknown one)."""
    if session_id and len(session_id) <= _MAX_SESSION_CHARS:
        store.end_session(hash_session(session_id))


def csrf_ok(session: Session, token: str | None) -> bool:
    """Whether a form's CSRF token is this session's, compared in constant time."""
    return bool(token) and hmac.compare_digest(session.csrf_secret.encode(), str(token).encode())


def hash_session(session_id: str) -> str:
    """The hex SHA-256 of a session id: what the store keeps and finds sessions by."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _account(store: Store, name: str) -> Account | None:
    if not name.strip() or len(name) > MAX_NAME_CHARS or name.isdigit():
        return None
    try:
        return store.account(name)
    except NotFound:
        return None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(_HASHER.verify(password_hash, password))
    except argon2.exceptions.VerificationError:
        return False
    except argon2.exceptions.InvalidHashError:
        return False


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
