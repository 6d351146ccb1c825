"""Benchmark readers and measures, checked against values worked out by hand.

Fixtures in tests/fixtures/eval are invented: a three-query BEIR folder (tiny-bench), a MEDIQA
Task 3 file in the judged layout and one in the test layout, and Task 2 files with and without
labels. The slow tests read the real sets beside the repository, in ../shared.
"""

from __future__ import annotations

import io
import shutil
from math import log2, sqrt
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path
from hypothesis import given, settings
from hypothesis import strategies as st

from healthqa.evaluate import (
    EvaluationError,
    QAQuestion,
    Query,
    Scores,
    load_beir,
    load_mediqa_qa,
    load_rqe,
    mediqa_reference_run,
    mediqa_system_run,
    read_mediqa_qa_run,
    read_rqe_run,
    read_trec_run,
    score_mediqa_qa,
    score_rqe,
    score_run,
    spearman_rho,
    table,
    write_mediqa_qa_run,
    write_rqe_run,
    write_trec_run,
)

EVAL = Path(__file__).parent / "fixtures" / "eval"
TINY = EVAL / "tiny-bench"

# --- BEIR folders -----------------------------------------------------------------------------


def test_load_beir_reads_the_judged_queries_and_graded_qrels() -> None:
    bench = load_beir(TINY)
    assert bench.corpus_path == TINY / "corpus.jsonl"
    # q4 has no judgments in this split, so (as BEIR's loader does) it is left out.
    assert [query.id for query in bench.queries] == ["q1", "q2", "q3"]
    assert bench.queries[0] == Query(
        "q1",
        "hiccups. why do i get hiccups after fizzy drinks??",
        {"summary": "Why do fizzy drinks cause hiccups?"},
    )
    assert bench.qrels["q1"] == {"h1": 3, "h2": 2, "h3": 0, "h4": 1, "h5": 3}
    # y1 is judged 1, then 0: the highest grade stands, whatever the order, and is reported.
    assert bench.qrels["q2"] == {"y1": 1, "y2": 3}
    assert bench.regraded == {("q2", "y1"): [1, 0]}


def test_qrels_without_a_header_keep_their_first_line(tmp_path: Path) -> None:
    folder = _copy_tiny(tmp_path)
    (folder / "qrels" / "test.tsv").write_text("q1\th1\t3\n")
    assert load_beir(folder).qrels == {"q1": {"h1": 3}}


def _copy_tiny(tmp_path: Path) -> Path:
    return Path(shutil.copytree(TINY, tmp_path / "bench"))


@pytest.mark.parametrize(
    ("file", "content", "where", "says"),
    [
        ("corpus.jsonl", None, "corpus.jsonl", "no such file"),
        ("queries.jsonl", None, "queries.jsonl", "no such file"),
        ("queries.jsonl", '{"_id": "q1", "text": "a"}\n[1, 2]\n', "queries.jsonl:2", "found list"),
        ("queries.jsonl", '{"_id": "q1", "text": "a"}\n{oops\n', "queries.jsonl:2", "not JSON"),
        ("queries.jsonl", '{"_id": "q1"}\n', "queries.jsonl:1", '"text" must be a string'),
        ("queries.jsonl", '{"_id": 7, "text": "a"}\n', "queries.jsonl:1", '"_id" must be'),
        ("queries.jsonl", '{"_id": "q1", "text": "a"}\n' * 2, "queries.jsonl:2", "twice"),
        ("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\th1\n", "test.tsv:2", "3 tab-separated"),
        ("qrels/test.tsv", "q1\th1\t3\nq1 h2 2\n", "test.tsv:2", "3 tab-separated"),
        ("qrels/test.tsv", "q1\th1\t3\nq1\th2\tgood\n", "test.tsv:2", "whole number"),
        ("qrels/test.tsv", "q1\th1\t3\nq9\th2\t1\n", "test.tsv:2", "not in queries.jsonl"),
        ("qrels/test.tsv", b"q1\th1\t3\n\xff\n", "test.tsv:2", "not UTF-8"),
    ],
)
def test_malformed_beir_input_names_the_file_and_line(
    tmp_path: Path, file: str, content: str | bytes | None, where: str, says: str
) -> None:
    folder = _copy_tiny(tmp_path)
    if content is None:
        (folder / file).unlink()
    else:
        data = content if isinstance(content, bytes) else content.encode()
        (folder / file).write_bytes(data)
    with pytest.raises(EvaluationError) as caught:
        load_beir(folder)
    assert where in str(caught.value) and says in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert caught.value.path is not None and caught.value.path.endswith(file)
    assert caught.value.line == (int(where.rsplit(":", 1)[1]) if ":" in where else None)


