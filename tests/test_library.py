"""The Library facade: one set of settings, store, index and search, shared by CLI and web.

Two `Library` objects on one database stand for two app nodes (or a node and a CLI import):
each keeps its own index and catches up with the other's writes from the change log.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import quiet_settings

from healthqa.answers import ask
from healthqa.embedders import Embedder, register, unregister
from healthqa.imports import import_paths
from healthqa.index.locks import embedding_lock
from healthqa.library import Library, index_path
from healthqa.store import DatabaseURL


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
    assert index_path(DatabaseURL.parse("site.db"), "") == Path("site.db.index")
    assert index_path(DatabaseURL.parse("sqlite:///data/site.db"), "") == Path("data/site.db.index")
    assert index_path(DatabaseURL.parse(":memory:"), "") is None
    assert index_path(DatabaseURL.parse("site.db"), str(tmp_path)) == tmp_path
    one = index_path(DatabaseURL.parse("postgresql://db1/healthqa"), "")
    two = index_path(DatabaseURL.parse("postgresql://db2/healthqa"), "")
    assert one is not None and two is not None and one != two
    assert one.parent.name == "healthqa"


@pytest.fixture
def exploding() -> Iterator[str]:
    """An embedder registered as the real model is, whose loading fails the test."""

    def load(threads: int) -> Embedder:
        raise AssertionError("an embedder was loaded although embeddings are off")

    register("exploding", load)
    yield "exploding"
    unregister("exploding")


@pytest.mark.parametrize(
    "off", [{"ranking": "keywords"}, {"embedding_model": "none", "ranking": ""}]
)
def test_keywords_ranking_or_no_model_load_no_embedder_at_all(
    off: dict[str, Any], exploding: str, tmp_path: Path, fixtures: Path
) -> None:
    settings = quiet_settings(embedding_model=exploding) | off
    library = Library(str(tmp_path / "site.db"), settings)
    import_paths(library.store, [str(fixtures / "markdown")], workers=0)
    library.sync()
    assert library.search.results("what causes a sore throat")
    assert ask(library.search, "what causes a sore throat").answers
    assert library.embed() is None and library.coverage() is None and library.vectors is None
    assert library.mode().startswith("keywords only")
    library.close()


def test_an_import_waits_for_another_process_embedding_the_same_collection(
    tmp_path: Path, fixtures: Path
) -> None:
    from test_index_vectors import CountingEmbedder

    fake = CountingEmbedder()
    register("counting", lambda threads: fake)
    try:
        db = str(tmp_path / "site.db")
        library = Library(db, quiet_settings(embedding_model="counting"))
        import_paths(library.store, [str(fixtures / "markdown")], workers=0)
        told = threading.Event()
        changed: list[int | None] = []
        with embedding_lock(library.db):  # another process is embedding
            assert library.embed() == 0  # without `waiting`: leave it to the other one
            worker = threading.Thread(
                target=lambda: changed.append(library.embed(waiting=told.set))
            )
            worker.start()
            assert told.wait(10) and fake.texts == []
        worker.join(10)
        assert changed == [2] and len(fake.texts) == 4
        library.close()
    finally:
        unregister("counting")


HEAPS = """
import ctypes, ctypes.util, sys, threading
from healthqa.library import limit_malloc_arenas
if sys.argv[1] == "limited":
    limit_malloc_arenas(1)
def allocate():
    kept = [bytearray(4096) for _ in range(200)]  # above pymalloc's 512 bytes: glibc's malloc
threads = [threading.Thread(target=allocate) for _ in range(6)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.fopen.restype = ctypes.c_void_p
out = libc.fopen(sys.argv[2].encode(), b"w")
libc.malloc_info(0, ctypes.c_void_p(out))
libc.fclose(ctypes.c_void_p(out))
"""


def test_a_web_worker_s_threads_share_the_heaps_it_allows(tmp_path: Path) -> None:
    """glibc gives threads heaps of their own unless the process limits them; a worker limits
    them (`limit_malloc_arenas`), and its threads then allocate from those, unless the
    operator set MALLOC_ARENA_MAX."""
    import platform
    import subprocess
    import sys

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("the heap limit is glibc's")
    import os

    clean = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    runs = {"default": clean, "limited": clean, "operator": clean | {"MALLOC_ARENA_MAX": "4"}}
    counts = {}
    for name, env in runs.items():
        report = tmp_path / f"{name}.xml"
        mode = "default" if name == "default" else "limited"
        subprocess.run([sys.executable, "-c", HEAPS, mode, str(report)], check=True, env=env)
        counts[name] = report.read_text().count("<heap nr=")
    assert counts["limited"] == 1
    assert counts["default"] > 1  # the threads took heaps of their own
    assert counts["operator"] > 1  # an operator's MALLOC_ARENA_MAX is left to decide
