"""`healthqa serve` on the real production server: uvicorn with two worker processes."""

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx2
import numpy as np
import pytest
from conftest import quiet_settings
from test_index_vectors import CountingEmbedder

from healthqa import editing
from healthqa.embedders import register, unregister
from healthqa.imports import import_paths
from healthqa.index.locks import embedding_lock
from healthqa.library import Library
from healthqa.store import DatabaseURL
from healthqa.web.server import embed_in_background, prepare, start_background_embedder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_over_http_with_two_workers(demo_db: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "healthqa", "--db", str(demo_db), "serve"]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        response = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and response is None:
            try:
                response = httpx2.get(f"http://127.0.0.1:{port}/api/v1/stats", timeout=5)
            except httpx2.TransportError:
                time.sleep(0.2)
        assert response is not None, "the server did not start"
        assert response.status_code == 200
        assert response.json()["articles"] == 45
        page = httpx2.get(
            f"http://127.0.0.1:{port}/articles/what-are-the-signs-of-mastitis-and-what-helps",
            timeout=5,
        )
        assert page.status_code == 200 and "<h1>What are the signs of mastitis" in page.text
        assert "server" not in page.headers  # uvicorn's banner is off
    finally:
        server.terminate()
        server.wait(timeout=30)


# The background embedder (issue 15) ----------------------------------------------------------


@pytest.fixture
def counting() -> Iterator[CountingEmbedder]:
    embedder = CountingEmbedder()
    register("counting", lambda threads: embedder)
    yield embedder
    unregister("counting")


def imported(tmp_path: Path, fixtures: Path) -> str:
    """A SQLite file of the two Markdown fixtures, not embedded."""
    db = str(tmp_path / "site.db")
    library = Library(db, quiet_settings())
    import_paths(library.store, [str(fixtures / "markdown")], workers=0)
    library.close()
    return db


def covered(db: str, model: str = "counting") -> int:
    library = Library(db, quiet_settings(embedding_model=model))
    coverage = library.coverage()
    library.close()
    assert coverage is not None
    return coverage.embedded


def wait_for(condition: object, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.05)
    return False


def test_the_background_embedder_takes_its_turn_and_embeds_each_text_once(
    counting: CountingEmbedder, tmp_path: Path, fixtures: Path
) -> None:
    db = imported(tmp_path, fixtures)
    stop = threading.Event()
    settings = quiet_settings(embedding_model="counting")
    url = DatabaseURL.parse(db)
    worker = threading.Thread(target=embed_in_background, args=(url, stop, 0.05, settings))
    with embedding_lock(
        DatabaseURL.parse(db)
    ):  # another process (an import, another node) is embedding
        worker.start()
        time.sleep(0.3)
        assert counting.texts == []
    try:
        assert wait_for(lambda: covered(db) == 2)
        time.sleep(0.2)  # a few more looks: nothing left to do
        assert len(counting.texts) == 4  # each article's title and lead, once
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()


def test_the_serving_parent_counts_the_embedded_articles_without_opening_a_vector(
    counting: CountingEmbedder, tmp_path: Path, fixtures: Path
) -> None:
    """At a million articles the vectors fill gigabytes; the parent only says how many there
    are (issue 21): the store counts them, and its workers open what they serve."""
    db = imported(tmp_path, fixtures)
    settings = quiet_settings(embedding_model="counting", embed_in_background=False)
    writer = Library(db, settings)
    writer.embed(limit=2)  # one article's title and lead
    expected = writer.coverage()
    writer.close()
    library, said = Library(db, settings), []
    assert prepare(library, said.append) is None
    assert said == [
        "Semantic ranking covers 1 of 2 articles; run `healthqa reindex` to embed the rest."
    ]
    assert library._vectors is None and library.coverage() == expected
    library.close()


def test_no_background_embedder_unless_embeddings_and_the_setting_are_on(
    counting: CountingEmbedder, tmp_path: Path, fixtures: Path
) -> None:
    db = imported(tmp_path, fixtures)
    for settings in (
        quiet_settings(),  # embedding_model = none
        quiet_settings(embedding_model="counting", ranking="keywords"),
        quiet_settings(embedding_model="counting", embed_in_background=False),
    ):
        library = Library(db, settings)
        assert start_background_embedder(library) is None
        library.close()
    assert counting.texts == []


