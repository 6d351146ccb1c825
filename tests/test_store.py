import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from healthqa.articles import CleanArticle, Link, TopicRecord, topic_key
from healthqa.store import (
    AlreadyExists,
    ArticleFilter,
    Conflict,
    LastAdmin,
    NotFound,
    Session,
    Store,
    StoreError,
    StoreUnavailable,
    open_store,
)
from healthqa.store.migrations import MIGRATIONS, merge_topics, statements
from healthqa.store.sql import build_article_query
from healthqa.store.sqlite import SQLiteStore


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """Every test here runs against each backend: SQLite in memory, and PostgreSQL."""
    url = ":memory:" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    db = open_store(url)
    yield db
    db.close()


def article(external_id: str = "a1", title: str = "What causes hiccups?", **changes: object):
    body = str(changes.pop("body", "A stretched stomach can set them off."))
    values: dict[str, object] = {
        "source": "Tiny",
        "external_id": external_id,
        "title": title,
        "body_html": f"<p>{body}</p>",
        "body_text": body,
        "teaser": body[:50],
        "origin": "test",
        "source_url": "https://example.org/x",
        "licence": "CC BY 4.0",
        "language": "en",
        "topic": TopicRecord("Hiccups", ("Singultus",), "Disease"),
        "question_type": "cause",
        "last_reviewed": date(2026, 1, 1),
        "next_review": date(2027, 1, 1),
        "status": "published",
        "links": (),
        "meta": {},
        "content_hash": "",
        "signature": b"\x00" * 8,
    }
    values |= changes
    made = CleanArticle(**values)  # type: ignore[arg-type]
    made.content_hash = hashlib.sha256(repr(values).encode()).hexdigest()
    return made


def test_new_articles_get_ids_slugs_and_a_first_revision(store: Store) -> None:
    result = store.save_batch([article()], "tester", "first import")
    assert (result.imported, result.updated, result.unchanged) == (1, 0, 0)
    found = store.get_article(result.article_ids[0])
    assert found.slug == "what-causes-hiccups"
    assert found.revision == 1
    assert found.topic is not None and found.topic.synonyms == ["Singultus"]
    assert found.last_reviewed == date(2026, 1, 1)
    assert store.get_article("what-causes-hiccups").id == found.id
    (revision,) = store.revisions(found.id)
    assert (revision.number, revision.author, revision.reason) == (1, "tester", "first import")
    assert revision.content["body_html"] == found.body_html


def test_same_content_again_changes_nothing(store: Store) -> None:
    store.save_batch([article()], "t", "r")
    before = store.stats()
    result = store.save_batch([article()], "t", "again")
    assert (result.imported, result.updated, result.unchanged) == (0, 0, 1)
    assert store.stats() == before


def test_changed_content_is_a_new_revision_and_a_change_log_entry(store: Store) -> None:
    first = store.save_batch([article()], "t", "r").article_ids[0]
    changed = article(body="Eating too fast can set them off.")
    result = store.save_batch([changed], "editor", "fix")
    assert (result.imported, result.updated) == (0, 1)
    found = store.get_article(first)
    assert found.revision == 2 and "too fast" in found.body_text
    assert [r.number for r in store.revisions(first)] == [1, 2]
    assert "stretched" in store.revisions(first)[0].content["body_html"]
    assert [c.kind for c in store.changes_since(0)] == ["created", "updated"]
    assert store.changes_since(1)[0].seq == 2


def test_slugs_stay_unique_when_titles_repeat(store: Store) -> None:
    ids = store.save_batch(
        [article(str(i), "What is (are) Hiccups ?") for i in range(3)], "t", "r"
    ).article_ids
    assert [store.get_article(i).slug for i in ids] == [
        "what-is-are-hiccups",
        "what-is-are-hiccups-2",
        "what-is-are-hiccups-3",
    ]


def test_a_preferred_slug_is_kept_when_free(store: Store) -> None:
    wanted = article()
    wanted.slug = "hiccups-causes"
    (article_id,) = store.save_batch([wanted], "t", "r").article_ids
    assert store.get_article(article_id).slug == "hiccups-causes"


def test_retire_and_restore_are_revisions_and_undoable(store: Store) -> None:
    (article_id,) = store.save_batch([article()], "t", "r").article_ids
    retired = store.set_status(article_id, "retired", "editor", "outdated")
    assert retired.status == "retired" and retired.revision == 2
    assert store.count_articles() == 0
    assert store.count_articles(ArticleFilter(status=None)) == 1
    restored = store.set_status(article_id, "published", "editor", "checked again")
    assert (restored.status, restored.revision) == ("published", 3)
    assert [r.content["status"] for r in store.revisions(article_id)] == [
        "published",
        "retired",
        "published",
    ]
    with pytest.raises(StoreError):
        store.set_status(article_id, "deleted", "editor", "no such status")


