from pathlib import Path

import pytest
from test_store import article

from healthqa.index.lexical import LexicalIndex, LexicalQuery
from healthqa.store import Store
from healthqa.text import analysis, terms


def query(text: str, **fields: float) -> LexicalQuery:
    return LexicalQuery(dict.fromkeys(terms(text), 1.0), fields or {"title": 1.0, "body": 1.0})


def indexed(store: Store, index: LexicalIndex) -> list[int]:
    ids = store.save_batch(
        [
            article("a", "What causes hiccups?", body="A stretched stomach sets them off."),
            article("b", "How are leg cramps treated?", body="Stretch the calf muscle gently."),
            article("c", "What is a yawn?", body="A deep breath with the mouth open."),
        ],
        "t",
        "r",
    ).article_ids
    index.upsert(store.iter_articles())
    index.commit(3)
    return ids


def test_search_ranks_by_bm25_over_weighted_fields(store: Store) -> None:
    index = LexicalIndex()
    hiccups, cramps, _ = indexed(store, index)
    assert [hit.article_id for hit in index.search(query("stretch the calf"))] == [cramps, hiccups]
    title_only = index.search(query("stretch", title=1.0))
    assert title_only == []
    assert index.search(query("hiccups"))[0].article_id == hiccups


def test_upsert_replaces_and_delete_removes(store: Store) -> None:
    index = LexicalIndex()
    hiccups, _, _ = indexed(store, index)
    index.upsert([store.get_article(hiccups)])
    index.commit(4)
    assert index.size == 3
    index.delete([hiccups])
    index.commit(5)
    assert index.search(query("hiccups")) == []
    assert (index.size, index.last_seq) == (2, 5)


def test_unknown_words_can_match_near_spellings(store: Store) -> None:
    index = LexicalIndex()
    hiccups, _, _ = indexed(store, index)
    misspelt = LexicalQuery({"stomech": 1.0}, {"body": 1.0}, fuzzy=frozenset({"stomech"}))
    assert [hit.article_id for hit in index.search(misspelt)] == [hiccups]
    assert index.search(LexicalQuery({"stomech": 1.0}, {"body": 1.0})) == []


def test_an_index_on_disk_remembers_what_it_applied(store: Store, tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "idx")
    indexed(store, index)
    reopened = LexicalIndex(tmp_path / "idx")
    assert (reopened.size, reopened.last_seq) == (3, 3)


def test_empty_queries_find_nothing_without_error(store: Store) -> None:
    index = LexicalIndex()
    indexed(store, index)
    assert index.search(LexicalQuery({}, {"title": 1.0})) == []
    assert index.search(query("hiccups", title=0.0)) == []


def test_an_index_built_by_another_analysis_is_marked_stale(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    indexed(store, LexicalIndex(tmp_path / "idx"))
    monkeypatch.setattr(analysis, "VERSION", analysis.VERSION + 1)
    assert LexicalIndex(tmp_path / "idx").last_seq == 0  # the next sync rebuilds it


def test_a_second_index_on_the_folder_reloads_what_the_first_wrote(
    store: Store, tmp_path: Path
) -> None:
    writer, reader = LexicalIndex(tmp_path / "index"), LexicalIndex(tmp_path / "index")
    assert not reader.reload()
    indexed(store, writer)
    assert reader.search(query("hiccups")) == []
    assert reader.reload() and reader.last_seq == 3
    assert len(reader.search(query("hiccups"))) == 1
    assert not reader.reload()


def test_searches_answer_while_another_thread_commits(store: Store) -> None:
    """A web worker searches on one thread while an editor's request syncs the index on
    another: each search reads its hits from the searcher that found them (the soak of
    issue 19 met tantivy's panic "index out of bounds" when a commit swapped it between)."""
    import threading

    index = LexicalIndex()
    store.save_batch([article(f"y{i}", f"Why do we yawn {i}?") for i in range(40)], "t", "r")
    articles = list(store.iter_articles())
    index.upsert(articles)
    index.commit(1)
    query = LexicalQuery({"yawn": 1.0}, {"title": 1.0})
    errors: list[BaseException] = []
    done = threading.Event()

    def commits() -> None:
        try:
            for n in range(15):
                index.upsert(articles[n::3])
                index.commit(2 + n)
        finally:
            done.set()

    def searches() -> None:
        try:
            while not done.is_set():
                assert len(index.search(query, 40)) == 40
        except BaseException as exc:  # the panic is a BaseException
            errors.append(exc)

    threads = [threading.Thread(target=commits), threading.Thread(target=searches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
