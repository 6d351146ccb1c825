"""The core issue's acceptance on the real data beside the repository (read at run time)."""

import sqlite3
from pathlib import Path

import pytest
from conftest import shared_path

from healthqa import ingest, open_store
from healthqa.imports import import_paths
from healthqa.ingest import export, medquad

pytestmark = pytest.mark.slow


def contents(db: Path) -> list[tuple]:
    query = (
        "SELECT s.name, a.external_id, a.slug, a.title, a.body_html, a.content_hash "
        "FROM articles a JOIN sources s ON s.id = a.source_id ORDER BY s.name, a.external_id"
    )
    with sqlite3.connect(db) as conn:
        return conn.execute(query).fetchall()


def test_medquad_imports_once_reimports_unchanged_and_round_trips(tmp_path: Path) -> None:
    archive = str(shared_path("data", "medquad.tar.gz"))
    first_db, second_db = tmp_path / "a.db", tmp_path / "b.db"
    store = open_store(str(first_db))
    first = import_paths(store, [archive])
    assert (first.imported, first.updated, first.unchanged) == (16_423, 0, 0)
    assert first.skipped[medquad.SKIP_NO_ANSWER] == 31_034
    assert first.skipped[ingest.SKIP_UNKNOWN] == 4  # readme, licence, qrels
    assert first.ok, first.rejected[:3]
    revisions = store.stats()["revisions"]
    again = import_paths(store, [archive])
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 16_423)
    assert store.stats()["revisions"] == revisions == 16_423

    exported = tmp_path / "export.jsonl"
    with open(exported, "w", encoding="utf-8") as out:
        export.write(store.iter_articles(), out)
    store.close()
    copy = open_store(str(second_db))
    assert import_paths(copy, [str(exported)]).imported == 16_423
    copy.close()
    assert contents(first_db) == contents(second_db)


def test_beir_corpus_gives_every_article(tmp_path: Path) -> None:
    corpus = str(shared_path("bench", "liveqa-med-dev", "corpus.jsonl"))
    store = open_store(str(tmp_path / "beir.db"))
    summary = import_paths(store, [corpus])
    assert (summary.imported, summary.ok) == (17_942, True)
    assert store.stats()["articles"] == 17_942
    store.close()


def test_sample_page_imports_with_its_list_and_links(tmp_path: Path) -> None:
    page = str(shared_path("samples", "leg-cramps-late-pregnancy.txt"))
    store = open_store(":memory:")
    assert import_paths(store, [page]).imported == 1
    article = store.get_article("what-causes-leg-cramps-in-late-pregnancy")
    assert article.body_html.count("<ol>") == 1 and article.body_html.count("<li>") == 4
    text = article.body_text
    sentence = "If calcium and zinc are not supplemented in time, leg cramps are likely to occur"
    assert text.count(sentence) == 1
    assert text.count("One of the problems that confuses many pregnant mothers is calf cramps") == 1
    kinds = [link.kind for link in article.links]
    assert kinds.count("previous") == kinds.count("next") == 1
    related = [link for link in article.links if link.kind == "related"]
    assert len(related) == 12 and all(link.teaser.endswith("...") for link in related)
