"""`healthqa eval`: answer quality on benchmark data. Evaluation code is imported inside
the commands only, so that the other commands never load it."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

import click

from healthqa.cli.common import (
    Context,
    embed,
    errors,
    exit_if_rejected,
    pass_context,
    print_json,
    run_import,
)
from healthqa.rerank import Reranker


@click.group("eval")
def eval_() -> None:
    """Measure answer quality on benchmark data.

    Example: healthqa eval beir ../shared/bench/liveqa-med-dev
    """


@eval_.command("beir")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--run", "run_file", type=click.Path(dir_okay=False), help="Write a TREC run file.")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False), help="Write a PNG chart.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option(
    "--compare",
    is_flag=True,
    help="Also score each plainer ranking available (keywords, semantic, hybrid).",
)
@pass_context
def eval_beir(
    obj: Context,
    folder: str,
    run_file: str | None,
    plot_file: str | None,
    as_json: bool,
    compare: bool = False,
) -> None:
    """Rank the corpus for each question of a BEIR folder with the ask pipeline, and score it.

    The corpus is imported into a new temporary database unless --db names one (importing is
    idempotent). Prints MAP@10, MRR@10, nDCG@10, P@5, succ@1, avgScore@1 and judged@10 for
    healthqa and, beside it, for plain BM25 on the same index; then how often the top answer
    was right at each level of confidence.

    Example: healthqa eval beir ../shared/bench/liveqa-med-dev --run dev.run --plot dev.png
    """
    from healthqa import evaluate
    from healthqa.evaluate.runs import beir_report

    with errors(), _eval_context(obj) as ctx:
        bench = evaluate.load_beir(Path(folder))
        summary = run_import(ctx, [str(bench.corpus_path)], None, "eval", quiet=True)
        exit_if_rejected(summary)
        embed(ctx)  # the measure is of the whole ranking: embed what is not embedded yet
        report = beir_report(ctx.search, bench, compare=compare)
    if run_file:
        with open(run_file, "w", encoding="utf-8") as out:
            evaluate.write_trec_run(report.runs["healthqa"], out, tag="healthqa")
    if plot_file:
        from healthqa.evaluate.plot import plot_scores

        with errors():
            title = f"{Path(folder).name}: {len(bench.queries)} questions"
            plot_scores(report.scores, Path(plot_file), title)
    if as_json:
        print_json(report.to_dict())
        return
    click.echo(f"{len(bench.queries)} questions, {summary.articles:,} articles")
    click.echo(evaluate.table(report.scores))
    click.echo("\nconfidence of the top answer   questions   right   mean grade")
    for row in report.reliability:
        band = f"{row.low:.1f} to {min(row.high, 1.0):.1f}"
        click.echo(f"{band:<30} {row.questions:>9} {row.correct:>7.0%} {row.mean_grade:>12.2f}")


@eval_.command("subjects")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--verbose", "-v", is_flag=True, help="List every question with its top answer.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@pass_context
def eval_subjects(obj: Context, file: str, verbose: bool, as_json: bool) -> None:
    """Ask each question of a subjects file and judge whether the top answer is about it.

    Prints how many top answers are about the question's subject (a declined question counts
    as a miss) and how many wrong-subject answers claim confidence of 0.5 or more. Asks the
    database --db names, with the ranking its settings choose.

    Example: healthqa --db medquad.db eval subjects benchmarks/data/lay-questions-medquad.tsv
    """
    from healthqa.evaluate.runs import subjects_report
    from healthqa.evaluate.subjects import load_subjects, subject_reliability

    with errors():
        questions = load_subjects(Path(file))
        results, scores = subjects_report(obj.search, questions)
    bins = subject_reliability(results)
    if as_json:
        print_json(
            asdict(scores)
            | {"share_right": scores.share_right, "reliability": [asdict(b) for b in bins]}
        )
        return
    if verbose:
        for result in results:
            mark = "ok " if result.right else ("!! " if result.confident_mistake else "-  ")
            found = f"{result.title} ({result.confidence:.0%})" if result.title else "declined"
            click.echo(f"{mark}{result.question.text}\n     {found}")
    click.echo("confidence band   answered   mean confidence   right subject")
    for b in bins:
        click.echo(
            f"{b.low:.1f} to {b.high:.1f}   {b.questions:>10}   {b.mean_confidence:>15.2f}"
            f"   {b.right:>13.0%}"
        )
    click.echo(
        f"{scores.right} of {scores.questions} top answers about the question's subject "
        f"({scores.share_right:.0%}); {scores.declined} declined; "
        f"{scores.confident_mistakes} wrong-subject answers with confidence of 0.5 or more; "
        f"expected calibration error {scores.ece:.3f}."
    )


@eval_.command("mediqa-qa")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--run", "run_file", type=click.Path(dir_okay=False), help="Write the CSV run.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@pass_context
def eval_mediqa_qa(obj: Context, file: str, run_file: str | None, as_json: bool) -> None:
    """Label and rank the given answers of a MEDIQA 2019 Task 3 file and score them.

    Prints accuracy, precision, MRR and Spearman's rho (the official measures) for healthqa
    and, beside it, for CHiQA's own order with every answer labelled correct. Files without
    judgments (the test layout) are labelled and ranked, and only the run is written. With a
    trained re-ranker (healthqa train) it decides, and the lexical scorer is shown beside it.

    Example: healthqa eval mediqa-qa MEDIQA2019-Task3-QA-ValidationSet.xml --run qa.csv
    """
    from healthqa import evaluate
    from healthqa.evaluate.runs import mediqa_qa_report

    with errors():
        questions = evaluate.load_mediqa_qa(Path(file))
        predictions, scores = mediqa_qa_report(questions, _eval_reranker(obj))
    _write_run(run_file, evaluate.write_mediqa_qa_run, predictions)
    keys = ("accuracy", "precision", "mrr", "spearman")
    _print_scores(scores, keys, as_json, f"{len(questions)} questions")


@eval_.command("rqe")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--run", "run_file", type=click.Path(dir_okay=False), help="Write the run.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@pass_context
def eval_rqe(obj: Context, file: str, run_file: str | None, as_json: bool) -> None:
    """Decide question entailment for each pair of a MEDIQA 2019 Task 2 file and score it.

    Prints accuracy for healthqa and, beside it, for always answering the commoner label.
    With a trained re-ranker (healthqa train) its question model decides.

    Example: healthqa eval rqe MEDIQA2019-Task2-RQE-ValidationSet-AMIA2016.xml
    """
    from healthqa import evaluate
    from healthqa.evaluate.runs import rqe_report

    with errors():
        pairs = evaluate.load_rqe(Path(file))
        predictions, scores = rqe_report(pairs, _eval_reranker(obj))
    _write_run(run_file, evaluate.write_rqe_run, predictions)
    _print_scores(scores, ("accuracy",), as_json, f"{len(pairs)} pairs")


@eval_.command("questions")
@click.argument("path", type=click.Path(exists=True))
@click.option(
    "--topics",
    "topics_path",
    type=click.Path(exists=True),
    help="Import this collection first: the topics a focus is found among (e.g. MedQuAD).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@pass_context
def eval_questions(obj: Context, path: str, topics_path: str | None, as_json: bool) -> None:
    """Score question analysis (focus and type) against LiveQA 2017's annotated questions.

    PATH is a LiveQA training XML file or a folder of them. The focus is found among the
    topics of the database (--db), or of a new temporary one; --topics imports a collection
    into it first (importing is idempotent). Prints, for the held-in half (develop on it),
    the held-out half (report it only) and all questions: how often a focus was found, matched
    an annotated focus exactly or by containment, and how often the main type (or any type)
    was an annotated one. docs/quality.md says how focuses match and how types map.

    Example: healthqa eval questions ../shared/data/liveqa2017-train
    --topics ../shared/data/medquad.tar.gz
    """
    from healthqa.evaluate.liveqa import load_liveqa
    from healthqa.evaluate.runs import questions_report

    with errors(), _eval_context(obj) as ctx:
        questions = load_liveqa(Path(path))
        if topics_path:
            summary = run_import(ctx, [topics_path], None, "eval", quiet=True)
            exit_if_rejected(summary)
        report = questions_report(ctx.search, questions)
    if as_json:
        print_json({name: half.to_dict() for name, half in report.items()})
        return
    keys = ("focus_found", "focus_exact", "focus_contained", "type_main", "type_any")
    click.echo(f"{'half':<10}{'questions':>10}{'focused':>9}" + "".join(f"{k:>17}" for k in keys))
    for name, half in report.items():
        values = "".join(f"{getattr(half, key):>17.3f}" for key in keys)
        click.echo(f"{name:<10}{half.questions:>10}{half.with_focus:>9}{values}")


def _eval_reranker(obj: Context) -> Reranker | None:
    """The trained re-ranker with its embedder, for the MEDIQA evaluations (no database)."""
    from healthqa.embedders import load_embedder
    from healthqa.rerank import load_reranker

    settings = obj.settings
    path = Path(settings["reranker_path"])
    if not path.is_file():
        return None
    embedder = load_embedder(
        settings["embedding_model"],
        settings["embedding_threads"],
        settings["bulk_embedding_threads"],
    )
    found = load_reranker(path, embedder)
    if found is not None:
        click.echo(f"healthqa: the re-ranker {path}; lexical scorer beside it", err=True)
    return found


def _write_run(path: str | None, writer: Callable[[Any, TextIO], None], run: Any) -> None:
    if path:
        with open(path, "w", encoding="utf-8") as out:
            writer(run, out)


def _print_scores(
    scores: dict[str, dict[str, Any]] | None, keys: tuple[str, ...], as_json: bool, what: str
) -> None:
    if scores is None:
        click.echo(f"{what} labelled; no judgments to score against.")
        return
    if as_json:
        print_json(scores)
        return
    click.echo(f"{'system':<26}" + "".join(f"{key:>11}" for key in keys))
    for name, values in scores.items():
        click.echo(f"{name:<26}" + "".join(f"{values[key]:>11.4f}" for key in keys))


@contextmanager
def _eval_context(obj: Context) -> Iterator[Context]:
    """The named database, or a new one in a temporary folder that is removed afterwards."""
    if obj.db_named:
        yield obj
        return
    with tempfile.TemporaryDirectory(prefix="healthqa-eval-") as folder:
        ctx = Context(str(Path(folder) / "eval.db"))
        try:
            yield ctx
        finally:
            ctx.close()
