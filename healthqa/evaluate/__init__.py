"""Benchmark readers and measures: BEIR folders, TREC run files, MEDIQA 2019 Tasks 2 and 3.

The readers and measures do no retrieval: they read judgments and score rankings. `runs`
drives healthqa's real pipelines (ask, the MEDIQA answer filter and entailment scorer) over
benchmark files and reports them beside their baselines; import it as
`healthqa.evaluate.runs` (it is not re-exported, so that reading a benchmark never loads the
search stack).

- `beir`: a BEIR folder's judged queries and graded qrels.
- `measures`: ranking measures (MAP, MRR, nDCG, ...) over graded qrels, a comparison table,
  Spearman's rho.
- `trec`: TREC run files.
- `mediqa`: MEDIQA 2019 Task 3 (QA) and Task 2 (RQE) files, scorers and run files.
"""

from healthqa.evaluate._files import EvaluationError
from healthqa.evaluate.beir import BeirBenchmark, Query, load_beir
from healthqa.evaluate.measures import QueryScores, Scores, score_run, spearman_rho, table
from healthqa.evaluate.mediqa import (
    QAAnswer,
    QAQuestion,
    QAQuestionScores,
    QAScores,
    RQEPair,
    load_mediqa_qa,
    load_rqe,
    mediqa_reference_run,
    mediqa_system_run,
    read_mediqa_qa_run,
    read_rqe_run,
    score_mediqa_qa,
    score_rqe,
    write_mediqa_qa_run,
    write_rqe_run,
)
from healthqa.evaluate.trec import read_trec_run, write_trec_run

__all__ = [
    "BeirBenchmark",
    "EvaluationError",
    "QAAnswer",
    "QAQuestion",
    "QAQuestionScores",
    "QAScores",
    "Query",
    "QueryScores",
    "RQEPair",
    "Scores",
    "load_beir",
    "load_mediqa_qa",
    "load_rqe",
    "mediqa_reference_run",
    "mediqa_system_run",
    "read_mediqa_qa_run",
    "read_rqe_run",
    "read_trec_run",
    "score_mediqa_qa",
    "score_rqe",
    "score_run",
    "spearman_rho",
    "table",
    "write_mediqa_qa_run",
    "write_rqe_run",
    "write_trec_run",
]
