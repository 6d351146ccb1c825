"""Ranking measures and Spearman's rho, checked against values worked out by hand on the
tiny-bench fixture (invented)."""

from __future__ import annotations

from math import log2, sqrt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthqa.evaluate import (
    EvaluationError,
    load_beir,
    score_run,
    spearman_rho,
    table,
)

EVAL = Path(__file__).parent / "fixtures" / "eval"
TINY = EVAL / "tiny-bench"


# --- Ranking measures -------------------------------------------------------------------------

# The tiny-bench qrels (relevant = grade >= 2):
#   q1: h1 3, h2 2, h3 0, h4 1, h5 3          R = 3 (h1, h2, h5)
#   q2: y1 1, y2 3                            R = 1 (y2)
#   q3: e1 0, e2 1                            R = 0: no relevant document
RUN = {
    "q1": ["h3", "h1", "h9", "h2", "h4", "h1"],  # h9 was never judged; the second h1 is ignored
    "q2": ["y2", "y1"],
    "q4": ["h1"],  # not in the qrels: ignored
}
# q1, rank by rank: h3 (0, not rel.), h1 (3, rel.), h9 (unjudged), h2 (2, rel.), h4 (1, not rel.)
#   AP@10    = (1/2 + 2/4) / R = 1 / 3            (trec_eval: divided by R = 3)
#   RR@10    = 1/2
#   DCG@10   = 0 + 3/log2(3) + 0 + 2/log2(5) + 1/log2(6)
#   IDCG@10  = grades 3, 3, 2, 1, 0 -> 3/log2(2) + 3/log2(3) + 2/log2(4) + 1/log2(5)
#   P@5      = 2/5;  succ@1 = 0;  avgScore@1 = 0 (h3 is judged 0);  judged@10 = 4 of 5
# q2: y2 (3, rel.), y1 (1): AP = 1, RR = 1, nDCG = 1, P@5 = 1/5, succ@1 = 1, avgScore@1 = 3,
#   judged@10 = 1
# q3: not in the run: every measure 0.
Q1_NDCG = (3 / log2(3) + 2 / log2(5) + 1 / log2(6)) / (3 + 3 / log2(3) + 2 / 2 + 1 / log2(5))


def test_score_run_matches_the_hand_worked_example() -> None:
    scores = score_run(RUN, load_beir(TINY).qrels)
    q1 = scores.per_query["q1"]
    assert q1.map == pytest.approx(1 / 3)
    assert q1.mrr == pytest.approx(1 / 2)
    assert q1.ndcg == pytest.approx(Q1_NDCG)
    assert round(Q1_NDCG, 5) == 0.49672
    assert (q1.p5, q1.succ1, q1.avg_score1, q1.judged) == pytest.approx((0.4, 0, 0, 0.8))
    q2 = scores.per_query["q2"]
    assert (q2.map, q2.mrr, q2.ndcg, q2.p5, q2.succ1, q2.avg_score1, q2.judged) == pytest.approx(
        (1, 1, 1, 0.2, 1, 3, 1)
    )
    assert set(scores.per_query) == {"q1", "q2", "q3"}
    assert scores.per_query["q3"].ndcg == 0 and scores.per_query["q3"].judged == 0
    assert scores.map == pytest.approx((1 / 3 + 1 + 0) / 3)  # = 4/9
    assert scores.mrr == pytest.approx(0.5)
    assert scores.ndcg == pytest.approx((Q1_NDCG + 1) / 3)
    assert scores.p5 == pytest.approx(0.2)
    assert scores.succ1 == pytest.approx(1 / 3)
    assert scores.avg_score1 == pytest.approx(1.0)
    assert scores.judged == pytest.approx(0.6)
    assert (scores.queries, scores.no_relevant, scores.k, scores.relevant_grade) == (3, 1, 10, 2)


def test_map_divides_by_all_relevant_documents_not_by_k() -> None:
    # At k = 2, q1 keeps h3, h1: AP = (1/2) / R = 1/6 (min(R, k) would give 1/4).
    scores = score_run(RUN, load_beir(TINY).qrels, k=2)
    q1 = scores.per_query["q1"]
    assert q1.map == pytest.approx(1 / 6)
    assert q1.ndcg == pytest.approx((3 / log2(3)) / (3 + 3 / log2(3)))
    assert q1.judged == 1.0  # both of the top 2 were judged
    assert q1.p5 == pytest.approx(0.4)  # P@5 and succ@1 do not depend on k


def test_relevant_grade_moves_the_line() -> None:
    # At grade >= 1, q1 has R = 4 (h1, h2, h4, h5) and hits at ranks 2, 4, 5:
    # AP = (1/2 + 2/4 + 3/5) / 4 = 0.4; q3 now has a relevant document (e2) the run misses.
    scores = score_run(RUN, load_beir(TINY).qrels, relevant_grade=1)
    assert scores.per_query["q1"].map == pytest.approx(0.4)
    assert scores.no_relevant == 0
    assert scores.per_query["q1"].ndcg == pytest.approx(Q1_NDCG)  # gains are grades either way


