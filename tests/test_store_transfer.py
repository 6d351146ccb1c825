"""`healthqa copy`: a whole site from SQLite to PostgreSQL and back, nothing lost."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_store import article

from healthqa import accounts, tokens
from healthqa.cli import demo_path, main
from healthqa.imports import import_paths
from healthqa.store import Store, StoreError, open_store
from healthqa.store.migrations import TABLES
from healthqa.store.transfer import copy_site, table_digest


def fill(store: Store) -> None:
    """A small site with a row in every table the store keeps."""
    import_paths(store, [str(demo_path())], workers=0)
    first, second, third = (a.id for a in store.list_articles(limit=3))
    store.set_status(third, "retired", "editor", "out of date")
    tidied = {"source_title": "What is (are) hiccups ?"}  # kept as a slug alias
    made = store.create_article(article("t1", "What are hiccups?", **tidied), "editor", "new")
    edited = article("t1", "What are hiccups?", body="Edited by hand.", **tidied)
    store.update_article(made.id, edited, 1, "editor", "fix")
    tokens.create(store, "alice", 30)
    accounts.create(store, "Alice", "admin", "a long enough password")
    accounts.sign_in(store, "alice", "a long enough password")  # sessions are not copied
    store.add_feedback(first, True, "Clear, thank you.", "2026-12-07T10:00:00Z")
    store.add_feedback(second, False, "", "2026-12-07T10:01:00Z")
    store.set_related_override(first, second, "pin", "editor", "closely related")
    store.replace_near_duplicates([(first, second, 0.8125)])
    store.save_vectors("fake:title", [(first, "h1", b"\x00\x01\x02\x03" * 4)], [], 7)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "site.db"
    store = open_store(str(path))
    fill(store)
    store.close()
    yield path


def digests(store: Store) -> dict[str, str]:
    return {table: table_digest(store, table) for table, _ in TABLES}  # type: ignore[arg-type]


def test_a_site_goes_to_postgresql_and_back_unchanged(
    site: Path, postgres_url: str, tmp_path: Path
) -> None:
    source, there = open_store(str(site)), open_store(postgres_url)
    seen: list[tuple[str, int, int]] = []
    copied = copy_site(source, there, lambda *step: seen.append(step))
    assert {c.table for c in copied} == {table for table, _ in TABLES}
    assert all(c.rows > 0 for c in copied), [c.table for c in copied if not c.rows]
    assert ("articles", 47, 47) in seen  # progress: each table's rows as they go
    back = open_store(str(tmp_path / "back.db"))
    copy_site(there, back)
    assert digests(back) == digests(source) == digests(there)
    assert back.stats() | {"database": ""} == source.stats() | {"database": ""}
    assert len({source.identity(), there.identity(), back.identity()}) == 3
    for db in (source, there, back):
        db.close()


def test_a_copy_takes_new_writes_after_the_copied_ids(site: Path, postgres_url: str) -> None:
    """PostgreSQL's id generators are brought past the copied ids: the next article, token,
    feedback and change-log entry get new numbers, not a copied one's."""
    source, there = open_store(str(site)), open_store(postgres_url)
    copy_site(source, there)
    last = there.stats()["last_change"]
    made = there.create_article(article("n1", "Why do we yawn?"), "editor", "new")
    assert made.id == max(a.id for a in source.list_articles(limit=100, where=None)) + 1
    assert there.stats()["last_change"] == last + 1
    tokens.create(there, "bob", 30)
    there.add_feedback(made.id, True, "", "2026-12-07T11:00:00Z")
    assert len(there.tokens()) == 2 and len(there.feedback(made.id)) == 1
    bob = accounts.create(there, "Bob", "editor", "another long password")
    assert bob.id == there.account("alice").id + 1
    accounts.sign_in(there, "Alice", "a long enough password")  # the copied hash works
    source.close()
    there.close()


def test_the_destination_must_be_empty_and_another_database(site: Path, tmp_path: Path) -> None:
    source = open_store(str(site))
    with pytest.raises(StoreError, match="same database"):
        copy_site(source, source)
    full = open_store(str(tmp_path / "full.db"))
    full.save_batch([article("x", "What is X?")], "t", "r")
    with pytest.raises(StoreError, match=r"is not empty \(1 sources, 1 topics, 1 articles"):
        copy_site(source, full)
    assert full.count_articles() == 1  # untouched
    source.close()
    full.close()


def test_every_table_of_the_schema_is_copied(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "site.db"))
    store.close()
    with sqlite3.connect(tmp_path / "site.db") as db:
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    kept_apart = {"schema_migrations", "database_identity", "sqlite_sequence", "sessions"}
    assert names - kept_apart == {table for table, _ in TABLES}


def test_the_command_copies_both_ways(site: Path, postgres_url: str, tmp_path: Path) -> None:
    there = CliRunner().invoke(main, ["copy", str(site), postgres_url])
    assert there.exit_code == 0, there.output
    assert "Copied 47 articles" in there.stdout and "articles: 47 rows" in there.stderr
    back = CliRunner().invoke(main, ["copy", postgres_url, str(tmp_path / "back.db")])
    assert back.exit_code == 0, back.output
    again = CliRunner().invoke(main, ["copy", postgres_url, str(tmp_path / "back.db")])
    assert again.exit_code == 1 and "is not empty" in again.output
    assert "Traceback" not in again.output
    missing = CliRunner().invoke(main, ["copy", str(tmp_path / "none.db"), str(tmp_path / "x.db")])
    assert missing.exit_code == 1 and "There is no database at" in missing.output
    assert not (tmp_path / "x.db").exists()
