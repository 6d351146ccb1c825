import multiprocessing
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest
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


# Several processes sharing one index folder: a node's web workers ----------------------------


class RecordingIndex(LexicalIndex):
    """Records the change numbers each commit applies: (after which, up to which)."""

    applied: list[tuple[int, int]]

    def commit(self, last_seq: int, mark: str = "") -> None:
        self.applied = [*getattr(self, "applied", []), (self.last_seq, last_seq)]
        super().commit(last_seq, mark)


def follow(url: str, folder: Path, wait: bool, done: Event, out: Queue) -> None:  # type: ignore[type-arg]
    """A worker: sync in a loop until the writer is done and everything is applied."""
    store, index = open_store(url), RecordingIndex(folder)
    while not (done.is_set() and index.last_seq == store.last_change()):
        sync(store, index, wait)
        index.reload()  # what the others applied, as a worker's next request takes it up
        time.sleep(0.002)
    out.put(getattr(index, "applied", []))
    store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_workers_sharing_an_index_apply_each_change_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Three processes follow the change log into one folder while edits land: the ranges
    of changes their commits applied join end to end, so no change was applied twice (an
    overlap) or missed (a gap). Two of them wait their turn, one goes on when it is taken."""
    url = (
        str(tmp_path / "site.db")
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    store, folder = open_store(url), tmp_path / "idx"
    (edited,) = store.save_batch([article("a", "What causes hiccups?")], "t", "r").article_ids
    sync(store, LexicalIndex(folder))
    start = store.last_change()
    context = multiprocessing.get_context("spawn")
    done, out = context.Event(), context.Queue()
    workers = [
        context.Process(target=follow, args=(url, folder, wait, done, out))
        for wait in (True, True, False)
    ]
    for worker in workers:
        worker.start()
    time.sleep(1.0)  # they are up
    for n in range(40):
        if n % 4 == 3:
            store.set_status(edited, "retired" if n % 8 == 3 else "published", "t", "edit")
        else:
            store.save_batch([article(f"e{n}", f"Question number {n}?")], "t", "r")
        time.sleep(0.01)
    done.set()
    applied = sorted(pair for _ in workers for pair in out.get(timeout=60))
    for worker in workers:
        worker.join(timeout=30)
    assert applied and all(later > first for first, later in applied)
    assert applied[0][0] == start and applied[-1][1] == store.last_change() == start + 40
    assert all(applied[i][1] == applied[i + 1][0] for i in range(len(applied) - 1)), applied
    store.close()