def test_a_missing_split_names_its_file() -> None:
    with pytest.raises(EvaluationError, match=r"qrels/dev\.tsv: no such file"):
        load_beir(TINY, split="dev")


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


# --- TREC run files ---------------------------------------------------------------------------


def test_trec_run_round_trip_keeps_the_top_k() -> None:
    run = {"q1": [("h5", 9.5), ("h1", 7.25), ("h2", 7.25), ("h3", 1.0)], "q2": [("y2", 0.5)]}
    out = io.StringIO()
    write_trec_run(run, out, tag="bm25", k=3)
    assert out.getvalue().splitlines() == [
        "q1 Q0 h5 1 9.5 bm25",
        "q1 Q0 h1 2 7.25 bm25",
        "q1 Q0 h2 3 7.25 bm25",
        "q2 Q0 y2 1 0.5 bm25",
    ]


def test_read_trec_run_orders_by_score_then_rank(tmp_path: Path) -> None:
    path = tmp_path / "run.txt"
    run = {"q1": [("h5", 9.5), ("h1", 7.25), ("h2", 7.25), ("h3", 1.0)], "q2": [("y2", 0.5)]}
    with path.open("w") as out:
        write_trec_run(run, out, tag="bm25", k=3)
    assert read_trec_run(path) == {"q1": ["h5", "h1", "h2"], "q2": ["y2"]}
    # Someone else's run: trec_eval goes by score, not by the order of lines or the rank column.
    path.write_text("q1 Q0 a 1 0.2 x\nq1 Q0 b 1 0.9 x\n\nq1 Q0 c 0 0.2 x\n")
    assert read_trec_run(path) == {"q1": ["b", "c", "a"]}


