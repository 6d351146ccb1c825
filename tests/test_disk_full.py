"""A full disk (issue 19): writes get a clear 507, nothing is half written, reads go on.

Two ways to fill it: SQLite's max_page_count (everywhere), and a real 3 MB tmpfs (only where
this process may mount one: root on Linux; skipped elsewhere).
"""

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from conftest import quiet_settings
from fastapi.testclient import TestClient
from test_web_editor import ARTICLE

from healthqa import tokens
from healthqa.imports import import_paths
from healthqa.library import Library
from healthqa.store.sql import Connection
from healthqa.store.sqlite import SQLiteStore
from healthqa.web.app import create_app


def big(n: int) -> str:
    """About 100 KB of words no other article has (cleaning drops repeated sentences)."""
    return "<p>" + " ".join(f"cramp{n}w{i}" for i in range(9000)) + ".</p>"


class CappedStore(SQLiteStore):
    """The real SQLite store, its writes allowed `pages` pages of file at most. SQLite's
    max_page_count belongs to a connection, and each thread has its own, so every write
    sets it on its connection first."""

    pages = 1073741823  # SQLite's own limit

    def _begin(self, db: Connection) -> None:
        db.execute(f"PRAGMA max_page_count = {self.pages}")
        super()._begin(db)


class Site:
    def __init__(self, folder: Path, fixtures: Path) -> None:
        self.db = folder / "site.db"
        self.library = Library(str(self.db), quiet_settings(max_request_bytes=10_000_000))
        self.library._store = self.store = CappedStore(str(self.db))
        import_paths(self.library.store, [str(fixtures / "markdown")], workers=0)
        self.token, _ = tokens.create(self.library.store, "alice", 1)
        self.client = TestClient(create_app(self.library), raise_server_exceptions=False)

    def create(self, n: int) -> httpx.Response:
        body = ARTICLE | {"title": f"What causes leg cramps, part {n}?", "body": big(n)}
        auth = {"Authorization": f"Bearer {self.token}"}
        return self.client.post("/api/v1/articles", json=body, headers=auth)

    def fill(self) -> tuple[int, httpx.Response]:
        """Create articles until one is refused: (how many were created, the refusal)."""
        for n in range(200):
            response = self.create(n)
            if response.status_code != 201:
                return n, response
        raise AssertionError("the disk never filled")

    def assert_reads_work(self) -> None:
        assert self.client.get("/api/v1/articles").status_code == 200
        assert self.client.get("/api/v1/search?q=cramps").status_code == 200
        assert self.client.get("/").status_code == 200

    def close(self) -> None:
        self.client.close()
        self.library.close()


def assert_full(response: httpx.Response) -> None:
    assert response.status_code == 507, response.text
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (507, "insufficient_storage")
    assert "no room" in error["message"] and "nothing was saved" in error["message"]


def pragma(db: Path, name: str) -> list[object]:
    """What `PRAGMA name` answers on a connection of its own."""
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute(f"PRAGMA {name}")]
    finally:
        conn.close()


def integrity(db: Path) -> list[str]:
    return [str(value) for value in pragma(db, "integrity_check")]


def test_a_database_at_its_size_limit_refuses_writes_with_507(
    tmp_path: Path, fixtures: Path
) -> None:
    """Simulated with SQLite's max_page_count on the server's connections."""
    site = Site(tmp_path, fixtures)
    site.store.pages = pragma(site.db, "page_count")[0] + 100  # about 400 KB more
    created, refusal = site.fill()
    assert_full(refusal)
    assert site.library.store.stats()["articles"] == 2 + created  # none half written
    site.assert_reads_work()
    site.store.pages = CappedStore.pages  # room again: writes go on
    assert site.create(999).status_code == 201
    site.close()
    assert integrity(tmp_path / "site.db") == ["ok"]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_refuses_writes_with_507_and_reads_go_on(
    small_disk: Path, fixtures: Path
) -> None:
    """A real 3 MB file system holding the database, its WAL and the index."""
    site = Site(small_disk, fixtures)
    site.assert_reads_work()  # the site is serving: its index is there
    created, refusal = site.fill()
    assert_full(refusal)
    assert created > 0
    site.assert_reads_work()
    assert site.library.store.stats()["articles"] == 2 + created
    site.close()
    assert integrity(small_disk / "site.db") == ["ok"]
    reopened = Library(str(small_disk / "site.db"), quiet_settings())
    assert reopened.store.stats()["articles"] == 2 + created
    reopened.close()