def test_a_retired_article_stays_retired_when_its_source_changes(store: Store) -> None:
    (article_id,) = store.save_batch([article()], "t", "r").article_ids
    store.set_status(article_id, "retired", "editor", "wrong")
    store.save_batch([article(body="New text from the source.")], "import", "re-import")
    assert store.get_article(article_id).status == "retired"


def test_links_resolve_when_their_target_arrives(store: Store) -> None:
    links = (Link("next", "How do I stop hiccups?"), Link("related", "What is a yawn?", "A deep"))
    (first,) = store.save_batch([article(links=links)], "t", "r").article_ids
    assert store.resolve_links() == 0
    (second,) = store.save_batch([article("a2", "How do I stop hiccups")], "t", "r").article_ids
    assert store.resolve_links() == 1
    found = store.get_article(first).links
    assert [(link.kind, link.target_id) for link in found] == [("next", second), ("related", None)]
    assert found[1].teaser == "A deep"
    stats = store.stats()
    assert (stats["links"], stats["links_resolved"]) == (2, 1)


def test_many_articles_in_one_read_in_the_order_asked(store: Store) -> None:
    links = (Link("related", "What is a yawn?", "A deep"),)
    ids = store.save_batch(
        [article(links=links), article("a2", "Are hiccups serious?")], "t", "r"
    ).article_ids
    store.set_status(ids[1], "retired", "t", "r")
    found = store.get_articles([ids[1], 10**6, ids[0], -1, ids[1]])
    assert [a.id for a in found] == [ids[1], ids[0], ids[1]]  # any status; unknown ids left out
    assert found[1].links == store.get_article(ids[0]).links and found[1].links
    assert found[1] == store.get_article(ids[0])
    assert store.get_articles([]) == []


def test_topics_merge_synonyms_and_count_published_articles(store: Store) -> None:
    other = TopicRecord("Hiccups", ("Hiccoughs", "Singultus"))
    store.save_batch([article(), article("a2", "Are hiccups serious?", topic=other)], "t", "r")
    (topic,) = store.topics()
    assert (topic.name, topic.synonyms, topic.article_count) == (
        "Hiccups",
        ["Singultus", "Hiccoughs"],
        2,
    )


def test_listing_filters_and_pages(store: Store) -> None:
    batch = [article(str(i), f"Question {i}?", source="A" if i % 2 else "B") for i in range(7)]
    store.save_batch(batch, "t", "r")
    assert store.count_articles(ArticleFilter(source="A")) == 3
    page = store.list_articles(ArticleFilter(source="B"), limit=2, offset=1)
    assert [a.title for a in page] == ["Question 2?", "Question 4?"]
    assert store.count_articles(ArticleFilter(topic="hiccups")) == 7
    assert store.count_articles(ArticleFilter(topic="nope")) == 0
    assert len(list(store.iter_articles())) == 7


def test_built_query_uses_parameters_not_text() -> None:
    sql, params = build_article_query(ArticleFilter(topic="x' OR 1=1 --", source="s"))
    assert "x' OR" not in sql
    assert params == ["published", "x' OR 1=1 --", "s"]


def test_unknown_keys_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="no-such-slug"):
        store.get_article("no-such-slug")
    with pytest.raises(NotFound):
        store.revisions(999)


@pytest.mark.parametrize("key", ["²", "①", "٣", 2**63, str(2**63), "9" * 30, -1])
def test_keys_that_are_no_storable_id_are_not_found_not_errors(store: Store, key: object) -> None:
    """str.isdigit is not int(): "²" is a slug; an id over 2**63 - 1 would overflow SQLite."""
    with pytest.raises(NotFound):
        store.get_article(key)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        store.revisions(key)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        store.revoke_token(key, "2026-01-01T00:00:00Z")  # type: ignore[arg-type]


def test_near_duplicates_are_replaced_as_a_list(store: Store) -> None:
    ids = store.save_batch([article(), article("a2", "Hiccups: what causes them?")], "t", "r")
    a, b = ids.article_ids
    store.replace_near_duplicates([(a, b, 0.9)])
    (pair,) = store.near_duplicates()
    assert (pair.a, pair.b, pair.similarity, pair.b_title) == (
        a,
        b,
        0.9,
        "Hiccups: what causes them?",
    )
    store.replace_near_duplicates([])
    assert store.near_duplicates() == []


def test_a_failed_batch_leaves_nothing_behind(store: Store) -> None:
    broken = replace(article("b2", "Second?"), status="not-a-status")
    with pytest.raises(StoreError, match="status"):
        store.save_batch([article(), broken], "t", "r")
    assert store.stats()["articles"] == 0
    assert store.stats()["revisions"] == 0


