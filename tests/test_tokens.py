import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from healthqa import tokens
from healthqa.cli import main
from healthqa.store import AlreadyExists, NotFound, Store, open_store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_token_is_prefixed_random_and_stored_only_as_its_hash(tmp_path: Path) -> None:
    db = open_store(str(tmp_path / "site.db"))
    secret, token = tokens.create(db, "alice", 30, now=NOW)
    other, _ = tokens.create(db, "bob", 30, now=NOW)
    db.close()
    assert secret.startswith("hqa_") and len(secret) >= 4 + 43 and secret != other
    assert token.token_hash == tokens.hash_token(secret) != secret
    assert (token.created, token.expires) == ("2026-03-01T12:00:00Z", "2026-03-31T12:00:00Z")
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert secret.encode() not in stored and secret[4:].encode() not in stored
    assert token.token_hash.encode() in stored


def test_verify_accepts_a_live_token_and_records_its_use(store: Store) -> None:
    secret, _ = tokens.create(store, "alice", 30, now=NOW)
    later = NOW + timedelta(days=2)
    assert tokens.verify(store, secret, now=later).name == "alice"
    (listed,) = store.tokens()
    assert listed.last_used == "2026-03-03T12:00:00Z"
    assert tokens.state(listed, now=later) == "active"


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("", "not a healthqa token"),
        ("Bearer hqa_x", "not a healthqa token"),
        ("hqa_" + "x" * 43, "unknown token"),
        ("hqa_" + "x" * 500, "not a healthqa token"),
    ],
)
def test_verify_refuses_what_is_not_a_known_token(store: Store, secret: str, message: str) -> None:
    tokens.create(store, "alice", 30, now=NOW)
    with pytest.raises(tokens.TokenError, match=message):
        tokens.verify(store, secret, now=NOW)


def test_an_expired_token_is_refused(store: Store) -> None:
    secret, token = tokens.create(store, "alice", 1, now=NOW)
    assert tokens.verify(store, secret, now=NOW + timedelta(hours=23)).id == token.id
    with pytest.raises(tokens.TokenError, match="expired at 2026-03-02T12:00:00Z"):
        tokens.verify(store, secret, now=NOW + timedelta(days=1))
    assert tokens.state(store.tokens()[0], now=NOW + timedelta(days=2)) == "expired"


def test_a_revoked_token_is_refused_and_its_name_can_be_used_again(store: Store) -> None:
    secret, token = tokens.create(store, "alice", 30, now=NOW)
    revoked = tokens.revoke(store, "alice", now=NOW)
    assert revoked.revoked == "2026-03-01T12:00:00Z"
    with pytest.raises(tokens.TokenError, match="revoked"):
        tokens.verify(store, secret, now=NOW)
    again, _ = tokens.create(store, "alice", 30, now=NOW)
    assert tokens.verify(store, again, now=NOW).name == "alice"
    with pytest.raises(tokens.TokenError, match="revoked"):
        tokens.verify(store, secret, now=NOW)
    assert tokens.revoke(store, str(token.id)).revoked == revoked.revoked  # already: unchanged
    assert [tokens.state(t, NOW) for t in store.tokens()] == ["revoked", "active"]


def test_revoking_an_unknown_token_says_so(store: Store) -> None:
    with pytest.raises(NotFound, match="no token in use with id or name 'carol'"):
        tokens.revoke(store, "carol")
    with pytest.raises(NotFound):
        tokens.revoke(store, "7")


def test_two_tokens_in_use_cannot_share_a_name(store: Store) -> None:
    tokens.create(store, "alice", 30)
    with pytest.raises(AlreadyExists, match="a token named 'alice' exists"):
        tokens.create(store, "alice", 30)


@pytest.mark.parametrize(
    ("name", "days", "message"),
    [
        ("", 30, "blank"),
        (" alice", 30, "spaces"),
        ("x" * 101, 30, "at most 100"),
        ("42", 30, "all digits"),
        ("ali\nce", 30, "printable"),
        ("alice", 0, "1 to 3650 days"),
        ("alice", 3651, "1 to 3650 days"),
    ],
)
def test_bad_names_and_lifetimes_are_refused(
    store: Store, name: str, days: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        tokens.create(store, name, days)
    assert store.tokens() == []


def test_cli_prints_a_token_once_lists_without_it_and_revokes(tmp_path: Path) -> None:
    db = str(tmp_path / "site.db")
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db, "init"]).exit_code == 0
    created = runner.invoke(main, ["--db", db, "tokens", "create", "--name", "alice"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("hqa_") and "cannot be shown again" in created.stderr
    listed = runner.invoke(main, ["--db", db, "tokens", "list", "--json"])
    row = json.loads(listed.stdout)
    assert row["name"] == "alice" and row["state"] == "active"
    assert secret not in listed.output and "hash" not in listed.output
    assert "alice" in runner.invoke(main, ["--db", db, "tokens", "list"]).output
    revoked = runner.invoke(main, ["--db", db, "tokens", "revoke", "alice"])
    assert revoked.exit_code == 0 and "Revoked token 1 ('alice')" in revoked.output
    again = runner.invoke(main, ["--db", db, "tokens", "revoke", "alice"])
    assert again.exit_code == 1 and "no token in use" in again.output
    bad = runner.invoke(main, ["--db", db, "tokens", "create", "--name", "x", "--expires", "0"])
    assert bad.exit_code == 2 and "--expires" in bad.output


def test_an_older_database_gains_the_tokens_table(tmp_path: Path) -> None:
    path = str(tmp_path / "old.db")
    db = open_store(path)
    db._conn.execute("DROP TABLE tokens")
    db._conn.execute("DELETE FROM schema_migrations WHERE number = 3")
    db.close()
    again = open_store(path)
    assert again.tokens() == []
    tokens.create(again, "alice", 30)
    assert [t.name for t in again.tokens()] == ["alice"]
    again.close()
