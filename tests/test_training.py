"""Training the retrieval model: linking questions to articles, the examples, the fit, its
calibration and lines, on a tiny invented collection with the deterministic fake embedder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from test_store import article

from healthqa.embedders import WordEmbedder
from healthqa.evaluate.calibration import ece, reliability
from healthqa.index.lexical import LexicalIndex
from healthqa.index.sync import sync
from healthqa.rerank import RETRIEVAL_FEATURES, Model, Reranker
from healthqa.search import Search
from healthqa.store import Store
from healthqa.training import Examples, Query, examples, fit_retrieval, near_duplicates
from healthqa.training.dataset import containment, link_answers, shingles
from healthqa.training.retrieval import apply, best_line, platt

CRAMPS = (
    "Leg cramps are sudden painful tightenings of the calf muscles that often come at night "
    "and are common late in pregnancy; stretching the calf before bed helps many people."
)


def _search(store: Store) -> Search:
    store.save_batch(
        [
            article("c", "What are leg cramps?", body=CRAMPS),
            article("h", "How do I stop hiccups?", body="Sip cold water or hold your breath."),
            article("b", "What is burping?", body="Burping lets swallowed air out of the stomach."),
        ],
        "t",
        "r",
    )
    index = LexicalIndex()
    sync(store, index)
    return Search(store, index)


def _reranker() -> Reranker:
    n = len(RETRIEVAL_FEATURES)
    blank = Model(RETRIEVAL_FEATURES, [0.0] * n, [1.0] * n, [0.0] * n, 0.0)
    return Reranker(blank, blank, "fake", "title", embedder=WordEmbedder())


def test_an_answer_is_contained_by_the_text_that_carries_its_shingles() -> None:
    assert shingles("one two three") == {("one", "two", "three")}
    assert len(shingles("alpha bravo charlie delta echo foxtrot golf hotel", 5)) == 4
    assert containment(CRAMPS, "Intro. " + CRAMPS + " More.") == 1.0
    assert containment(CRAMPS, "Hiccups are a spasm of the diaphragm.") == 0.0


def test_a_reference_answer_links_the_article_that_carries_it(store: Store) -> None:
    search = _search(store)
    linked = link_answers(search, [CRAMPS, "Too short to link."])
    assert [search.store.get_article(i).external_id for i in linked] == ["c"]


def test_the_check_half_is_fixed_by_the_id() -> None:
    ids = [f"liveqa:q{i}" for i in range(400)]
    held = [Query(i, "text", frozenset()).check for i in ids]
    assert held == [Query(i, "other", frozenset({1})).check for i in ids]
    assert 60 < sum(held) < 140  # about one in four
    assert Query("rqe:1", "t", frozenset()).source == "rqe"


def test_examples_label_the_answer_and_leave_out_its_near_duplicates(store: Store) -> None:
    search = _search(store)
    ids = {a.external_id: a.id for a in store.iter_articles()}
    query = Query("liveqa:1", "my calves cramp at night", frozenset({ids["c"]}))
    found = examples(search, _reranker(), [query], {ids["c"]: {ids["b"]}})
    assert found.x.shape[1] == len(RETRIEVAL_FEATURES)
    assert found.y.sum() == 1.0
    kept = examples(search, _reranker(), [query], {})
    assert len(kept.y) >= len(found.y)
    assert near_duplicates(search) == {}  # none recorded in this store


def _synthetic(n: int = 400) -> Examples:
    """Questions of 5 candidates whose first feature says which is right, noisily."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n * 5, len(RETRIEVAL_FEATURES)))
    right = rng.integers(0, 5, n)
    y = np.zeros(n * 5)
    y[np.arange(n) * 5 + right] = 1.0
    x[:, 3] += 2.0 * y  # the cosine column carries the signal
    queries = [Query(f"liveqa:{i}", "t", frozenset()) for i in range(n)]
    return Examples(x, y, np.repeat(np.arange(n), 5), queries)


def test_fitting_ranks_better_than_the_first_stage_and_calibrates() -> None:
    fitted = fit_retrieval(_synthetic())
    figures = fitted.figures
    assert figures["mrr@10 reranked"] > figures["mrr@10 first stage"] + 0.2
    assert figures["top1 reranked"] > figures["top1 first stage"]
    assert figures["ece calibrated (cross-fitted)"] < 0.12
    assert 0.05 <= fitted.min_confidence < fitted.good_match <= 0.95
    assert (
        sum(b.questions for b in fitted.reliability)
        == figures["consumer questions calibrated on"]
        == 400
    )


def test_fit_is_the_l2_logistic_regression_with_an_unpenalised_bias() -> None:
    # At the minimum of sum(log loss) + L2/2 * |w|^2 (bias not penalised) the gradient is 0:
    # Z'(p - y) + L2 * w = 0 for the weights, sum(p - y) = 0 for the bias, on standardised Z.
    from healthqa.training.mediqa import L2, fit

    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 3)) * [1.0, 20.0, 0.1] + [0.0, 100.0, -5.0]
    x = np.column_stack([x, np.full(300, 7.0)])  # a constant feature: scale 1, weight 0
    truth = 1 / (1 + np.exp(-(x[:, 0] - 0.05 * (x[:, 1] - 100) + 0.5)))
    y = (rng.uniform(size=300) < truth).astype(float)
    model = fit(("a", "b", "c", "d"), x, y)
    assert model.scale[3] == 1.0 and model.weights[3] == pytest.approx(0.0, abs=1e-9)
    z = (x - np.array(model.mean)) / np.array(model.scale)
    residual = model.probability(x) - y
    assert z.T @ residual + L2 * np.array(model.weights) == pytest.approx(np.zeros(4), abs=1e-6)
    assert residual.sum() == pytest.approx(0.0, abs=1e-6)
    # Worked by Newton's method before scikit-learn did it (issue 18): the same fit.
    assert model.weights[:3] == pytest.approx([1.115609, -0.996909, 0.134472], abs=1e-5)
    assert model.bias == pytest.approx(0.272476, abs=1e-5)
    with pytest.raises(ValueError, match="one label"):
        fit(("a",), x[:, :1], np.ones(300))