def test_file_database_uses_wal_and_migrates_once(tmp_path: Path) -> None:
    path = tmp_path / "site.db"
    first = SQLiteStore(str(path))
    first.save_batch([article()], "t", "r")
    first.close()
    again = SQLiteStore(str(path))
    assert again.migrate() == []
    assert again._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert again._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert again.stats()["articles"] == 1
    again.close()


def test_store_urls_pick_the_backend(tmp_path: Path) -> None:
    db = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    assert isinstance(db, SQLiteStore) and (tmp_path / "x.db").exists()
    db.close()
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL"):
        open_store("postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=2")


def test_postgres_messages_hide_the_password(postgres_url: str) -> None:
    from healthqa.store.postgres import PostgresStore

    with pytest.raises(StoreError) as failed:
        open_store("postgresql://nobody:secret@127.0.0.1:1/none")
    assert "secret" not in str(failed.value)
    db = open_store(postgres_url)
    assert isinstance(db, PostgresStore) and db.migrate() == []  # migrated once, on open
    db.close()


def test_postgres_writers_from_two_nodes_take_turns(postgres_url: str) -> None:
    """Two app nodes importing at once: both batches land whole, change numbers in order."""
    nodes = [open_store(postgres_url), open_store(postgres_url)]
    batches = [[article(f"n{n}-{i}", f"Question {n} {i}?") for i in range(40)] for n in (0, 1)]
    threads = [
        threading.Thread(target=node.save_batch, args=(batch, "t", "r"))
        for node, batch in zip(nodes, batches, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    changes = nodes[0].changes_since(0)
    assert len(changes) == 80
    # Each batch's changes are contiguous: one writer at a time, in commit order.
    firsts = [c.article_id for c in changes]
    assert firsts == sorted(firsts)
    for node in nodes:
        node.close()


def test_a_commit_to_the_change_log_wakes_every_listener_of_its_schema(
    postgres_url: str, tmp_path: Path
) -> None:
    """LISTEN/NOTIFY (migration 11): each node's listener hears the newest change number when
    a write commits, and nothing while none does or for another schema's changes."""
    db, other = open_store(postgres_url), open_store(postgres_url)
    listeners = [db.listener(), other.listener()]
    assert all(listener is not None for listener in listeners)
    assert listeners[0].wait(0.05) is None  # type: ignore[union-attr]
    db.save_batch([article("a"), article("b", "What is a yawn?")], "t", "r")
    for listener in listeners:
        assert listener.wait(5) == 2  # type: ignore[union-attr]
        assert listener.wait(0.05) is None  # type: ignore[union-attr]
    db.add_feedback(1, True, "", "2026-12-07")  # no change to the log: no notice
    assert listeners[0].wait(0.1) is None  # type: ignore[union-attr]
    for listener in listeners:
        listener.close()  # type: ignore[union-attr]
    db.close()
    other.close()
    sqlite = open_store(str(tmp_path / "site.db"))
    assert sqlite.listener() is None  # SQLite's processes look at the change log instead
    sqlite.close()


def test_a_read_replica_is_for_postgresql_only(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="needs PostgreSQL on both sides"):
        open_store(str(tmp_path / "site.db"), replica="postgresql://app@db2/healthqa")


def test_a_dropped_postgres_connection_is_replaced(
    postgres_url: str,
) -> None:
    """The server ends a node's connection while it is idle (a restart, a failover): the
    next read or write connects again and goes on. Dropped during a write, the write is
    `StoreUnavailable` (the site answers 503): it is not repeated behind the caller's back."""
    db = open_store(postgres_url)
    db.save_batch([article()], "t", "r")
    terminate(postgres_url, db)
    assert db.get_article(1).title == "What causes hiccups?"  # read again, reconnected
    for write in ("retired", "published"):
        terminate(postgres_url, db)
        db.set_status(1, write, "t", "r")  # begun again, reconnected
    terminate(postgres_url, db)
    failed = pytest.raises(StoreUnavailable, match="lost the connection")
    with failed, db._write() as connection:  # type: ignore[attr-defined]
        terminate(postgres_url, db, connection)  # dropped during the write: not repeated
        connection.execute("SELECT 1")
    db.close()


def terminate(url: str, db: Store, connection: object = None) -> None:
    """End this thread's connection of `db` from the server's side, as a restart would."""
    import psycopg

    own = connection or db._conn  # type: ignore[attr-defined]
    pid = own.execute("SELECT pg_backend_pid()").fetchone()[0]
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_stats_has_the_documented_keys(store: Store) -> None:
    store.save_batch([article()], "t", "r")
    stats = store.stats()
    assert {"articles", "topics", "revisions", "review_overdue", "by_source"} <= set(stats)
    assert stats["by_source"] == {"Tiny": 1}


def test_related_overrides_pin_in_order_and_outlast_reimports(store: Store) -> None:
    batch = [article(), article("a2", "How do I stop hiccups?"), article("a3", "Are hiccups bad?")]
    a, b, c = store.save_batch(batch, "t", "r").article_ids
    store.set_related_override(a, c, "pin", "editor", "best answer")
    store.set_related_override(a, b, "exclude", "editor", "off topic")
    store.save_batch([*batch[:2], article("a3", "Are hiccups bad?", body="New.")], "i", "again")
    found = store.related_overrides(a)
    assert [(o.target_id, o.action, o.author, o.reason) for o in found] == [
        (c, "pin", "editor", "best answer"),
        (b, "exclude", "editor", "off topic"),
    ]
    store.set_related_override(a, b, "pin", "editor", "on reflection")
    assert [(o.target_id, o.action) for o in store.related_overrides(a)] == [
        (c, "pin"),
        (b, "pin"),
    ]
    assert store.related_overrides(b) == []


def test_related_overrides_are_checked_and_cleared(store: Store) -> None:
    a, b = store.save_batch([article(), article("a2", "Hiccups?")], "t", "r").article_ids
    with pytest.raises(StoreError, match="pin"):
        store.set_related_override(a, b, "promote", "editor", "")
    with pytest.raises(StoreError, match="itself"):
        store.set_related_override(a, a, "pin", "editor", "")
    with pytest.raises(NotFound):
        store.set_related_override(a, 999, "pin", "editor", "")
    store.set_related_override(a, b, "exclude", "editor", "duplicate")
    assert store.clear_related_override(a, b) is True
    assert store.clear_related_override(a, b) is False
    assert store.related_overrides(a) == []


def test_a_pin_or_exclusion_is_a_revision_in_the_change_log(store: Store) -> None:
    """Every node and cache follows the change log: a choice about related articles is one
    change there, and one revision of the article recording the whole list."""
    a, b = store.save_batch([article(), article("a2", "Hiccups?")], "t", "r").article_ids
    last = store.last_change()
    store.set_related_override(a, b, "pin", "ed", "asked for")
    (change,) = store.changes_since(last)
    assert (change.article_id, change.kind) == (a, "related")
    latest = store.revisions(a)[-1]
    assert (latest.number, latest.author, latest.reason) == (2, "ed", "asked for")
    assert latest.content["related"] == [["pin", b]]
    assert latest.content["title"] == "What causes hiccups?"
    assert store.get_article(a).revision == 2
    store.set_related_override(a, b, "pin", "ed", "again")  # the same list: nothing written
    assert store.clear_related_override(a, b, "ed", "not needed") is True
    assert store.revisions(a)[-1].content["related"] == []
    assert [c.kind for c in store.changes_since(last)] == ["related"] * 2


def test_related_choices_are_replaced_as_one_revision_checked_like_an_update(store: Store) -> None:
    a, b, c = store.save_batch(
        [article(), article("a2", "Hiccups?"), article("a3", "Are hiccups bad?")], "t", "r"
    ).article_ids
    done = store.replace_related_overrides(a, [(c, "pin"), (b, "exclude")], 1, "ed", "tidy")
    assert done.revision == 2
    assert [(o.target_id, o.action) for o in store.related_overrides(a)] == [
        (c, "pin"),
        (b, "exclude"),
    ]
    same = store.replace_related_overrides(a, [(c, "pin"), (b, "exclude")], 2, "ed", "again")
    assert same.revision == 2  # nothing changed, nothing written
    with pytest.raises(Conflict, match="at revision 2, not 1"):
        store.replace_related_overrides(a, [], 1, "ed", "stale")
    with pytest.raises(NotFound):
        store.replace_related_overrides(a, [(999, "pin")], None, "ed", "x")
    assert len(store.related_overrides(a)) == 2  # a refused change leaves the list as it was


def test_accounts_are_named_in_any_case_and_listed(store: Store) -> None:
    alice = store.add_account("Alice", "admin", "$argon2id$x", "2026-01-01T00:00:00Z")
    assert store.account("alice") == store.account(alice.id) == store.account(str(alice.id))
    with pytest.raises(AlreadyExists):
        store.add_account("ALICE", "editor", "$argon2id$y", "2026-01-01T00:00:00Z")
    with pytest.raises(StoreError, match="role"):
        store.add_account("Bob", "owner", "$argon2id$y", "2026-01-01T00:00:00Z")
    store.add_account("Bob", "reviewer", "$argon2id$y", "2026-01-02T00:00:00Z")
    assert [(a.name, a.role) for a in store.accounts()] == [("Alice", "admin"), ("Bob", "reviewer")]
    assert "password_hash" not in alice.to_dict()
    for missing in ("carol", 999, str(2**64)):
        with pytest.raises(NotFound):
            store.account(missing)


def test_sessions_are_found_by_hash_and_end(store: Store) -> None:
    bob = store.add_account("Bob", "editor", "$argon2id$y", "2026-01-01T00:00:00Z")
    old = Session("h1", bob.id, "2026-01-01T00:00:00Z", "2026-01-01T12:00:00Z", "s1")
    new = Session("h2", bob.id, "2026-01-02T00:00:00Z", "2026-01-02T12:00:00Z", "s2")
    store.add_session(old)
    store.add_session(new)
    assert store.session("h2") == (new, bob)
    assert store.end_sessions("2026-01-02T00:00:00Z") == 1  # the expired one
    assert store.session("h1") is None
    store.end_session("h2")
    assert store.session("h2") is None
    store.add_session(new)
    disabled = store.set_account("bob", disabled="2026-01-02T01:00:00Z")
    assert disabled.disabled == "2026-01-02T01:00:00Z" and store.session("h2") is None
    assert store.set_account(bob.id, role="admin").role == "admin"
    assert store.account("bob").disabled == "2026-01-02T01:00:00Z"  # a role change keeps it


def test_topic_articles_lists_published_ones_without_bodies(store: Store) -> None:
    other = TopicRecord("Yawning")
    batch = [article(), article("a2", "Hiccups?"), article("y", "Why yawn?", topic=other)]
    a, b, _ = store.save_batch(batch, "t", "r").article_ids
    store.set_status(b, "retired", "editor", "old")
    topic = store.get_article(a).topic
    assert topic is not None
    (only,) = store.topic_articles(topic.id)
    assert (only.id, only.slug, only.title, only.question_type) == (
        a,
        "what-causes-hiccups",
        "What causes hiccups?",
        "cause",
    )
    assert store.topic_articles(999) == []


def test_an_old_database_is_migrated_and_keeps_its_pin_order(tmp_path: Path) -> None:
    """A database made by migrations 1 and 2 only, with pins, opened by today's code."""
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY, name, applied)")
    for migration in MIGRATIONS[:2]:
        for statement in statements(migration, "sqlite"):
            old.execute(statement)
        old.execute("INSERT INTO schema_migrations VALUES (?, ?, '')", (migration.number, ""))
    old.commit()
    old.close()
    db = SQLiteStore(str(path))
    ids = db.save_batch([article(f"x{i}", f"Question {i}?") for i in range(4)], "t", "r")
    db._conn.executemany(  # pins made by the old code, in the order 3, 1, 2
        "INSERT INTO related_overrides (article_id, target_id, action, author, reason, created)"
        " VALUES (?, ?, 'pin', 'e', 'r', 'then')",
        [(ids.article_ids[0], ids.article_ids[k]) for k in (3, 1, 2)],
    )
    db.close()
    # Re-open as if migration 5 had not run yet: it numbers the old pins in their old order.
    again = sqlite3.connect(path)
    again.execute("DELETE FROM schema_migrations WHERE number = 5")
    again.execute("ALTER TABLE related_overrides DROP COLUMN position")
    again.execute("DELETE FROM schema_migrations WHERE number = 7")  # and 7, before tidying
    again.execute("ALTER TABLE articles DROP COLUMN source_title")
    again.execute("DROP TABLE slug_aliases")
    again.commit()
    again.close()
    db = SQLiteStore(str(path))
    pins = [o.target_id for o in db.related_overrides(ids.article_ids[0])]
    assert pins == [ids.article_ids[k] for k in (3, 1, 2)]
    # migration 7: titles stored before tidying were the source's own
    assert db.get_article(ids.article_ids[0]).source_title == "Question 0?"
    assert db.migrate() == []
    db.close()


def test_importing_the_same_source_again_keeps_an_editors_change(store: Store) -> None:
    original = article()
    first = store.save_batch([original], "import", "first import")
    edited = replace(original, title="What sets off hiccups?", content_hash="edited")
    store.update_article(first.article_ids[0], edited, 1, "editor", "clearer question")
    again = store.save_batch([original], "import", "same file again")
    assert (again.unchanged, again.updated) == (1, 0)
    assert store.get_article(first.article_ids[0]).title == "What sets off hiccups?"
    # When the source itself changes, its new version is a new revision (the edit stays in
    # the history).
    changed = replace(original, body_text="New text.", content_hash="source-2")
    assert store.save_batch([changed], "import", "source changed").updated == 1
    assert [r.author for r in store.revisions(first.article_ids[0])] == [
        "import",
        "editor",
        "import",
    ]


def test_listing_filters_by_review_status(store: Store) -> None:
    past, future = date(2020, 1, 1), date(2999, 1, 1)
    batch = [
        article("old", "Is this overdue?", next_review=past),
        article("new", "Is this current?", next_review=future),
        article("none", "Is this undated?", next_review=None),
    ]
    store.save_batch(batch, "t", "r")
    overdue = store.list_articles(ArticleFilter(review="overdue"))
    assert [a.external_id for a in overdue] == ["old"]
    current = store.list_articles(ArticleFilter(review="current"))
    assert [a.external_id for a in current] == ["new", "none"]


def test_vectors_are_stored_replaced_and_removed(store: Store) -> None:
    ids = store.save_batch([article("v1", "One?"), article("v2", "Two?")], "t", "r").article_ids
    store.save_vectors("m", [(ids[0], "h1", b"\x01"), (ids[1], "h2", b"\x02")], [], 5)
    store.save_vectors("m", [(ids[0], "h1b", b"\x03")], [ids[1]], 7)
    kept = store.stored_vectors("m")
    assert (kept.article_ids, kept.text_hashes, kept.vectors, kept.last_seq) == (
        [ids[0]],
        ["h1b"],
        [b"\x03"],
        7,
    )
    assert store.stored_vectors("other").article_ids == []


def test_vectors_are_read_by_article_and_hashes_by_chunk_and_counted(store: Store) -> None:
    batch = [article("c1", "One?"), article("c2", "Two?"), article("c3", "Three?")]
    ids = store.save_batch(batch, "t", "r").article_ids
    store.save_vectors("t", [(i, f"h{i}", b"\x01") for i in ids], [], 3)
    store.save_vectors("l", [(i, f"h{i}", b"\x02") for i in ids[1:]], [], 3)
    some = store.stored_vectors("t", [ids[2], ids[0], 10**9])
    assert (some.article_ids, some.text_hashes, some.vectors) == (
        [ids[0], ids[2]],
        [f"h{ids[0]}", f"h{ids[2]}"],
        [b"\x01", b"\x01"],
    )
    hashes = store.vector_hashes("l")
    assert (hashes.article_ids, hashes.vectors, hashes.last_seq) == (ids[1:], [], 3)
    chunk = store.vector_hashes("t", after=ids[0], limit=1)
    assert (chunk.article_ids, chunk.text_hashes) == ([ids[1]], [f"h{ids[1]}"])
    assert store.count_embedded(["t"]) == 3 and store.count_embedded(["t", "l"]) == 2
    assert store.count_embedded(["t", "nothing"]) == 0


def test_a_tidied_title_keeps_the_sources_and_its_old_slug(store: Store) -> None:
    tidy = article("a1", "What is glaucoma?", source_title="What is (are) Glaucoma ?")
    again = article("a2", "What is glaucoma?", source_title="What is (are) Glaucoma ?")
    ids = store.save_batch([tidy, again], "t", "r").article_ids
    found = store.get_article(ids[0])
    assert (found.slug, found.source_title) == ("what-is-glaucoma", "What is (are) Glaucoma ?")
    assert found.to_dict()["source_title"] == "What is (are) Glaucoma ?"
    # the addresses an import before tidying gave them, in the same order
    assert store.slug_alias("what-is-are-glaucoma") == "what-is-glaucoma"
    assert store.slug_alias("what-is-are-glaucoma-2") == "what-is-glaucoma-2"
    assert store.slug_alias("what-is-glaucoma") is None
    store.save_batch([article("a3", "What causes hiccups?")], "t", "r")
    assert store.slug_alias("what-causes-hiccups") is None  # no alias when nothing changed


def test_an_editors_title_leaves_the_sources_title_as_it_was(store: Store) -> None:
    saved = store.save_batch([article(source_title="what causes hiccups ?")], "t", "r")
    (first,) = saved.article_ids
    edited = article(title="Why do I get hiccups?", source_title="Why do I get hiccups?")
    store.update_article(first, edited, 1, "editor", "clearer")
    assert store.get_article(first).source_title == "what causes hiccups ?"


def test_feedback_is_kept_per_article_and_counted_least_helpful_first(store: Store) -> None:
    ids = store.save_batch([article("a1"), article("a2", "What stops hiccups?")], "t", "r")
    first, second = ids.article_ids
    store.add_feedback(first, True, "", "2026-12-01T10:00:00+00:00")
    store.add_feedback(second, False, "Too short.", "2026-12-01T11:00:00+00:00")
    store.add_feedback(second, True, "", "2026-12-01T12:00:00+00:00")
    counts = store.feedback_counts()
    assert [(c.article_id, c.yes, c.no, c.comments) for c in counts] == [
        (second, 1, 1, 1),
        (first, 1, 0, 0),
    ]
    assert [f.comment for f in store.feedback()] == ["Too short."]  # comments only
    assert [f.helpful for f in store.feedback(second)] == [True, False]  # newest first
    assert store.feedback_counts(first)[0].slug == "what-causes-hiccups"


def test_same_question_finds_the_other_answers_to_one_title(store: Store) -> None:
    made = [
        article("a1"),
        article("a2", "What causes Hiccups ?", source="Other"),
        article("a3", "What stops hiccups?"),
    ]
    first, second, _ = store.save_batch(made, "t", "r").article_ids
    assert [(s.id, s.source) for s in store.same_question(first)] == [(second, "Other")]
    store.set_status(second, "retired", "t", "r")
    assert store.same_question(first) == []


def test_topics_differing_by_case_plural_or_word_order_are_one_topic(store: Store) -> None:
    from healthqa.articles import TopicRecord

    made = [
        article("a1", "What is GIST?", topic=TopicRecord("Gastrointestinal Stromal Tumors")),
        article("a2", "Who gets GIST?", topic=TopicRecord("gastrointestinal stromal tumor")),
        article("a3", "How is GIST treated?", topic=TopicRecord("Stromal tumor, gastrointestinal")),
        article("a4", "What are allergies?", topic=TopicRecord("Allergies")),
        article("a5", "What is an allergy?", topic=TopicRecord("allergy", ("hay fever",))),
    ]
    store.save_batch(made, "t", "r")
    topics = {t.name: t for t in store.topics()}
    assert set(topics) == {"Gastrointestinal Stromal Tumors", "Allergies"}
    gist = topics["Gastrointestinal Stromal Tumors"]
    assert gist.article_count == 3
    assert gist.synonyms == ["gastrointestinal stromal tumor", "Stromal tumor, gastrointestinal"]
    assert topics["Allergies"].synonyms == ["allergy", "hay fever"]  # the other names kept
    assert topic_key("Glaucoma") != topic_key("Glaucomas, angle") and topic_key("Bus") == "bus"


def test_a_batchs_topics_are_found_and_made_together(store: Store) -> None:
    from healthqa.articles import TopicRecord

    store.save_batch(
        [article("k1", "What are kidney stones?", topic=TopicRecord("Kidney Stones"))], "t", "r"
    )
    many = [  # more new topics than one statement makes, each with two articles
        article(f"n{n}-{i}", f"What is condition {n} ({i})?", topic=TopicRecord(f"Condition {n}"))
        for n in range(250)
        for i in (1, 2)
    ]
    again = [  # the topic of the first batch by its key, spelt another way
        article("k2", "Who gets kidney stones?", topic=TopicRecord("stones, kidney")),
    ]
    store.save_batch(many + again, "t", "r")
    topics = {t.name: t for t in store.topics()}
    assert len(topics) == 251
    assert topics["Kidney Stones"].article_count == 2
    assert topics["Kidney Stones"].synonyms == ["stones, kidney"]
    assert all(topics[f"Condition {n}"].article_count == 2 for n in range(250))
    for n in (0, 99, 100, 249):  # each article joined its own topic, across statements
        found = store.get_article(f"what-is-condition-{n}-1")
        assert found.topic is not None and found.topic.name == f"Condition {n}"


def test_the_migration_merges_topics_a_database_already_has(store: Store) -> None:
    from healthqa.articles import TopicRecord

    made = [
        article("a1", topic=TopicRecord("Kidney Stones")),
        article("a2", "Who gets kidney stones?", topic=TopicRecord("Kidney Stones")),
        article("a3", "What is a kidney stone?", topic=TopicRecord("Other")),
    ]
    first, _, third = store.save_batch(made, "t", "r").article_ids
    db = store._conn  # type: ignore[attr-defined]  # as a database from before migration 9
    db.execute("UPDATE topics SET name_key = NULL")
    db.execute(
        "INSERT INTO topics (slug, name, synonyms, category) VALUES (?, ?, ?, ?)",
        ("kidney-stone", "kidney stone", '["renal calculus"]', "Disease"),
    )
    (new_id,) = db.execute("SELECT id FROM topics WHERE slug = 'kidney-stone'").fetchone()
    db.execute("UPDATE articles SET topic_id = ? WHERE id = ?", (new_id, third))
    before = store.changes_since(0)[-1].seq
    merge_topics(db)
    topics = {t.name: t for t in store.topics()}
    assert "kidney stone" not in topics
    assert topics["Kidney Stones"].article_count == 3
    assert topics["Kidney Stones"].synonyms == ["kidney stone", "renal calculus"]
    assert topics["Kidney Stones"].category == "Disease"
    assert [c.article_id for c in store.changes_since(before)] == [third]
    assert first


# One threading model: a connection per thread -------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """One store called from many threads, as a web server's: a SQLite file, or PostgreSQL."""
    if request.param == "sqlite":
        url = str(tmp_path / "site.db")
    else:
        url = request.getfixturevalue("postgres_url")
    db = open_store(url)
    yield db
    db.close()


def test_reads_during_an_editors_open_transaction_neither_fail_nor_see_it(
    shared_store: Store,
) -> None:
    """An editor's write transaction stays open on one thread while another thread reads:
    the reads answer, from what was committed, and see the edit once it commits."""
    db = shared_store
    first = db.save_batch([article("a1", "What causes hiccups?")], "t", "r").article_ids[0]
    opened, release = threading.Event(), threading.Event()

    def editor() -> None:
        with db._write() as conn:  # type: ignore[attr-defined]  # an edit, held open
            conn.execute("UPDATE articles SET title = 'Uncommitted' WHERE id = ?", (first,))
            sql = "INSERT INTO changes (article_id, kind, at) VALUES (?, 'updated', 'x')"
            conn.execute(sql, (first,))
            opened.set()
            assert release.wait(10)

    thread = threading.Thread(target=editor)
    thread.start()
    try:
        assert opened.wait(10)
        seen = [db.get_article(first).title, db.list_articles()[0].title]
        assert seen == ["What causes hiccups?"] * 2
        assert db.stats()["last_change"] == 1 and len(db.changes_since(0)) == 1
        assert db.tokens() == [] and db.count_articles() == 1
    finally:
        release.set()
        thread.join(10)
    assert db.get_article(first).title == "Uncommitted"
    assert db.stats()["last_change"] == 2


def test_threads_reading_and_writing_at_once_all_succeed(shared_store: Store) -> None:
    """The web server's mix in small: editors' creates and updates on some threads, readers
    on others, one store. Before each thread had its own connection, reads ran on the
    writers' connection and the soak met 'cannot commit - no transaction is active'."""
    db = shared_store
    errors: list[BaseException] = []

    def guarded(work: object) -> None:
        try:
            work()  # type: ignore[operator]
        except BaseException as exc:  # collected, and the test says which
            errors.append(exc)

    def writer(n: int) -> None:
        for i in range(15):
            made = db.create_article(article(f"w{n}-{i}", f"Question {n} {i}?"), "t", "r")
            db.update_article(made.id, article(f"w{n}-{i}", f"Edited {n} {i}?"), 1, "t", "r")

    def reader() -> None:
        for _ in range(60):
            db.list_articles(limit=5)
            db.stats()
            db.changes_since(0, 10)

    threads = [threading.Thread(target=guarded, args=(lambda n=n: writer(n),)) for n in range(3)]
    threads += [threading.Thread(target=guarded, args=(reader,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert db.count_articles() == 45 and len(db.changes_since(0)) == 90


def test_a_batch_finds_free_slugs_among_its_own_and_the_stored(store: Store) -> None:
    """Slugs are found for a whole batch at once: numbered past the stored ones and past
    those given earlier in the batch, and ids run on from the stored ones."""
    store.save_batch([article("s1", "What is X 2?")], "t", "r")  # takes "what-is-x-2"
    batch = [article(f"x{i}", "What is X?") for i in range(3)]
    ids = store.save_batch(batch, "t", "r").article_ids
    slugs = [store.get_article(i).slug for i in ids]
    assert slugs == ["what-is-x", "what-is-x-3", "what-is-x-4"]
    made = store.create_article(article("x9", "What is X?"), "t", "r")
    assert made.slug == "what-is-x-5" and made.id == max(ids) + 1
    assert sorted({*ids, made.id}) == [2, 3, 4, 5]


def test_an_account_is_enabled_gets_a_new_password_and_the_last_admin_stays(store: Store) -> None:
    ada = store.add_account("Ada", "admin", "$argon2id$x", "2026-01-01T00:00:00Z")
    bob = store.add_account("Bob", "editor", "$argon2id$y", "2026-01-01T00:00:00Z")
    store.add_session(Session("h1", bob.id, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "s"))
    renewed = store.set_account("bob", password_hash="$argon2id$z")
    assert renewed.password_hash == "$argon2id$z" and store.session("h1") is None
    store.set_account("bob", disabled="2026-01-02T00:00:00Z")
    assert store.set_account(bob.id, enabled=True).disabled is None
    for change in ({"disabled": "2026-01-03T00:00:00Z"}, {"role": "editor"}):
        with pytest.raises(LastAdmin):
            store.set_account(ada.id, **change)  # type: ignore[arg-type]
    assert store.account("ada") == ada
    store.set_account("bob", role="admin")
    assert store.set_account("ada", role="reviewer").role == "reviewer"
