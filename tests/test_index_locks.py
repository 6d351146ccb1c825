"""The embedding lock: one process embeds a collection at a time, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthqa.index.locks import embedding_lock
from healthqa.store import DatabaseURL


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseURL:
    if request.param == "sqlite":
        return DatabaseURL.parse(str(tmp_path / "site.db"))
    return DatabaseURL.parse(str(request.getfixturevalue("postgres_url")))


def test_a_second_process_waits_or_is_told_the_lock_is_taken(database: DatabaseURL) -> None:
    with embedding_lock(database) as held:
        assert held
        with embedding_lock(database, wait=False) as other:  # another connection or handle
            assert not other
    with embedding_lock(database, wait=False) as again:
        assert again


MEMORY = DatabaseURL.parse(":memory:")


def test_an_in_memory_database_needs_no_lock() -> None:
    with embedding_lock(MEMORY, wait=False) as one, embedding_lock(MEMORY) as two:
        assert one and two
