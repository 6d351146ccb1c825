"""The scale benchmark's corpus generator (benchmarks/make_corpus.py) on a tiny corpus.

The fixture: twelve question-answer articles, three each about four everyday topics, written
for this test. The generator must give the same file for the same seed, the size asked for,
the real articles first, no title twice, and no more near-duplicates than the real articles
have among themselves.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from healthqa.articles import title_key
from healthqa.imports import import_paths
from healthqa.store import open_store

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
TINY = Path(__file__).parent / "fixtures" / "scale" / "corpus.jsonl"

sys.path.insert(0, str(BENCHMARKS))
try:
    import make_corpus
finally:
    sys.path.remove(str(BENCHMARKS))


def written(size: int, seed: int = 7) -> list[dict[str, object]]:
    return [record for record, _ in make_corpus.generate(TINY, size, seed)]


def test_the_same_seed_gives_the_same_corpus_and_another_seed_another() -> None:
    assert written(80) == written(80)
    assert written(80) != written(80, seed=8)


def test_sizes_and_the_real_articles_first() -> None:
    real = [json.loads(line) for line in TINY.read_text().splitlines()]
    assert written(5) == real[:5]
    corpus = written(80)
    assert len(corpus) == 80 and corpus[:12] == real
    ids = [record["_id"] for record in corpus]
    assert len(set(ids)) == 80


def test_generated_articles_mix_topics_and_never_repeat_a_title() -> None:
    corpus = written(80)
    topic_of = {  # each real sentence, and the topic of the article it comes from
        sentence: record["metadata"]["focus"]  # type: ignore[index]
        for record in corpus[:12]
        for sentence in make_corpus.sentences(str(record["text"]))
    }
    assert len({title_key(str(record["title"])) for record in corpus}) == 80
    for record in corpus[12:]:
        focus = record["metadata"]["focus"]  # type: ignore[index]
        assert str(focus) in str(record["title"])  # the title asks about its topic
        topics = [topic_of[s] for s in make_corpus.sentences(str(record["text"]))]
        assert topics[0] == focus and len(set(topics)) >= 2  # starts on it, then others


@pytest.fixture
def files(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    real, grown = tmp_path / "real.jsonl", tmp_path / "grown.jsonl"
    real.write_text(TINY.read_text())
    grown.write_text("".join(json.dumps(record) + "\n" for record in written(90)))
    yield real, grown


def test_no_more_near_duplicates_than_the_real_articles_have(files: tuple[Path, Path]) -> None:
    counts = []
    for path in files:
        store = open_store(":memory:")
        summary = import_paths(store, [str(path)], workers=0)
        counts.append(summary.near_duplicates)
        store.close()
    real, grown = counts
    assert real is not None and grown is not None
    assert grown <= real + 2  # 78 generated articles add at most a chance pair or two


def test_generated_vectors_stay_near_their_source_and_have_length_one() -> None:
    rng = np.random.default_rng(3)
    source = rng.normal(size=(2, make_corpus.DIMENSION)).astype(np.float32)
    source /= np.linalg.norm(source, axis=-1, keepdims=True)
    moved = make_corpus.noisy(source, 0.025, rng)
    assert np.allclose(np.linalg.norm(moved, axis=-1), 1.0, atol=1e-5)
    cosines = np.sum(moved * source, axis=-1)
    assert np.all(cosines > 0.85) and np.all(cosines < 0.97)


def test_sentences_and_templates() -> None:
    assert make_corpus.sentences("One. Two? (Three) four! 5 mg.") == (
        "One.",
        "Two?",
        "(Three) four!",
        "5 mg.",
    )
    assert make_corpus.template("What causes leg cramps ?", "Leg Cramps") == "What causes {} ?"
    assert make_corpus.template("What is {x}?", "pain") is None
