"""Ranking measures (`score_run`), on graded judgments where a document is *relevant* when its grade
is at least `relevant_grade` (LiveQA: 0 Incorrect, 1 Related, 2 Incomplete, 3 Excellent; correct
at 2 or 3). Unjudged documents count as grade 0, so the scores are a lower bound; `judged@k` says
how much of the top k was judged. Every measure is averaged over every query in the qrels; a query
the run does not answer scores 0, and so does a query with no relevant judged document (they are
counted in `Scores.no_relevant`). A document listed twice in one ranking counts once, where it first
appears. Queries in the run but not in the qrels are ignored, as trec_eval ignores them.

- MAP@k: average precision in the trec_eval convention (`map_cut`): the sum of precision at the
  rank of each relevant document within the top k, divided by R, the number of relevant judged
  documents of the query (not min(R, k)). We follow trec_eval so that figures compare with
  published LiveQA/MedQuAD results, and because dividing by R keeps recall in the measure: finding
  2 of 20 correct answers is not a perfect score.
- MRR@k: 1 / the rank of the first relevant document within the top k, else 0.
- nDCG@k: linear gain, gain = grade (negative grades count as 0), discount log2(rank + 1); the
  ideal ranking sorts all judged grades of the query. As trec_eval's `ndcg_cut`.
- P@5: relevant documents among the top 5, divided by 5 (also when fewer were returned).
- succ@1: 1 when the top document is relevant.
- avgScore@1: the grade of the top document (0 when unjudged or absent): TREC LiveQA's measure.
- judged@k: the share of the returned top k (at most k documents) that were judged at all; 0 when
  nothing was returned.

Every measure but avgScore@1, LiveQA's own, is computed by ir_measures (`AP(rel=g)@k`,
`RR(rel=g)@k`, `nDCG@k`, `P(rel=g)@5`, `Success(rel=g)@1`, `Judged@k`; trec_eval's code through
pytrec_eval for the first, fourth and fifth), whose definitions are the ones above; the tests
check them against values worked out by hand. ir_measures is the `eval` extra
(`pip install -e '.[eval]'`), imported by `score_run` only (docs/decisions.md, section 33).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from healthqa.evaluate._files import EvaluationError


@dataclass(frozen=True)
class QueryScores:
    """The measures of one query (see the module docstring for their definitions)."""

    map: float
    mrr: float
    ndcg: float
    p5: float
    succ1: float
    avg_score1: float
    judged: float


_MEASURES = ("map", "mrr", "ndcg", "p5", "succ1", "avg_score1", "judged")


@dataclass(frozen=True)
class Scores(QueryScores):
    """Means over every query in the qrels (the measures, as one query's are kept), with the
    per-query scores behind them."""

    queries: int
    no_relevant: int
    k: int
    relevant_grade: int
    per_query: dict[str, QueryScores]

    def labels(self) -> dict[str, str]:
        """Measure field -> the name it is reported under (e.g. map -> MAP@10)."""
        k = self.k
        names = (f"MAP@{k}", f"MRR@{k}", f"nDCG@{k}", "P@5", "succ@1", "avgScore@1", f"judged@{k}")
        return dict(zip(_MEASURES, names, strict=True))

    def means(self) -> dict[str, float]:
        return {label: getattr(self, name) for name, label in self.labels().items()}

    def to_dict(self) -> dict[str, Any]:
        per_query = {
            query_id: {label: getattr(scores, name) for name, label in self.labels().items()}
            for query_id, scores in self.per_query.items()
        }
        return {
            **self.means(),
            "queries": self.queries,
            "no_relevant": self.no_relevant,
            "k": self.k,
            "relevant_grade": self.relevant_grade,
            "per_query": per_query,
        }


def score_run(
    run: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Mapping[str, int]],
    k: int = 10,
    relevant_grade: int = 2,
) -> Scores:
    """Score rankings (query id -> doc ids, best first) against graded qrels."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    if not qrels:
        raise EvaluationError("the qrels hold no judged query: nothing to score")
    standard = _standard_scores(run, qrels, k, relevant_grade)
    per_query = {
        query_id: _query_scores(run.get(query_id, ()), judged, standard.get(query_id, {}))
        for query_id, judged in qrels.items()
    }
    means = {
        name: sum(getattr(scores, name) for scores in per_query.values()) / len(per_query)
        for name in _MEASURES
    }
    no_relevant = sum(1 for judged in qrels.values() if not _relevant_count(judged, relevant_grade))
    return Scores(
        **means,
        queries=len(per_query),
        no_relevant=no_relevant,
        k=k,
        relevant_grade=relevant_grade,
        per_query=per_query,
    )


def _query_scores(
    ranking: Sequence[str],
    judged: Mapping[str, int],
    standard: Mapping[str, float],
) -> QueryScores:
    """One query's scores: `standard` holds what ir_measures gave it (nothing for a query with
    no ranking); a measure it lacks is 0."""
    top = next(iter(dict.fromkeys(ranking)), None)
    return QueryScores(
        **{name: float(standard.get(name, 0.0)) for name in _STANDARD},
        avg_score1=float(max(judged.get(top, 0), 0)) if top is not None else 0.0,
    )


def _relevant_count(judged: Mapping[str, int], relevant_grade: int) -> int:
    return sum(1 for grade in judged.values() if grade >= relevant_grade)


_STANDARD = ("map", "mrr", "ndcg", "p5", "succ1", "judged")


def _standard_scores(
    run: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Mapping[str, int]],
    k: int,
    relevant_grade: int,
) -> dict[str, dict[str, float]]:
    """Query id -> measure field -> value, by ir_measures, for the queries of the qrels that
    the run ranks at least one document for. A ranking becomes scores that fall with the rank
    (so no tie is broken by document id), each document once, where it first appears."""
    try:
        import ir_measures
    except ImportError:
        raise RuntimeError("scoring runs needs ir_measures: pip install 'healthqa[eval]'") from None
    g = relevant_grade
    names = {
        ir_measures.AP(rel=g) @ k: "map",
        ir_measures.RR(rel=g) @ k: "mrr",
        ir_measures.nDCG @ k: "ndcg",
        ir_measures.P(rel=g) @ 5: "p5",
        ir_measures.Success(rel=g) @ 1: "succ1",
        ir_measures.Judged @ k: "judged",
    }
    scored = {
        query_id: {doc_id: float(-rank) for rank, doc_id in enumerate(dict.fromkeys(ranking))}
        for query_id, ranking in run.items()
        if query_id in qrels and ranking
    }
    found: dict[str, dict[str, float]] = {}
    if scored:
        judged = {query_id: dict(grades) for query_id, grades in qrels.items()}
        for metric in ir_measures.iter_calc(list(names), judged, scored):
            found.setdefault(metric.query_id, {})[names[metric.measure]] = metric.value
    return found


