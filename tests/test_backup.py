"""`healthqa backup`: consistent online copies of a SQLite site, and restoring one (issue 19)."""

import os
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import quiet_settings
from test_store import article

from healthqa.cli import main
from healthqa.index.lexical import LexicalQuery
from healthqa.library import Library
from healthqa.store import StoreError, open_store

# docs/reliability.md: the long run takes 50 (HEALTHQA_BACKUP_COPIES=50)
COPIES = int(os.environ.get("HEALTHQA_BACKUP_COPIES", "5"))


def integrity(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [row[0] for row in db.execute("PRAGMA integrity_check")]
    finally:
        db.close()


def write_until(db: str, stop: threading.Event, written: list[int]) -> None:
    """Another connection saving one article after another, as an import or editor would."""
    store = open_store(db)
    try:
        n = 0
        while not stop.is_set():
            n += 1
            store.save_batch([article(f"w{n}", f"What is question {n}?")], "w", "r")
            written.append(n)
            stop.wait(0.002)  # an editor's pace, not a bulk import's: copies stay small
    finally:
        store.close()


def test_copies_taken_while_another_connection_writes_are_whole(tmp_path: Path) -> None:
    db = str(tmp_path / "site.db")
    open_store(db).close()
    stop, written = threading.Event(), []
    writer = threading.Thread(target=write_until, args=(db, stop, written))
    writer.start()
    try:
        counts = []
        for n in range(COPIES):
            copy = tmp_path / f"copy-{n}.db"
            result = CliRunner().invoke(main, ["--db", db, "backup", str(copy)])
            assert result.exit_code == 0, result.output
            assert integrity(copy) == ["ok"]
            site = Library(str(copy), quiet_settings(), create=False)
            stats = site.store.stats()
            assert site.index.size == stats["articles"]  # opens as a site, index and all
            counts.append(stats["articles"])
            site.close()
    finally:
        stop.set()
        writer.join(timeout=30)
    assert len(written) > counts[0] and counts == sorted(counts)
    assert not list(tmp_path.glob("*.partial"))


def test_a_restored_backup_rebuilds_the_index_beside_it(tmp_path: Path) -> None:
    db = tmp_path / "site.db"
    site = Library(str(db), quiet_settings())
    site.store.save_batch([article("a", "What causes hiccups?")], "t", "r")
    site.store.backup(str(tmp_path / "backup.db"))
    site.store.save_batch([article("b", "What is a yawn?")], "t", "r")
    assert site.index.size == 2
    site.close()
    # The restore of docs/reliability.md: the server stopped, the copy back, no -wal or -shm.
    shutil.copyfile(tmp_path / "backup.db", db)
    for extra in ("site.db-wal", "site.db-shm"):
        (tmp_path / extra).unlink(missing_ok=True)
    restored = Library(str(db), quiet_settings())
    restored.store.save_batch([article("c", "Why do we sneeze?")], "t", "r")
    yawn = LexicalQuery({"yawn": 1.0}, {"title": 1.0, "body": 1.0})
    assert restored.index.size == 2 and restored.index.search(yawn) == []
    assert integrity(db) == ["ok"]
    restored.close()


def test_backup_refuses_what_it_cannot_copy(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="in-memory"):
        open_store(":memory:").backup(str(tmp_path / "x.db"))
    db = str(tmp_path / "site.db")
    open_store(db).close()
    result = CliRunner().invoke(main, ["--db", db, "backup", str(tmp_path / "no" / "x.db")])
    assert result.exit_code == 1 and "backup" in result.output
