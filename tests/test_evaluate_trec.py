"""TREC run files: writing, reading and refusing malformed lines."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from healthqa.evaluate import (
    EvaluationError,
    read_trec_run,
    write_trec_run,
)


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
