"""The approximate vector index (FAISS inverted file, 8-bit) and the vector index's use of it.

Its recall is checked against exact search on random vectors; through `VectorIndex` (with the
deterministic `WordEmbedder` and `approximate_from=1`, so that three articles are "large"), it
must find what exact search finds, follow edits and retirements, and be saved in the index
folder and taken up from there. Skipped without FAISS (the semantic extra).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_index_vectors import SAME, corpus
from test_store import article

from healthqa.embedders import WordEmbedder
from healthqa.index import approximate
from healthqa.index.approximate import ApproximateIndex, fingerprint, index_file, key
from healthqa.index.lexical import Hit
from healthqa.index.vectors import VectorIndex, _fingerprints, text_hash
from healthqa.store import Store

pytestmark = pytest.mark.skipif(
    not approximate.available(), reason="FAISS is not installed: pip install 'healthqa[semantic]'"
)


def unit(rows: int, dimension: int = 48, seed: int = 5) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def filled(vectors: np.ndarray) -> ApproximateIndex:
    index = ApproximateIndex(vectors.shape[1])
    keys = np.arange(len(vectors))
    index.update(keys, keys + 1, lambda keys: vectors[list(keys)])
    return index


def test_recall_at_10_against_exact_search_on_random_vectors() -> None:
    vectors, queries = unit(3000), unit(40, seed=6)
    index = filled(vectors)
    found = 0
    for query in queries:
        exact = set(np.argsort(-(vectors @ query))[:10].tolist())
        keys, cosines = index.search(query, 40)  # as index.vectors asks: more, scored exactly
        assert np.all(np.diff(cosines) <= 1e-2)  # nearest first, to int8's precision
        best = keys[np.argsort(-(vectors[keys.astype(np.int64)] @ query))[:10]]
        found += len(exact & set(best.tolist()))
    assert found / (10 * len(queries)) >= 0.95


def test_update_removes_and_adds_what_changed_and_nothing_else() -> None:
    vectors = unit(200)
    index = filled(vectors)
    wanted = {k: k + 1 for k in range(200) if k != 7}
    wanted[3] = 99  # vector 3 changed: another text
    wanted[500] = 1  # a new article
    asked: list[int] = []

    def vector(keys: list[int]) -> np.ndarray:
        asked.extend(keys)
        return np.stack([vectors[k % 200] * -1 for k in keys])

    keys, marks = np.array(list(wanted)), np.array(list(wanted.values()))
    assert index.update(keys, marks, vector) == 4  # 7 and the old 3 out; the new 3 and 500 in
    assert sorted(asked) == [3, 500] and len(index) == 200
    nearest, _ = index.search(-vectors[3], 1)
    assert nearest.tolist() == [3]
    assert 7 not in index.search(vectors[7], 5)[0].tolist()
    assert index.update(keys[::-1], marks[::-1], vector) == 0  # in any order


def test_an_index_emptied_then_filled_again() -> None:
    vectors = unit(50)
    index = filled(vectors)
    nothing = np.zeros(0, dtype=np.int64)
    assert index.update(nothing, nothing, lambda keys: vectors[list(keys)]) == 50
    assert len(index) == 0 and index.search(vectors[0], 5)[0].tolist() == []
    keys = np.arange(3)
    assert index.update(keys, keys + 1, lambda keys: vectors[list(keys)]) == 3
    assert index.search(vectors[2], 1)[0].tolist() == [2]


def test_saved_and_loaded_for_its_name_only(tmp_path: Path) -> None:
    vectors = unit(300)
    index = filled(vectors)
    path = index_file(tmp_path, "model-1:title")
    index.save(path, "model-1:title")
    again = ApproximateIndex.load(path, "model-1:title", 48)
    assert again.fingerprints == index.fingerprints
    assert again.search(vectors[12], 3)[0].tolist() == index.search(vectors[12], 3)[0].tolist()
    assert len(ApproximateIndex.load(path, "model-2:title", 48)) == 0  # another model: none
    assert len(ApproximateIndex.load(tmp_path / "missing.usearch", "model-1:title", 48)) == 0


def test_keys_and_fingerprints() -> None:
    assert [key(10, row, 2) for row in (0, 1)] == [20, 21]
    assert 0 <= fingerprint("f" * 40) < 2**63
    hashes = [text_hash(str(n)) for n in range(50)] + ["f" * 40, "0" * 40]
    many = _fingerprints(np.array(hashes, dtype="S40"))  # as the vector index makes them
    assert many.tolist() == [fingerprint(h) for h in hashes]


# --- Through the vector index -------------------------------------------------------------------


def same(found: list[Hit], expected: list[Hit]) -> bool:
    """The same articles in the same order, with the same cosines (to float32's precision)."""
    ids = [hit.article_id for hit in found] == [hit.article_id for hit in expected]
    scores = [hit.score for hit in found], [hit.score for hit in expected]
    return ids and np.allclose(*scores, atol=1e-6)


def both(store: Store, **options: object) -> tuple[VectorIndex, VectorIndex]:
    """An exact index and an approximate one over the same stored vectors."""
    VectorIndex(store, WordEmbedder(same=SAME), "title+lead").embed()
    exact = VectorIndex(store, WordEmbedder(same=SAME), "title+lead", approximate_from=0)
    nearest = VectorIndex(
        store, WordEmbedder(same=SAME), "title+lead", approximate_from=1, **options
    )  # type: ignore[arg-type]
    return exact, nearest


def test_it_finds_what_exact_search_finds(store: Store) -> None:
    corpus(store)
    exact, nearest = both(store)
    assert nearest.approximate and not exact.approximate
    assert all(m is None for m in nearest._view.matrices)  # no float32 copy: the store has them
    assert all(m is not None for m in exact._view.matrices)
    for question in ("my calves knot at night", "ear ache", "yawning when tired"):
        query = exact.embed_query(question)
        assert same(nearest.search(query, 3), exact.search(query, 3))


def test_it_follows_an_edit_and_a_retirement(store: Store) -> None:
    corpus(store)
    writer, nearest = both(store, reload_seconds=0)
    ear = store.get_article("what-is-ear-pain")
    edited = article("ear", "Why do knees pop?", body="Gas in the joint.")
    store.update_article(ear.id, edited, ear.revision, "t", "edit")
    yawn = store.get_article("why-do-we-yawn")
    store.set_status(yawn.id, "retired", "t", "retire")
    nearest.refresh()  # the edited text's vector is set aside until it is embedded
    query = nearest.embed_query("knees pop")
    assert {hit.article_id for hit in nearest.search(query, 3)} == {1}
    writer.embed()  # import or reindex embeds the new text
    nearest.refresh()  # and a reader takes it up
    found = nearest.search(query, 3)
    assert found[0].article_id == ear.id
    assert yawn.id not in {hit.article_id for hit in found}


def test_a_vector_stored_after_the_view_was_made_is_not_taken_for_the_old_one(
    store: Store,
) -> None:
    """While the graph serves, candidates are scored from the store: a vector another process
    stored since this reader last looked belongs to another text, and waits for a refresh."""
    corpus(store)
    writer, nearest = both(store, reload_seconds=0)
    ear = store.get_article("what-is-ear-pain")
    edited = article("ear", "Why do knees pop?", body="Gas in the joint.")
    store.update_article(ear.id, edited, ear.revision, "t", "edit")
    writer.refresh()
    writer.embed()  # another process: the reader has not looked at the change log since
    query = nearest.embed_query("knees pop")
    assert ear.id in writer.similarities(query, [ear.id])
    assert nearest.similarities(query, [ear.id]) == {}
    nearest.refresh()  # takes up the new vector
    assert nearest.similarities(query, [ear.id]) == writer.similarities(query, [ear.id])


def test_it_is_saved_in_the_index_folder_and_taken_up_from_there(
    store: Store, tmp_path: Path
) -> None:
    corpus(store)
    _, first = both(store, folder=tmp_path)
    path = index_file(tmp_path, first.model)
    assert path.exists()
    saved = path.stat().st_mtime_ns
    again = VectorIndex(
        store, WordEmbedder(same=SAME), "title+lead", approximate_from=1, folder=tmp_path
    )
    assert path.stat().st_mtime_ns == saved  # loaded as it was: nothing to add or save
    query = again.embed_query("ear ache")
    assert same(again.search(query, 3), first.search(query, 3))
    path.write_bytes(b"not an index")  # a broken file is built anew from the vectors
    rebuilt = VectorIndex(
        store, WordEmbedder(same=SAME), "title+lead", approximate_from=1, folder=tmp_path
    )
    assert same(rebuilt.search(query, 3), first.search(query, 3))