def test_negative_grades_gain_nothing_and_an_empty_ranking_scores_zero() -> None:
    # a: -1 (0 gain, not relevant), b: 2, c: 1. Ranking a, b: DCG = 2/log2(3);
    # ideal b, c, a: 2 + 1/log2(3). AP@10 = (1/2) / 1; judged@10 = 2 of 2.
    qrels = {"q": {"a": -1, "b": 2, "c": 1}, "empty": {"a": 3}}
    scores = score_run({"q": ["a", "b"], "empty": []}, qrels)
    q = scores.per_query["q"]
    assert q.ndcg == pytest.approx((2 / log2(3)) / (2 + 1 / log2(3)))
    assert (q.map, q.mrr, q.succ1, q.avg_score1, q.judged) == pytest.approx((0.5, 0.5, 0, 0, 1))
    empty = scores.per_query["empty"]
    assert (empty.map, empty.ndcg, empty.judged, empty.avg_score1) == (0, 0, 0, 0)


def test_scores_to_dict_and_table() -> None:
    qrels = load_beir(TINY).qrels
    scores = {"hand-made": score_run(RUN, qrels), "nothing": score_run({}, qrels)}
    data = scores["hand-made"].to_dict()
    assert list(data)[:7] == [
        "MAP@10",
        "MRR@10",
        "nDCG@10",
        "P@5",
        "succ@1",
        "avgScore@1",
        "judged@10",
    ]
    assert data["no_relevant"] == 1 and data["per_query"]["q2"]["avgScore@1"] == 3
    text = table(scores)
    lines = text.splitlines()
    assert lines[0].split() == [
        "system", "MAP@10", "MRR@10", "nDCG@10", "P@5", "succ@1", "avgScore@1", "judged@10",
        "queries", "no", "rel.",
    ]  # fmt: skip
    assert lines[1].split() == [
        "hand-made", "0.4444", "0.5000", f"{(Q1_NDCG + 1) / 3:.4f}", "0.2000", "0.3333",
        "1.0000", "0.6000", "3", "1",
    ]  # fmt: skip
    assert lines[2].startswith("nothing ") and lines[2].split()[1:3] == ["0.0000", "0.0000"]
    assert len({len(line) for line in lines}) == 1  # fixed width
    assert table({}) == ""


def test_score_run_refuses_nonsense() -> None:
    with pytest.raises(EvaluationError, match="no judged query"):
        score_run({"q1": ["a"]}, {})
    with pytest.raises(ValueError, match="k must be"):
        score_run({}, {"q1": {"a": 1}}, k=0)
    ten = score_run({}, {"q1": {"a": 1}})
    five = score_run({}, {"q1": {"a": 1}}, k=5)
    with pytest.raises(ValueError, match="different k"):
        table({"ten": ten, "five": five})


_judgments = st.dictionaries(st.sampled_from("abcdefghijkl"), st.integers(0, 3), min_size=1)


@settings(max_examples=200, deadline=None)
@given(judged=_judgments, ranking=st.lists(st.sampled_from("abcdefghijklmnop"), max_size=15))
def test_measures_stay_in_range_and_the_ideal_ranking_is_ideal(
    judged: dict[str, int], ranking: list[str]
) -> None:
    scores = score_run({"q": ranking}, {"q": judged}).per_query["q"]
    for value in (scores.map, scores.mrr, scores.ndcg, scores.p5, scores.succ1, scores.judged):
        assert 0 <= value <= 1 + 1e-12
    assert 0 <= scores.avg_score1 <= 3
    ideal = sorted(judged, key=lambda doc: -judged[doc])
    best = score_run({"q": ideal}, {"q": judged}).per_query["q"]
    relevant = sum(grade >= 2 for grade in judged.values())
    assert best.map == pytest.approx(min(relevant, 10) / relevant if relevant else 0)
    assert best.ndcg == pytest.approx(1.0 if any(judged.values()) else 0.0)
    assert best.ndcg >= scores.ndcg - 1e-12


# --- Spearman's rho ---------------------------------------------------------------------------


def test_spearman_rho_by_hand() -> None:
    # No ties: positions 1..4 against reference ranks 2, 1, 4, 3: d = -1, 1, -1, 1,
    # rho = 1 - 6 * 4 / (4 * (16 - 1)) = 0.6.
    assert spearman_rho([1, 2, 3, 4], [2, 1, 4, 3]) == pytest.approx(0.6)
    # Ties: x = 1, 2, 2, 4 ranks 1, 2.5, 2.5, 4; y = 10, 30, 20, 40 ranks 1, 3, 2, 4.
    # Centred (mean 2.5): dx = -1.5, 0, 0, 1.5; dy = -1.5, 0.5, -0.5, 1.5.
    # sum dx*dy = 4.5; sum dx^2 = 4.5; sum dy^2 = 5; rho = 4.5 / sqrt(4.5 * 5) = 3 / sqrt(10).
    assert spearman_rho([1, 2, 2, 4], [10, 30, 20, 40]) == pytest.approx(3 / sqrt(10))
    assert spearman_rho([3, 2, 1], [1, 2, 3]) == pytest.approx(-1.0)


def test_spearman_rho_is_none_when_undefined() -> None:
    assert spearman_rho([1], [5]) is None
    assert spearman_rho([], []) is None
    assert spearman_rho([1, 2, 3], [7, 7, 7]) is None
    with pytest.raises(ValueError, match="one length"):
        spearman_rho([1, 2], [1])


@settings(max_examples=100, deadline=None)
@given(st.permutations(list(range(1, 9))), st.integers(2, 8))
def test_spearman_rho_without_ties_is_the_textbook_formula(order: list[int], n: int) -> None:
    reference = [value for value in order if value <= n]
    d2 = sum((position - rank) ** 2 for position, rank in enumerate(reference, start=1))
    assert spearman_rho(range(1, n + 1), reference) == pytest.approx(1 - 6 * d2 / (n * (n * n - 1)))
