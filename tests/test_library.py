"""The Library facade: one set of settings, store, index and search, shared by CLI and web.

Two `Library` objects on one database stand for two app nodes (or a node and a CLI import):
each keeps its own index and catches up with the other's writes from the change log.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import quiet_settings

from healthqa.imports import import_paths
from healthqa.library import Library, index_path


def node(db: str, index: Path) -> Library:
    settings = quiet_settings(index_path=str(index))
    return Library(db, settings)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "site.db")
    return str(request.getfixturevalue("postgres_url"))


def test_a_node_finds_what_another_node_imported(
    database: str, tmp_path: Path, fixtures: Path
) -> None:
    reader, writer = node(database, tmp_path / "a"), node(database, tmp_path / "b")
    assert reader.search.hits("sore throat") == []
    import_paths(writer.store, [str(fixtures / "markdown")])
    assert reader.sync() >= 2  # the reader's own index replays the shared change log
    found = reader.search.results("what causes a sore throat")
    assert found and found[0].article.title == "What causes a sore throat?"
    reader.close()
    writer.close()


def test_the_index_lives_beside_a_file_and_in_the_cache_for_postgresql(tmp_path: Path) -> None:
    assert index_path("site.db", "") == Path("site.db.index")
    assert index_path("sqlite:///data/site.db", "") == Path("data/site.db.index")
    assert index_path(":memory:", "") is None
    assert index_path("site.db", str(tmp_path)) == tmp_path
    one = index_path("postgresql://db1/healthqa", "")
    two = index_path("postgresql://db2/healthqa", "")
    assert one is not None and two is not None and one != two
    assert one.parent.name == "healthqa"
