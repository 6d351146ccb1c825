"""`healthqa backup`: consistent online copies of a SQLite site (issue 19) or a PostgreSQL one
(pg_dump, issue 20), and restoring them."""

import os
import shutil
import sqlite3
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from conftest import POSTGRES, quiet_settings
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


# PostgreSQL: pg_dump while the site takes writes, pg_restore into a new database ---------------


def pg_client(program: str) -> str:
    """PostgreSQL's client program on PATH; CI (HEALTHQA_REQUIRE_POSTGRES) fails without it."""
    found = shutil.which(program)
    if found is None:
        if os.environ.get("HEALTHQA_REQUIRE_POSTGRES"):
            pytest.fail(f"{program} is not on PATH, and HEALTHQA_REQUIRE_POSTGRES asks for it")
        pytest.skip(f"{program} is not on PATH (apt-get install postgresql-client)")
    return found


@pytest.fixture
def new_database(postgres_url: str) -> Iterator[Callable[[], str]]:
    """Makes empty databases on the test server (each dropped afterwards); returns their URLs."""
    import psycopg

    made: list[str] = []

    def make() -> str:
        name = f"healthqa_test_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        made.append(name)
        return urlsplit(POSTGRES)._replace(path=f"/{name}", query="").geturl()

    yield make
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        for name in made:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def pg_restore(dump: Path, url: str) -> None:
    """docs/deploy.md's restore: pg_restore --no-owner into the database at `url`."""
    command = [pg_client("pg_restore"), "--no-owner", "--dbname", url, str(dump)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def test_a_postgresql_backup_taken_while_writes_go_on_restores_whole(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    """`healthqa backup` (pg_dump) of a site in a database of its own while another connection
    saves articles; restored into a new database it holds every article acknowledged before
    the backup began, whole (each with its revision and change), serves search and takes edits."""
    pg_client("pg_dump")
    site, copy = new_database(), new_database()
    store = open_store(site)
    store.save_batch([article("first", "What stops hiccups?")], "t", "r")
    stop, written = threading.Event(), []
    writer = threading.Thread(target=write_until, args=(site, stop, written))
    writer.start()
    try:
        while len(written) < 5:
            stop.wait(0.01)
        acknowledged = list(written)  # before the backup began
        dump = tmp_path / "site.dump"
        result = CliRunner().invoke(main, ["--db", site, "backup", str(dump)])
        assert result.exit_code == 0, result.output
        assert "pg_restore --list ok" in result.output
    finally:
        stop.set()
        writer.join(timeout=30)
    assert not list(tmp_path.glob("*.partial"))
    pg_restore(dump, copy)
    restored = Library(copy, quiet_settings(index_path=str(tmp_path / "copy.index")))
    kept = {a.external_id for a in restored.store.iter_articles()}
    assert {f"w{n}" for n in acknowledged} | {"first"} <= kept
    assert len(kept) <= len(written) + 1
    counts = restored.store.table_counts()
    assert counts["articles"] == len(kept) == counts["revisions"] == counts["changes"]
    assert restored.store.identity() != store.identity()
    store.close()
    found = restored.search.results(f"question {acknowledged[-1]}", 3)
    assert found and found[0].article.external_id == f"w{acknowledged[-1]}"
    restored.store.save_batch([article("new", "Why do we sneeze?")], "t", "r")  # ids go on
    restored.sync()
    assert restored.search.results("sneeze", 1)[0].article.external_id == "new"
    restored.close()


def test_a_node_on_a_database_restored_under_its_old_name_rebuilds_its_index(
    postgres_url: str, tmp_path: Path
) -> None:
    """The site's schema dropped and restored from a dump taken before the last edit, then
    written to (the same change number, article id and second as the lost edit): the node's
    index folder, the same URL's, is rebuilt, not taken for the restored database's."""
    import psycopg

    pg_client("pg_dump")
    settings = quiet_settings(index_path=str(tmp_path / "node.index"))
    site = Library(postgres_url, settings)
    site.store.save_batch([article("a", "What causes hiccups?")], "t", "r")
    dump = tmp_path / "site.dump"
    site.store.backup(str(dump))
    site.store.save_batch([article("b", "What is a yawn?")], "t", "r")
    assert site.index.size == 2  # the index has the yawn, which the dump has not
    schema, identity = site.store._one("SELECT current_schema()")[0], site.store.identity()
    site.close()
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
    pg_restore(dump, POSTGRES)  # the dump makes the schema again
    restored = Library(postgres_url, settings)
    restored.store.save_batch([article("c", "Why do we sneeze?")], "t", "r")
    yawn = LexicalQuery({"yawn": 1.0}, {"title": 1.0, "body": 1.0})
    assert restored.index.size == 2 and restored.index.search(yawn) == []
    assert restored.search.results("sneeze", 1)[0].article.external_id == "c"
    assert restored.store.identity() != identity  # the id came back with the dump; not the OIDs
    restored.close()


def test_a_postgresql_backup_without_pg_dump_says_so(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(main, ["--db", postgres_url, "backup", str(tmp_path / "x.dump")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: pg_dump is not on PATH: backing up PostgreSQL needs its client programs "
        "(apt-get install postgresql-client, or add /usr/lib/postgresql/15/bin to PATH)"
    ]
    assert list(tmp_path.iterdir()) == []


def test_pg_dump_gets_the_password_in_its_environment_and_its_error_in_one_line(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stand-in pg_dump that notes what it was given and fails as a too-old one does: the
    password reaches it in PGPASSWORD, never among the arguments (`ps` shows those)."""
    programs = tmp_path / "bin"
    programs.mkdir()
    (programs / "pg_dump").write_text(
        '#!/bin/sh\nprintf "%s\\n" "$*" "$PGPASSWORD" > "${0%/*}/given"\n'
        'echo "pg_dump: error: aborting because of server version mismatch" >&2\nexit 1\n'
    )
    (programs / "pg_dump").chmod(0o755)
    monkeypatch.setenv("PATH", str(programs))
    url = postgres_url.replace("postgres@", "postgres:s3cret@")  # trust: any password will do
    result = CliRunner().invoke(main, ["--db", url, "backup", str(tmp_path / "x.dump")])
    assert result.exit_code == 1
    assert result.output == "Error: pg_dump failed: aborting because of server version mismatch\n"
    arguments, password = (programs / "given").read_text().splitlines()
    assert password == "s3cret" and "s3cret" not in arguments and "--format=custom" in arguments
    assert not (tmp_path / "x.dump").exists() and not (tmp_path / "x.dump.partial").exists()