def table(scores_by_name: Mapping[str, Scores]) -> str:
    """A fixed-width comparison: one row per system, one column per measure."""
    if not scores_by_name:
        return ""
    first = next(iter(scores_by_name.values()))
    if any(scores.k != first.k for scores in scores_by_name.values()):
        raise ValueError("the systems were scored at different k; compare like with like")
    labels = [*first.labels().values(), "queries", "no rel."]
    name_width = max(len("system"), *(len(name) for name in scores_by_name))
    widths = [max(len(label), 6) for label in labels]
    rows = [_row("system", labels, name_width, widths)]
    for name, scores in scores_by_name.items():
        cells = [f"{value:.4f}" for value in scores.means().values()]
        cells += [str(scores.queries), str(scores.no_relevant)]
        rows.append(_row(name, cells, name_width, widths))
    return "\n".join(rows) + "\n"


def _row(name: str, cells: Sequence[str], name_width: int, widths: Sequence[int]) -> str:
    values = "  ".join(cell.rjust(width) for cell, width in zip(cells, widths, strict=True))
    return f"{name.ljust(name_width)}  {values}"


# --- Spearman's rho ---------------------------------------------------------------------------


def spearman_rho(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation (scipy's `spearmanr`: Pearson's r of the ranks, tied values
    sharing their mean rank). None when it is undefined: fewer than two pairs, or either side
    all the same."""
    if len(x) != len(y):
        raise ValueError(f"spearman_rho needs two sequences of one length, not {len(x)}, {len(y)}")
    if len(x) < 2 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    from scipy.stats import spearmanr  # the eval extra, as ir_measures

    return float(spearmanr(x, y).statistic)
