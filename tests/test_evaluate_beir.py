"""BEIR folders: the tiny-bench fixture (three judged queries, invented), twin-bench (four
queries, scored on both backends) and, slow, the real liveqa-med-dev folder in ../shared."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import shared_path

from healthqa.cli import main
from healthqa.evaluate import (
    EvaluationError,
    Query,
    Scores,
    load_beir,
    score_run,
)

EVAL = Path(__file__).parent / "fixtures" / "eval"
TINY = EVAL / "tiny-bench"
TWIN = EVAL / "twin-bench"


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


# --- The same answers on either backend -------------------------------------------------------


def test_eval_beir_gives_the_same_measures_through_sqlite_and_postgresql(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """twin-bench imported into a SQLite file and into PostgreSQL and scored by keywords: the
    same run (every document, in the same order, ties included: s2 and s3 are one article
    twice) and so the same measures, to the last digit."""
    monkeypatch.setenv("HEALTHQA_RANKING", "keywords")
    monkeypatch.chdir(tmp_path)  # no healthqa.toml of the developer's
    measured = {}
    for name, db in (("sqlite", str(tmp_path / "twin.db")), ("postgresql", postgres_url)):
        monkeypatch.setenv("HEALTHQA_INDEX_PATH", str(tmp_path / f"{name}.index"))
        run = tmp_path / f"{name}.run"
        argv = ["--db", db, "eval", "beir", str(TWIN), "--json", "--run", str(run)]
        result = CliRunner().invoke(main, argv, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        measured[name] = (json.loads(result.output), run.read_text())
    assert measured["sqlite"] == measured["postgresql"]
    report, run = measured["sqlite"]
    assert report["scores"]["healthqa"]["nDCG@10"] > 0.5  # and it ranks: not two empty runs
    assert {"s2", "s3"} <= {line.split()[2] for line in run.splitlines() if line.startswith("e1")}


# --- The real sets in ../shared ---------------------------------------------------------------


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
