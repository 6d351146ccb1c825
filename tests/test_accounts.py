"""Editors' accounts: argon2id passwords, sign-in that says nothing of which part was wrong,
sessions that expire and end, CSRF secrets and roles."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from healthqa import accounts
from healthqa.cli import main
from healthqa.store import AlreadyExists, Store

PASSWORD = "correct horse battery"
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_a_password_is_kept_only_as_an_argon2id_hash(store: Store) -> None:
    made = accounts.create(store, "Alice", "admin", PASSWORD)
    assert made.password_hash.startswith("$argon2id$")
    assert PASSWORD not in made.password_hash
    assert store.account("alice").password_hash == made.password_hash


@pytest.mark.parametrize(
    ("name", "role", "password", "said"),
    [
        ("", "editor", PASSWORD, "blank"),
        (" Al", "editor", PASSWORD, "spaces"),
        ("123", "editor", PASSWORD, "digits"),
        ("x" * 101, "editor", PASSWORD, "at most"),
        ("Al\n", "editor", PASSWORD, "spaces"),
        ("Al", "owner", PASSWORD, "role"),
        ("Al", "editor", "short", "at least 10"),
        ("Al", "editor", "x" * 1001, "at most 1000"),
    ],
)
def test_unusable_names_roles_and_passwords_are_refused_in_words(
    store: Store, name: str, role: str, password: str, said: str
) -> None:
    with pytest.raises(ValueError, match=said):
        accounts.create(store, name, role, password)
    assert store.accounts() == []


def test_a_name_is_taken_whatever_its_case(store: Store) -> None:
    accounts.create(store, "Alice", "editor", PASSWORD)
    with pytest.raises(AlreadyExists):
        accounts.create(store, "alice", "admin", PASSWORD)


def test_sign_in_makes_a_session_found_by_its_id_until_it_expires(store: Store) -> None:
    accounts.create(store, "Alice", "editor", PASSWORD)
    session_id, session, account = accounts.sign_in(store, "alice", PASSWORD, 2, NOON)
    assert account.name == "Alice" and len(session_id) >= 43
    assert session.id_hash == accounts.hash_session(session_id) != session_id
    assert session.expires == "2026-12-01T14:00:00Z"
    assert accounts.current(store, session_id, NOON) == (session, account)
    assert accounts.current(store, session_id, NOON + timedelta(hours=2)) is None
    assert accounts.current(store, "not-a-session", NOON) is None
    assert accounts.current(store, "x" * 5000, NOON) is None


def test_every_failed_sign_in_says_the_same_thing(store: Store) -> None:
    accounts.create(store, "Alice", "editor", PASSWORD)
    accounts.create(store, "Bob", "editor", PASSWORD)
    accounts.disable(store, "bob")
    said = set()
    for name, password in [
        ("alice", "wrong password"),
        ("nobody", PASSWORD),
        ("bob", PASSWORD),
        ("", ""),
        ("alice", "x" * 5000),
    ]:
        with pytest.raises(accounts.SignInFailed) as failed:
            accounts.sign_in(store, name, password)
        said.add(str(failed.value))
    assert said == {accounts.SIGN_IN_FAILED}
    assert "name" in accounts.SIGN_IN_FAILED and "password" in accounts.SIGN_IN_FAILED


def test_signing_out_or_disabling_ends_sessions_at_once(store: Store) -> None:
    accounts.create(store, "Alice", "editor", PASSWORD)
    first, _, _ = accounts.sign_in(store, "Alice", PASSWORD)
    second, _, _ = accounts.sign_in(store, "Alice", PASSWORD)
    accounts.sign_out(store, first)
    assert accounts.current(store, first) is None
    assert accounts.current(store, second) is not None
    accounts.disable(store, "alice")
    assert accounts.current(store, second) is None
    with pytest.raises(accounts.SignInFailed):
        accounts.sign_in(store, "Alice", PASSWORD)


def test_expired_sessions_are_swept_at_each_sign_in(store: Store) -> None:
    accounts.create(store, "Alice", "editor", PASSWORD)
    _, session, _ = accounts.sign_in(store, "Alice", PASSWORD, 1, NOON)
    accounts.sign_in(store, "Alice", PASSWORD, 1, NOON + timedelta(hours=3))
    assert store.session(session.id_hash) is None


def test_the_csrf_token_is_the_sessions_own(store: Store) -> None:
    accounts.create(store, "Alice", "editor", PASSWORD)
    _, mine, _ = accounts.sign_in(store, "Alice", PASSWORD)
    _, theirs, _ = accounts.sign_in(store, "Alice", PASSWORD)
    assert accounts.csrf_ok(mine, mine.csrf_secret)
    assert not accounts.csrf_ok(mine, theirs.csrf_secret)
    assert not accounts.csrf_ok(mine, "")
    assert not accounts.csrf_ok(mine, None)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("editor", {"edit", "retire"}),
        ("reviewer", {"review"}),
        ("admin", {"edit", "retire", "review", "accounts", "tokens"}),
    ],
)
def test_roles(role: str, allowed: set[str]) -> None:
    assert {action for action in accounts.PERMISSIONS if accounts.may(role, action)} == allowed


def test_the_users_commands(tmp_path: Path) -> None:
    db = str(tmp_path / "site.db")
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db, "init"]).exit_code == 0
    made = runner.invoke(
        main,
        ["--db", db, "users", "create", "Alice", "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert made.exit_code == 0, made.output
    assert "Account 1 for 'Alice' (admin) is ready." in made.stdout
    prompted = runner.invoke(
        main, ["--db", db, "users", "create", "Bob"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert prompted.exit_code == 0 and "(editor)" in prompted.stdout
    assert PASSWORD not in prompted.output  # the prompt does not echo it
    short = runner.invoke(
        main, ["--db", db, "users", "create", "Carol", "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    taken = runner.invoke(
        main, ["--db", db, "users", "create", "alice", "--password-stdin"], input=PASSWORD
    )
    assert taken.exit_code == 1 and "already an account named 'alice'" in taken.output
    listed = runner.invoke(main, ["--db", db, "users", "list", "--json"]).output.splitlines()
    assert [json.loads(line)["name"] for line in listed] == ["Alice", "Bob"]
    assert "argon2" not in "".join(listed)
    off = runner.invoke(main, ["--db", db, "users", "disable", "bob"])
    assert off.exit_code == 0 and "Disabled account 2 ('Bob')" in off.output
    text = runner.invoke(main, ["--db", db, "users", "list"]).output
    assert "admin" in text and "disabled" in text
    missing = runner.invoke(main, ["--db", db, "users", "disable", "nobody"])
    assert missing.exit_code == 1 and "no account" in missing.output
    assert "Traceback" not in missing.output
