"""Editors' accounts: argon2id passwords, sign-in that says nothing of which part was wrong,
sessions that expire and end, CSRF secrets and roles."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from healthqa import accounts
from healthqa.cli import main
from healthqa.store import AlreadyExists, LastAdmin, Store, open_store

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


def test_enable_a_role_and_a_new_password(store: Store) -> None:
    accounts.create(store, "Alice", "admin", PASSWORD)
    accounts.create(store, "Bob", "editor", PASSWORD)
    session_id, _, _ = accounts.sign_in(store, "Bob", PASSWORD)
    accounts.disable(store, "bob")
    assert accounts.enable(store, "bob").disabled is None
    accounts.sign_in(store, "Bob", PASSWORD)
    assert accounts.set_role(store, "bob", "reviewer").role == "reviewer"
    with pytest.raises(ValueError, match="role"):
        accounts.set_role(store, "bob", "owner")
    with pytest.raises(ValueError, match="at least 10"):
        accounts.set_password(store, "bob", "short")
    session_id, _, _ = accounts.sign_in(store, "Bob", PASSWORD)
    accounts.set_password(store, "bob", "a brand new password")
    assert accounts.current(store, session_id) is None  # signed out
    with pytest.raises(accounts.SignInFailed):
        accounts.sign_in(store, "Bob", PASSWORD)
    accounts.sign_in(store, "Bob", "a brand new password")


def test_the_last_admin_who_can_sign_in_stays_one(store: Store) -> None:
    accounts.create(store, "Alice", "admin", PASSWORD)
    accounts.create(store, "Bob", "admin", PASSWORD)
    accounts.disable(store, "bob")  # Alice is still an admin
    for change in (
        lambda: accounts.disable(store, "alice"),
        lambda: accounts.set_role(store, "alice", "editor"),
    ):
        with pytest.raises(LastAdmin, match="no admin who can sign in"):
            change()
        assert store.account("alice").role == "admin" and store.account("alice").disabled is None
    accounts.set_role(store, "bob", "editor")  # a disabled admin may be demoted
    accounts.set_password(store, "alice", "a brand new password")  # the last admin, still one
    accounts.enable(store, "bob")
    accounts.set_role(store, "bob", "admin")
    assert accounts.set_role(store, "alice", "reviewer").role == "reviewer"


def test_the_users_commands_to_enable_change_a_role_and_set_a_password(tmp_path: Path) -> None:
    db = str(tmp_path / "site.db")
    runner = CliRunner()

    def run(*args: str, given: str | None = None) -> Result:
        return runner.invoke(main, ["--db", db, "users", *args], input=given)

    assert runner.invoke(main, ["--db", db, "init"]).exit_code == 0
    assert (
        run("create", "Alice", "--role", "admin", "--password-stdin", given=PASSWORD).exit_code == 0
    )
    assert run("create", "Bob", "--password-stdin", given=PASSWORD).exit_code == 0
    assert run("disable", "bob").exit_code == 0
    on = run("enable", "bob")
    assert on.exit_code == 0 and "Enabled account 2 ('Bob')" in on.output
    role = run("role", "bob", "reviewer")
    assert role.exit_code == 0 and "is now reviewer" in role.output
    last = run("role", "alice", "editor")
    assert last.exit_code == 1 and "no admin who can sign in" in last.output
    assert run("role", "bob", "owner").exit_code == 2  # click names the choices
    new = run("password", "bob", "--password-stdin", given="a brand new password\n")
    assert new.exit_code == 0 and "New password set for account 2 ('Bob')" in new.output
    prompted = run("password", "bob", given="another new password\nanother new password\n")
    assert prompted.exit_code == 0 and "another new password" not in prompted.output
    accounts_store = open_store(db)
    try:
        accounts.sign_in(accounts_store, "Bob", "another new password")
    finally:
        accounts_store.close()
    short = run("password", "bob", "--password-stdin", given="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    missing = run("password", "nobody", "--password-stdin", given=PASSWORD)
    assert missing.exit_code == 1 and "no account" in missing.output
    assert "Traceback" not in missing.output + short.output + last.output