def test_write_trec_run_writes_plain_numbers_and_refuses_bad_rankings() -> None:
    out = io.StringIO()
    write_trec_run({"q1": [("a", np.float32(0.5)), ("b", 0)]}, out, tag="t")
    assert out.getvalue() == "q1 Q0 a 1 0.5 t\nq1 Q0 b 2 0.0 t\n"
    bad = [
        ({"q1": [("a", 0.1), ("b", 0.2)]}, "t", "never increase"),
        ({"q1": [("a", float("nan"))]}, "t", "finite"),
        ({"q1": [("a", 0.2), ("a", 0.1)]}, "t", "ranked twice"),
        ({"q 1": [("a", 0.2)]}, "t", "no spaces"),
        ({"q1": [("a b", 0.2)]}, "t", "no spaces"),
        ({"q1": [("a", 0.2)]}, "my run", "no spaces"),
    ]
    for run, tag, says in bad:
        out = io.StringIO()
        with pytest.raises(ValueError, match=says):
            write_trec_run({"q0": [("fine", 1.0)], **run}, out, tag=tag)
        assert out.getvalue() == ""  # nothing is written unless everything is right


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("q1 Q0 a 1 0.5 x\nq1 Q0 b 2 0.4\n", "run.txt:2: expected 6 fields"),
        ("q1 Q0 a 1 high x\n", "run.txt:1: the rank must be a whole number and the score"),
        ("q1 Q0 a first 0.5 x\n", "run.txt:1: the rank"),
        ("q1 Q0 a 1 inf x\n", "run.txt:1:"),
        ("q1 Q0 a 1 0.5 x\nq1 Q0 a 2 0.4 x\n", "run.txt:2: a is listed twice"),
    ],
)
def test_malformed_trec_runs_name_the_line(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "run.txt"
    path.write_text(text)
    with pytest.raises(EvaluationError, match=says):
        read_trec_run(path)


def test_a_missing_run_file_is_an_evaluation_error(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match=r"nothing\.txt: cannot read"):
        read_trec_run(tmp_path / "nothing.txt")


# --- MEDIQA 2019 Task 3 (QA) ------------------------------------------------------------------


@pytest.fixture
def tiny_qa() -> list[QAQuestion]:
    return load_mediqa_qa(EVAL / "qa-judged.xml")


def test_load_mediqa_qa_reads_the_judged_layout(tiny_qa: list[QAQuestion]) -> None:
    assert [q.id for q in tiny_qa] == ["1", "2", "3"]
    first = tiny_qa[0]
    assert first.text == "hiccups. how do i stop hiccups that won't go away?"
    assert [a.id for a in first.answers] == ["1_Answer1", "1_Answer2", "1_Answer3", "1_Answer4"]
    answer = first.answers[1]
    assert (answer.system_rank, answer.reference_rank, answer.reference_score) == (2, 1, 4)
    assert answer.url == "https://example.org/hiccups/stopping"
    assert answer.text.startswith("Hiccups (Treatment): sipping cold water")
    assert [a.correct for a in first.answers] == [False, True, True, False]  # scores 2, 4, 3, 1


def test_load_mediqa_qa_reads_the_test_layout() -> None:
    [question] = load_mediqa_qa(EVAL / "qa-test-layout.xml")
    assert [a.id for a in question.answers] == ["7_Answer2", "7_Answer1"]  # file order: CHiQA's
    assert all(
        (a.system_rank, a.reference_rank, a.reference_score, a.correct) == (None, None, None, None)
        for a in question.answers
    )
    assert mediqa_system_run([question]) == {"7": [("7_Answer2", 1), ("7_Answer1", 1)]}
    with pytest.raises(EvaluationError, match="no ReferenceScore"):
        score_mediqa_qa([question], {"7": [("7_Answer1", 1)]})


# Gold (ReferenceScore >= 3), in CHiQA's order, with the reference ranks:
#   Q1: A1 no (ref 3), A2 yes (ref 1), A3 yes (ref 2), A4 no (ref 4)
#   Q2: A1 yes (ref 1), A2 no (ref 2)
#   Q3: A1 yes (ref 2), A2 yes (ref 3), A3 yes (ref 1)
# 9 answers, 6 correct.


def test_chiqa_order_everything_correct(tiny_qa: list[QAQuestion]) -> None:
    # Accuracy = precision = 6/9. MRR: Q1 first correct at 2, Q2 and Q3 at 1 -> (1/2 + 1 + 1) / 3.
    # Spearman over the correct answers labelled 1: Q1 A2, A3 at positions 1, 2 vs ranks 1, 2 -> 1;
    # Q2 has one (undefined, left out); Q3 positions 1, 2, 3 vs ranks 2, 3, 1: d = -1, -1, 2,
    # rho = 1 - 6 * 6 / (3 * 8) = -0.5. Mean of 1 and -0.5 = 0.25.
    scores = score_mediqa_qa(tiny_qa, mediqa_system_run(tiny_qa))
    assert scores.accuracy == pytest.approx(6 / 9)
    assert scores.precision == pytest.approx(6 / 9)
    assert scores.mrr == pytest.approx(5 / 6)
    assert scores.spearman == pytest.approx(0.25)
    assert (scores.questions, scores.answers, scores.spearman_questions) == (3, 9, 2)
    assert scores.per_question["3"].spearman == pytest.approx(-0.5)
    assert scores.per_question["2"].spearman is None


def test_reference_order_with_gold_labels_is_perfect(tiny_qa: list[QAQuestion]) -> None:
    run = mediqa_reference_run(tiny_qa)
    assert run["1"] == [("1_Answer2", 1), ("1_Answer3", 1), ("1_Answer1", 0), ("1_Answer4", 0)]
    assert run["3"] == [("3_Answer3", 1), ("3_Answer1", 1), ("3_Answer2", 1)]
    scores = score_mediqa_qa(tiny_qa, run)
    assert (scores.accuracy, scores.precision, scores.mrr, scores.spearman) == (1, 1, 1, 1)
    assert scores.no_correct == 0


def test_partial_predictions_by_hand(tiny_qa: list[QAQuestion]) -> None:
    predictions = {
        "1": [("1_Answer3", 1), ("1_Answer1", 1), ("1_Answer2", 0)],  # 1_Answer4 missing
        "3": [("3_Answer2", 1), ("3_Answer3", 0), ("3_Answer1", 1), ("3_Answer2", 0)],
    }  # Q2 missing; the repeated 3_Answer2 counts where it first appears
    # Right labels: Q1 A3 only (A1 wrongly 1, A2 wrongly 0, A4 missing); Q2 none; Q3 A2 and A1.
    #   accuracy = 3 / 9
    # Labelled 1: Q1 A3 (yes), A1 (no); Q3 A2 (yes), A1 (yes) -> precision 3 / 4.
    # MRR: Q1 A3 first -> 1; Q2 -> 0; Q3 A2 first -> 1: 2 / 3.
    # Spearman: Q1 one correct labelled 1 (left out); Q2 none (0); Q3 A2, A1 at 1, 2 vs ranks
    # 3, 2 -> -1. Mean of 0 and -1 = -0.5.
    scores = score_mediqa_qa(tiny_qa, predictions)
    assert scores.accuracy == pytest.approx(3 / 9)
    assert scores.precision == pytest.approx(3 / 4)
    assert scores.mrr == pytest.approx(2 / 3)
    assert scores.spearman == pytest.approx(-0.5)
    assert scores.spearman_questions == 2
    assert scores.per_question["2"].mrr == 0 and scores.per_question["2"].spearman == 0
    totals = scores.to_dict()
    assert totals["mrr"] == pytest.approx(2 / 3) and "per_question" not in totals


def test_predictions_must_name_known_questions_and_answers(tiny_qa: list[QAQuestion]) -> None:
    with pytest.raises(EvaluationError, match="question '9'"):
        score_mediqa_qa(tiny_qa, {"9": [("9_Answer1", 1)]})
    with pytest.raises(EvaluationError, match="no answer '2_Answer7'"):
        score_mediqa_qa(tiny_qa, {"2": [("2_Answer7", 1)]})
    with pytest.raises(EvaluationError, match="not 0 or 1"):
        score_mediqa_qa(tiny_qa, {"2": [("2_Answer1", 2)]})


def test_mediqa_qa_csv_round_trip(tmp_path: Path, tiny_qa: list[QAQuestion]) -> None:
    predictions = {"1": [("1_Answer2", 1), ("1_Answer1", 0), ("1_Answer3", 1)], "2": []}
    out = io.StringIO()
    write_mediqa_qa_run(predictions, out)
    # The official layout: the answers labelled 1 first, in rank order, then those labelled 0.
    assert out.getvalue() == "1,1_Answer2,1\n1,1_Answer3,1\n1,1_Answer1,0\n"
    path = tmp_path / "run.csv"
    path.write_text(out.getvalue())
    back = read_mediqa_qa_run(path)
    assert back == {"1": [("1_Answer2", 1), ("1_Answer3", 1), ("1_Answer1", 0)]}
    assert score_mediqa_qa(tiny_qa, back) == score_mediqa_qa(tiny_qa, predictions)
    path.write_text("question_id,answer_id,label\n2,2_Answer1,1\n")  # the official gold files
    assert read_mediqa_qa_run(path) == {"2": [("2_Answer1", 1)]}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1,1_Answer1,1\n1,1_Answer2\n", "run.csv:2: expected question_id,answer_id,label"),
        ("1,1_Answer1,yes\n", "run.csv:1: the label must be 0 or 1"),
        ("1,1_Answer1,1\n\n1,1_Answer1,0\n", "run.csv:3: 1,1_Answer1 is listed twice"),
        (",1_Answer1,1\n", "run.csv:1: expected"),
    ],
)
def test_malformed_mediqa_qa_runs_name_the_line(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "run.csv"
    path.write_text(text)
    with pytest.raises(EvaluationError, match=says):
        read_mediqa_qa_run(path)


_QUESTION = (
    '<Question QID="1"><QuestionText>q</QuestionText><AnswerList>\n'
    '<Answer AID="1_Answer1" {attributes}><AnswerText>a</AnswerText></Answer>\n'
    "</AnswerList></Question>"
)


@pytest.mark.parametrize(
    ("xml", "says"),
    [
        ("<Set>\n" + _QUESTION.format(attributes='ReferenceScore="high"') + "</Set>", ":3: Ref"),
        ("<Set>\n" + _QUESTION.format(attributes='SystemRank="1"') + "\n", ":5: broken XML"),
        (
            "<Set>\n" + _QUESTION.format(attributes="").replace('AID="1_Answer1"', "") + "</Set>",
            ":3:",
        ),
        ("<Set>\n" + (_QUESTION.format(attributes="") + "\n") * 2 + "</Set>", ":5: QID '1'"),
        ("<Set><Other/></Set>", "no <Question> elements"),
        ('<?xml version="1.0"?>\n<!DOCTYPE Set SYSTEM "file:///etc/passwd">\n<Set/>', "unsafe"),
        (
            '<!DOCTYPE Set [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
            "<Set>&b;</Set>",
            "unsafe XML",
        ),
    ],
)
def test_malformed_mediqa_xml_is_an_error_with_a_line(tmp_path: Path, xml: str, says: str) -> None:
    path = tmp_path / "qa.xml"
    path.write_text(xml)
    with pytest.raises(EvaluationError, match=says) as caught:
        load_mediqa_qa(path)
    assert str(caught.value).startswith(str(path))


# --- MEDIQA 2019 Task 2 (RQE) -----------------------------------------------------------------


def test_load_rqe_reads_labels_and_strips_the_text() -> None:
    pairs = load_rqe(EVAL / "rqe-labelled.xml")
    assert [(p.id, p.label) for p in pairs] == [
        ("1", True),
        ("2", False),
        ("3", False),
        ("4", True),
    ]
    assert pairs[0].chq == "hiccups. I get hiccups every time I drink soda, why does that happen?"
    assert pairs[0].faq == "Why do fizzy drinks cause hiccups?"


def test_load_rqe_reads_the_test_layout_without_labels() -> None:
    pairs = load_rqe(EVAL / "rqe-test-layout.xml")
    assert [(p.id, p.label) for p in pairs] == [("11", None), ("12", None)]
    with pytest.raises(EvaluationError, match="without a gold label"):
        score_rqe(pairs, {"11": True})


def test_score_rqe_by_hand() -> None:
    pairs = load_rqe(EVAL / "rqe-labelled.xml")  # gold: true, false, false, true
    # 1 right, 2 wrong, 3 right, 4 missing (wrong): 2 of 4.
    assert score_rqe(pairs, {"1": True, "2": True, "3": False}) == 0.5
    assert score_rqe(pairs, {p.id: False for p in pairs}) == 0.5  # the majority-class baseline
    with pytest.raises(EvaluationError, match="not in the set"):
        score_rqe(pairs, {"99": True})


def test_rqe_run_round_trip(tmp_path: Path) -> None:
    out = io.StringIO()
    write_rqe_run({"1": True, "2": False}, out)
    assert out.getvalue() == "1,true\n2,false\n"
    path = tmp_path / "rqe.csv"
    path.write_text(out.getvalue())
    assert read_rqe_run(path) == {"1": True, "2": False}
    path.write_text("pair_id,label\n1,1\n2,0\n")  # the official ground-truth layout
    assert read_rqe_run(path) == {"1": True, "2": False}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1,true\n2,yes\n", "rqe.csv:2: expected pair_id,true|false"),
        ("1,true,extra\n", "rqe.csv:1: expected"),
        ("1,true\n1,false\n", "rqe.csv:2: pair '1' is listed twice"),
    ],
)
def test_malformed_rqe_runs_name_the_line(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "rqe.csv"
    path.write_text(text)
    with pytest.raises(EvaluationError, match=says):
        read_rqe_run(path)


def test_a_bad_rqe_value_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rqe.xml"
    path.write_text('<Set>\n<pair pid="1" value="maybe">\n<chq>a</chq><faq>b</faq></pair>\n</Set>')
    with pytest.raises(EvaluationError, match=r'rqe\.xml:2: value must be "true" or "false"'):
        load_rqe(path)
    path.write_text('<Set>\n<pair pid="1" value="true">\n<chq>a</chq></pair>\n</Set>')
    with pytest.raises(EvaluationError, match=r"rqe\.xml:2: <pair> has no <faq>"):
        load_rqe(path)


# --- The real sets in ../shared ---------------------------------------------------------------

MEDIQA = ("data", "mediqa2019")


@pytest.mark.slow
def test_liveqa_med_dev() -> None:
    bench = load_beir(shared_path("bench", "liveqa-med-dev"))
    assert len(bench.queries) == 52
    assert {query.id for query in bench.queries} == set(bench.qrels)
    assert all(query.text and "summary" in query.metadata for query in bench.queries)
    # 77 answers are judged twice for one question, always first lower then higher.
    assert len(bench.regraded) == 77
    assert all(grades == sorted(grades) for grades in bench.regraded.values())
    ideal = {q: sorted(docs, key=lambda doc: -docs[doc]) for q, docs in bench.qrels.items()}
    scores = score_run(ideal, bench.qrels)
    assert scores.judged == 1.0 and scores.no_relevant == 14  # 14 questions have no correct answer
    assert scores.mrr == pytest.approx(38 / 52)
    assert isinstance(scores, Scores)


@pytest.mark.slow
def test_mediqa_task3_validation_set_and_baselines() -> None:
    questions = load_mediqa_qa(shared_path(*MEDIQA, "MEDIQA2019-Task3-QA-ValidationSet.xml"))
    answers = [answer for question in questions for answer in question.answers]
    assert (len(questions), len(answers)) == (25, 234)
    assert all(a.reference_score is not None and a.reference_rank is not None for a in answers)
    assert all(a.system_rank is not None for a in answers)
    correct = sum(bool(a.correct) for a in answers)
    chiqa = score_mediqa_qa(questions, mediqa_system_run(questions))
    # Labelling every answer correct in CHiQA's order scores the share of correct answers:
    # 94 / 234 = 0.402 here. The 0.517 quoted in the issue cannot be reached on this set by any
    # labelling of CHiQA's order (see the report); it is most likely the official test-set figure.
    assert correct == 94
    assert chiqa.accuracy == pytest.approx(correct / len(answers))
    assert chiqa.accuracy == pytest.approx(0.402, abs=0.001)
    assert chiqa.precision == pytest.approx(chiqa.accuracy)
    assert chiqa.mrr == pytest.approx(0.9433, abs=1e-4)
    assert chiqa.spearman == pytest.approx(0.2657, abs=1e-4)
    perfect = score_mediqa_qa(questions, mediqa_reference_run(questions))
    assert (perfect.accuracy, perfect.precision, perfect.mrr, perfect.spearman) == (1, 1, 1, 1)


@pytest.mark.slow
def test_mediqa_task3_training_set_parses() -> None:
    questions = load_mediqa_qa(shared_path(*MEDIQA, "MEDIQA2019-Task3-QA-TrainingSet2-Alexa.xml"))
    assert len(questions) == 104
    assert all(a.correct is not None for q in questions for a in q.answers)
    assert score_mediqa_qa(questions, mediqa_reference_run(questions)).no_correct == 2


@pytest.mark.slow
def test_mediqa_task2_validation_set_and_majority_baseline() -> None:
    pairs = load_rqe(shared_path(*MEDIQA, "MEDIQA2019-Task2-RQE-ValidationSet-AMIA2016.xml"))
    assert len(pairs) == 302
    assert all(pair.label is not None and pair.chq and pair.faq for pair in pairs)
    entailed = sum(bool(pair.label) for pair in pairs)
    assert entailed == 129
    majority = score_rqe(pairs, {pair.id: False for pair in pairs})
    assert majority == pytest.approx(173 / 302)  # 0.573
