from pathlib import Path

from test_store import article

from healthqa.index.lexical import LexicalIndex, LexicalQuery
from healthqa.index.sync import rebuild, sync
from healthqa.store import Store, open_store

YAWN = LexicalQuery({"yawn": 1.0}, {"title": 1.0, "body": 1.0})


def test_sync_follows_the_change_log(store: Store) -> None:
    index = LexicalIndex()
    store.save_batch([article("a", "What causes hiccups?")], "t", "r")
    assert sync(store, index) == 1
    assert sync(store, index) == 0
    (yawn,) = store.save_batch([article("b", "What is a yawn?")], "t", "r").article_ids
    assert sync(store, index) == 1
    assert [hit.article_id for hit in index.search(YAWN)] == [yawn]
    store.set_status(yawn, "retired", "editor", "wrong")
    assert sync(store, index) == 1
    assert index.search(YAWN) == []
    store.set_status(yawn, "published", "editor", "fine after all")
    sync(store, index)
    assert [hit.article_id for hit in index.search(YAWN)] == [yawn]
    assert index.last_seq == store.stats()["last_change"]


def test_a_crash_after_commit_is_repaired_on_the_next_sync(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "site.db"))
    index = LexicalIndex(tmp_path / "idx")
    store.save_batch([article("a", "What causes hiccups?")], "t", "r")
    sync(store, index)
    store.save_batch([article("b", "What is a yawn?")], "t", "r")  # the index never heard
    restarted = LexicalIndex(tmp_path / "idx")
    assert restarted.search(YAWN) == []
    assert sync(store, restarted) == 1
    assert len(restarted.search(YAWN)) == 1
    store.close()


def test_an_index_ahead_of_its_database_is_rebuilt(store: Store) -> None:
    index = LexicalIndex()
    index.commit(99)  # as if it belonged to another database
    store.save_batch([article("a", "What is a yawn?")], "t", "r")
    assert sync(store, index) == 1
    assert index.last_seq == 1 and index.size == 1


def test_rebuild_indexes_published_articles_only(store: Store) -> None:
    ids = store.save_batch([article("a", "Yawn?"), article("b", "Yawn again?")], "t", "r")
    store.set_status(ids.article_ids[0], "retired", "e", "r")
    index = LexicalIndex()
    assert rebuild(store, index) == 1
    assert index.size == 1


def test_an_index_of_another_history_is_rebuilt(tmp_path: Path) -> None:
    """A restored backup written to since has change numbers the index has seen, but not the
    same changes: the index's mark of its last change tells them apart."""
    store = open_store(str(tmp_path / "site.db"))
    index = LexicalIndex(tmp_path / "idx")
    store.save_batch([article("a", "What causes hiccups?")], "t", "r")
    store.backup(str(tmp_path / "backup.db"))
    store.save_batch([article("b", "What is a yawn?")], "t", "r")
    sync(store, index)
    store.close()
    restored = open_store(str(tmp_path / "backup.db"))
    restored.save_batch([article("c", "Why do we sneeze?")], "t", "r")  # the same number, 2
    assert restored.stats()["last_change"] == index.last_seq
    again = LexicalIndex(tmp_path / "idx")
    assert sync(restored, again) == 2  # rebuilt: hiccups and sneeze
    assert again.search(YAWN) == [] and again.size == 2
    assert sync(restored, again) == 0
    restored.close()


def test_an_index_of_another_database_is_rebuilt(tmp_path: Path) -> None:
    """Two sites with the same change log (as the demo's): an index folder of one, put
    beside the other, is rebuilt, because it records which database it was derived from."""
    one, other = (open_store(str(tmp_path / f"{name}.db")) for name in ("one", "other"))
    for db in (one, other):
        db.save_batch([article("a", "What causes hiccups?")], "t", "r")
    index = LexicalIndex(tmp_path / "idx")
    sync(one, index)
    assert index.mark.startswith(one.identity() + "/")
    assert one.identity() != other.identity()
    assert sync(other, LexicalIndex(tmp_path / "idx")) == 1  # rebuilt, not trusted
    assert LexicalIndex(tmp_path / "idx").mark.startswith(other.identity() + "/")
    one.close()
    other.close()


def test_each_backup_is_a_database_of_its_own(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "site.db"))
    store.backup(str(tmp_path / "copy.db"))
    copy = open_store(str(tmp_path / "copy.db"))
    assert copy.identity() != store.identity() and len(store.identity()) == 32
    store.close()
    copy.close()