def test_platt_scaling_repairs_an_overconfident_score() -> None:
    rng = np.random.default_rng(5)
    truth = rng.uniform(0.05, 0.95, 4000)
    right = (rng.uniform(size=4000) < truth).astype(float)
    overconfident = 1 / (1 + np.exp(-3 * np.log(truth / (1 - truth))))
    assert ece(overconfident, right) > 0.1
    assert ece(apply(platt(overconfident, right), overconfident), right) < 0.03
    assert platt(np.array([0.5]), np.array([1.0])) == (1.0, 0.0)  # too little to fit


def test_the_answer_line_separates_right_from_wrong() -> None:
    p = np.array([0.15, 0.25, 0.35, 0.65, 0.75, 0.95])
    right = np.array([0, 0, 0, 1, 1, 1], dtype=float)
    assert 0.35 < best_line(p, right) <= 0.65
    assert [b.questions for b in reliability(p, right)] == [1, 1, 1, 1, 1, 1]


@pytest.mark.parametrize("p", [np.zeros(0)])
def test_no_check_questions_give_neutral_figures(p: np.ndarray) -> None:
    assert ece(p, p) == 0.0
    assert best_line(p, p) == 0.3


# --- The command --------------------------------------------------------------------------------

HICCUPS = (
    "Hiccups are sudden tightenings of the breathing muscle under the lungs. Most bouts stop "
    "on their own within minutes. Hiccups are sudden tightenings of the diaphragm. The sound "
    "comes from the vocal cords snapping shut."
)


def _data_folder(root: Path) -> Path:
    """A data folder laid out as ../shared/data, from the team's tiny fixtures."""
    from conftest import FIXTURES, make_tar

    medquad = FIXTURES / "medquad"
    members = {
        f"MedQuAD/{path.relative_to(medquad)}": path.read_bytes()
        for path in sorted(medquad.rglob("*.xml"))
    }
    root.mkdir()
    make_tar(root / "medquad.tar.gz", members)
    (root / "mediqa2019").mkdir()
    for fixture, name in (
        ("qa-judged.xml", "MEDIQA2019-Task3-QA-TrainingSet2-Alexa.xml"),
        ("rqe-labelled.xml", "MEDIQA2019-Task2-RQE-TrainingSet-AMIA2016.xml"),
    ):
        shutil.copy(FIXTURES / "eval" / fixture, root / "mediqa2019" / name)
    (root / "liveqa2017-train").mkdir()
    (root / "liveqa2017-train" / "tiny.xml").write_text(
        "<NLM-QUESTIONS><NLM-QUESTION questionid='Q1'><SUBJECT>hiccups</SUBJECT>"
        "<MESSAGE>why won't my hiccups stop?</MESSAGE><SUB-QUESTIONS><SUB-QUESTION>"
        "<ANNOTATIONS><FOCUS>hiccups</FOCUS><TYPE>treatment</TYPE></ANNOTATIONS>"
        f"<ANSWERS><ANSWER>{HICCUPS}</ANSWER></ANSWERS>"
        "</SUB-QUESTION></SUB-QUESTIONS></NLM-QUESTION></NLM-QUESTIONS>",
        encoding="utf-8",
    )
    return root


def test_train_data_builds_the_set_fits_and_ask_then_uses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from healthqa.cli import main
    from healthqa.embedders import register, unregister

    register("fake", lambda threads: WordEmbedder())
    monkeypatch.setenv("HEALTHQA_EMBEDDING_MODEL", "fake")
    monkeypatch.setenv("HEALTHQA_EMBEDDING_TEXT", "title")
    try:
        data = _data_folder(tmp_path / "data")
        out = tmp_path / "reranker.json"
        db = str(tmp_path / "x.db")
        args = ["--db", db, "train", "--data", str(data), "--out", str(out)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert "liveqa: 1 questions linked" in result.output
        assert "question pairs: 1 questions, 1 positive, 2 same focus" in result.output
        saved = json.loads(out.read_text())
        assert saved["retrieval"]["features"] == list(RETRIEVAL_FEATURES)
        monkeypatch.setenv("HEALTHQA_RERANKER_PATH", str(out))
        stats = CliRunner().invoke(main, ["--db", db, "stats", "--json"])
        assert json.loads(stats.output)["ranking"].startswith("hybrid")  # the default stays
        monkeypatch.setenv("HEALTHQA_RANKING", "reranked")  # the re-ranker is chosen by setting
        asked = CliRunner().invoke(main, ["--db", db, "ask", "why do I hiccup?", "--json"])
        assert asked.exit_code == 0, asked.output
        stats = CliRunner().invoke(main, ["--db", db, "stats", "--json"])
        assert "reranked" in json.loads(stats.output)["ranking"]
    finally:
        unregister("fake")
