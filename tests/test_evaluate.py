"""The healthqa.evaluate package: its public names, as the CLI and library users import them."""

from __future__ import annotations

import healthqa.evaluate as evaluate
from healthqa.evaluate import beir, measures, mediqa, trec


def test_the_package_re_exports_each_modules_public_api() -> None:
    assert evaluate.load_beir is beir.load_beir
    assert evaluate.score_run is measures.score_run and evaluate.table is measures.table
    assert evaluate.write_trec_run is trec.write_trec_run
    assert evaluate.score_mediqa_qa is mediqa.score_mediqa_qa
    assert all(not name.startswith("_") for name in evaluate.__all__)
    assert all(hasattr(evaluate, name) for name in evaluate.__all__)
    assert issubclass(evaluate.EvaluationError, ValueError)
