"""The accounts and sessions tables (migration 12), as both SQL backends keep them.

`AccountRows` is a part of `SQLStore` (healthqa/store/sql.py), which gives it a write
transaction (`_write`) and reads (`_one`, `_rows`). What a password or a session id is, and how
they are checked, is healthqa/accounts.py's business: here they are rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import astuple, replace
from typing import TYPE_CHECKING, Any

from healthqa.store.base import (
    ROLES,
    Account,
    AlreadyExists,
    LastAdmin,
    NotFound,
    Session,
    StoreError,
)

if TYPE_CHECKING:
    from healthqa.store.sql import Connection

_ACCOUNT_COLUMNS = "id, name, role, password_hash, created, disabled"
_SESSION_COLUMNS = "id_hash, account_id, created, expires, csrf_secret"
_MAX_ID = 2**63 - 1


class AccountRows:
    """Accounts and sessions on a SQL store; see the module docstring."""

    if TYPE_CHECKING:

        def _write(self) -> AbstractContextManager[Connection]: ...

        def _one(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

        def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

    def add_account(self, name: str, role: str, password_hash: str, created: str) -> Account:
        _check_role(role)
        with self._write() as db:
            if _account_row(db, name) is not None:
                raise AlreadyExists(f"there is already an account named {name!r}")
            values = {"name": name, "role": role, "password_hash": password_hash}
            account_id = insert_row(db, "accounts", values | {"created": created})
        return Account(account_id, name, role, password_hash, created)

    def account(self, key: int | str) -> Account:
        column, value = _lookup(key)
        row = self._one(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE {column}", (value,))
        if row is None:
            raise NotFound(f"no account with id or name {key!r}")
        return Account(*row)

    def accounts(self) -> list[Account]:
        return [Account(*row) for row in self._rows(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts")]

    def set_account(
        self,
        key: int | str,
        role: str | None = None,
        disabled: str | None = None,
        *,
        enabled: bool = False,
        password_hash: str | None = None,
    ) -> Account:
        if role is not None:
            _check_role(role)
        with self._write() as db:
            found = _find(db, key)
            account = replace(
                found,
                role=role or found.role,
                disabled=None if enabled else found.disabled or disabled,
                password_hash=password_hash or found.password_hash,
            )
            if _working_admin(found) and not _working_admin(account) and _admins(db) == 1:
                raise LastAdmin()
            db.execute(
                "UPDATE accounts SET role = ?, disabled = ?, password_hash = ? WHERE id = ?",
                (account.role, account.disabled, account.password_hash, account.id),
            )
            if disabled is not None or password_hash is not None:
                db.execute("DELETE FROM sessions WHERE account_id = ?", (account.id,))
        return account

    def add_session(self, session: Session) -> None:
        with self._write() as db:
            marks = ", ".join("?" * 5)
            db.execute(
                f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES ({marks})", astuple(session)
            )

    def session(self, id_hash: str) -> tuple[Session, Account] | None:
        columns = ", ".join(f"s.{name.strip()}" for name in _SESSION_COLUMNS.split(","))
        account = ", ".join(f"a.{name.strip()}" for name in _ACCOUNT_COLUMNS.split(","))
        row = self._one(
            f"SELECT {columns}, {account} FROM sessions s JOIN accounts a ON a.id = s.account_id "
            "WHERE s.id_hash = ?",
            (id_hash,),
        )
        if row is None:
            return None
        values = tuple(row)
        return Session(*values[:5]), Account(*values[5:])

    def end_session(self, id_hash: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))

    def end_sessions(self, before: str) -> int:
        with self._write() as db:
            return int(db.execute("DELETE FROM sessions WHERE expires < ?", (before,)).rowcount)


def insert_row(db: Connection, table: str, values: dict[str, Any]) -> int:
    """Insert one row of `values` (column names from the code, never from a user) into `table`,
    returning its new id."""
    marks = ", ".join("?" * len(values))
    sql = f"INSERT INTO {table} ({', '.join(values)}) VALUES ({marks}) RETURNING id"
    return int(db.execute(sql, tuple(values.values())).fetchone()[0])


def _lookup(key: int | str) -> tuple[str, int | str]:
    """The WHERE condition for an id (ASCII digits) or a name in any letter case, and its value.

    Account names are never all digits (healthqa/accounts.py), so a number names an id."""
    if isinstance(key, int) or (key.isascii() and key.isdigit()):
        number = int(key)
        return ("id = ?", number) if number <= _MAX_ID else ("1 = 0 AND id = ?", 0)
    return "LOWER(name) = LOWER(?)", key


def _find(db: Connection, key: int | str) -> Account:
    column, value = _lookup(key)
    row = db.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE {column}", (value,)).fetchone()
    if row is None:
        raise NotFound(f"no account with id or name {key!r}")
    return Account(*row)


def _working_admin(account: Account) -> bool:
    return account.role == "admin" and account.disabled is None


def _admins(db: Connection) -> int:
    """How many admins can sign in."""
    sql = "SELECT COUNT(*) FROM accounts WHERE role = 'admin' AND disabled IS NULL"
    return int(db.execute(sql).fetchone()[0])


def _account_row(db: Connection, name: str) -> Any:
    return db.execute("SELECT id FROM accounts WHERE LOWER(name) = LOWER(?)", (name,)).fetchone()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise StoreError(f"a role is one of {', '.join(ROLES)}, not {role!r}")