def test_the_stats_endpoint_says_how_far_embedding_is(
    counting: CountingEmbedder, tmp_path: Path, fixtures: Path
) -> None:
    from fastapi.testclient import TestClient

    from healthqa.web import create_app

    library = Library(imported(tmp_path, fixtures), quiet_settings(embedding_model="counting"))
    with TestClient(create_app(library)) as client:
        before = client.get("/api/v1/stats").json()["embedding"]
        assert (before["embedded"], before["articles"], before["complete"]) == (0, 2, False)
        assert counting.texts == []  # asking embeds nothing
        library.embed()
        after = client.get("/api/v1/stats").json()["embedding"]
    assert (after["embedded"], after["complete"]) == (2, True)
    assert after["model"] == library.coverage().model
    library.close()


class GatedEmbedder(CountingEmbedder):
    """The fake, holding every batch of articles (more than one text) until the gate opens;
    a single question goes through, as a web worker embeds it on threads of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = threading.Event()
        self.gate = threading.Event()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) > 1:
            self.holding.set()
            assert self.gate.wait(30), "the test never opened the gate"
        return super().embed(texts)


def test_pages_answer_while_the_background_embedder_is_in_the_middle_of_a_batch(
    tmp_path: Path, fixtures: Path
) -> None:
    """No wait inside a read: while the background embedder holds a batch, ask, search and
    the stats answer at once from keywords, and say embedding is not complete."""
    from fastapi.testclient import TestClient

    from healthqa.web import create_app

    gated = GatedEmbedder()
    register("gated", lambda threads: gated)
    db = imported(tmp_path, fixtures)
    settings = quiet_settings(embedding_model="gated")
    stop = threading.Event()
    worker = threading.Thread(
        target=embed_in_background, args=(DatabaseURL.parse(db), stop, 0.05, settings)
    )
    worker.start()
    library = Library(db, settings)
    try:
        assert gated.holding.wait(20), "the background embedder did not start a batch"
        with TestClient(create_app(library)) as client:
            asked = client.get("/api/v1/ask", params={"q": "what causes a sore throat"})
            found = client.get("/search", params={"q": "sore throat"})
            stats = client.get("/api/v1/stats").json()["embedding"]
        assert asked.status_code == 200 and asked.json()["answers"]
        assert found.status_code == 200
        assert (stats["embedded"], stats["complete"]) == (0, False)
        gated.gate.set()
        assert wait_for(lambda: covered(db, "gated") == 2)
    finally:
        gated.gate.set()
        stop.set()
        worker.join(timeout=10)
        library.close()
        unregister("gated")
    assert not worker.is_alive()


def test_two_nodes_on_postgresql_embed_an_edited_article_once_for_the_whole_site(
    counting: CountingEmbedder, postgres_url: str, fixtures: Path
) -> None:
    """Each node runs a background embedder; the embedding lock (a PostgreSQL advisory lock,
    a connection each) lets one at a time embed, and each starts from what is stored, so
    every text is embedded once: the import's, and an edited article's again."""
    settings = quiet_settings(embedding_model="counting")
    library = Library(postgres_url, settings)
    import_paths(library.store, [str(fixtures / "markdown")], workers=0)
    url = DatabaseURL.parse(postgres_url)
    stops = [threading.Event(), threading.Event()]
    nodes = [
        threading.Thread(target=embed_in_background, args=(url, stop, 0.05, settings))
        for stop in stops
    ]
    for node in nodes:
        node.start()
    try:
        assert wait_for(lambda: covered(postgres_url) == 2)
        time.sleep(0.3)  # each node has looked again by now: nothing left
        assert len(counting.texts) == 4  # two articles' title and lead, once
        first = next(library.store.iter_articles())
        draft = editing.Draft("What soothes a sore throat fast?", "Honey and rest.", "test", "text")
        editing.update(library, first.id, draft, editing.article_etag(first), "editor")
        assert wait_for(lambda: len(counting.texts) == 6)
        assert wait_for(lambda: covered(postgres_url) == 2)
        time.sleep(0.3)
        assert sorted(counting.texts[4:]) == [
            "What soothes a sore throat fast?",
            "What soothes a sore throat fast? Honey and rest.",
        ]
    finally:
        for stop in stops:
            stop.set()
        for node in nodes:
            node.join(timeout=10)
        library.close()
