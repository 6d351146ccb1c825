"""What the commands share: the context object, the one-line error handling, and the
helpers more than one command group calls (importing, embedding, printing)."""

from __future__ import annotations

import json
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import click

from healthqa import config, ingest
from healthqa.articles import Article
from healthqa.imports import ImportSummary, import_paths
from healthqa.ingest.inputs import total_bytes
from healthqa.library import Library, coverage_note
from healthqa.safety import Urgency
from healthqa.store import NotFound, StoreError


class Context(Library):
    """What every command shares: the library, and whether --db was given."""

    def __init__(self, db: str | None, create: bool = True) -> None:
        super().__init__(db, create=create)
        self.db_named = db is not None

    def limits(self) -> ingest.Limits:
        s = self.settings
        return ingest.Limits(
            s["max_document_bytes"], s["max_line_bytes"], s["max_title_chars"], s["max_body_chars"]
        )


pass_context = click.make_pass_decorator(Context)


@contextmanager
def errors() -> Iterator[None]:
    """Turn the library's errors into a one-line message and exit status 1."""
    try:
        yield
    except (StoreError, config.ConfigError, ValueError, OSError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def demo_path() -> Path:
    """The folder of bundled demo articles (Markdown), inside the installed package."""
    return Path(__file__).parents[1] / "demo"


def run_import(
    obj: Context, paths: list[str], format_: str | None, author: str, quiet: bool
) -> ImportSummary:
    settings = obj.settings
    options: dict[str, Any] = {
        "format": format_,
        "limits": obj.limits(),
        "batch_size": settings["batch_size"],
        "workers": settings["import_workers"],
        "duplicate_threshold": settings["duplicate_threshold"],
        "author": author,
    }
    if quiet or not sys.stderr.isatty():
        return import_paths(obj.store, paths, **options)
    total = sum(total_bytes(path) for path in paths)
    with click.progressbar(
        length=total, label="Importing", file=sys.stderr, show_percent=True
    ) as bar:
        return import_paths(obj.store, paths, progress=bar.update, **options)


def embed(obj: Context, quiet: bool = False) -> None:
    """Embed what has no current vector: a progress bar on a terminal's stderr, then one line
    of summary (on stderr, so --json output stays clean). Nothing when embeddings are off."""
    with errors():
        vectors = obj.vectors
    if vectors is None:
        return
    before, started = vectors.embedded, time.monotonic()
    try:
        with errors(), _embedding_progress(quiet) as progress:
            obj.embed(progress, waiting=_waiting)
    except KeyboardInterrupt:
        coverage = vectors.coverage()
        click.echo(
            f"\nEmbedding stopped: {coverage.embedded:,} of {coverage.articles:,} articles have "
            "their vectors (kept); `healthqa reindex` embeds the rest.",
            err=True,
        )
        sys.exit(130)
    texts, seconds = vectors.embedded - before, time.monotonic() - started
    coverage = vectors.coverage()
    covers = f"semantic ranking covers {coverage.embedded:,} of {coverage.articles:,} articles"
    if texts:
        rate = texts / max(seconds, 1e-9)
        click.echo(
            f"Embedded {texts:,} texts in {seconds:.1f} s ({rate:,.0f}/s); {covers}.", err=True
        )
    else:
        click.echo(f"Nothing new to embed; {covers}.", err=True)


@contextmanager
def _embedding_progress(quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback drawing a bar (count, rate, time left) on stderr when it is a
    terminal; None otherwise. The bar appears once there is something to embed."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    with ExitStack() as stack:
        bars: list[Any] = []
        started = time.monotonic()

        def update(done: int, total: int) -> None:
            if not bars and total:
                bars.append(
                    stack.enter_context(
                        click.progressbar(
                            length=total,
                            label="Embedding",
                            file=sys.stderr,
                            show_pos=True,
                            show_eta=True,
                            item_show_func=lambda rate: rate,
                        )
                    )
                )
            if bars:
                rate = done / max(time.monotonic() - started, 1e-9)
                bars[0].update(done - bars[0].pos, f"{rate:,.0f} texts/s")

        yield update


def _waiting() -> None:
    click.echo(
        "Another process is embedding this collection; waiting for its turn to end.", err=True
    )


def note_coverage(obj: Context) -> None:
    """One line on stderr when some articles are not in the semantic ranking yet."""
    note = coverage_note(obj.coverage()) if obj.embedding else None
    if note:
        click.echo(note, err=True)


def exit_if_rejected(summary: ImportSummary) -> None:
    if not summary.ok:
        sys.exit(1)


def summary_row(article: Article) -> dict[str, Any]:
    data = article.to_dict()
    for key in ("body_html", "body_text", "links"):
        data.pop(key)
    return data


def article_or_alias(obj: Context, key: str) -> Article:
    """The article `key` names, or the one an old slug of it names (said on stderr)."""
    try:
        return obj.store.get_article(key)
    except NotFound:
        moved = obj.store.slug_alias(key)
        if moved is None:
            raise
        click.echo(f"{key} is now {moved}", err=True)
        return obj.store.get_article(moved)


def format_notice(urgency: Urgency) -> str:
    """An urgent-symptom notice as the terminal shows it: level, title, what to do, source."""
    level, _, rest = urgency.heading.partition(": ")
    heading = f"{level.upper()} - {rest}" if rest else level
    lines = [f"!! {heading}: {urgency.title}"]
    lines += textwrap.wrap(urgency.advice, 96, initial_indent="   ", subsequent_indent="   ")
    lines.append(f"   Source: {urgency.source}, {urgency.source_url}")
    return "\n".join(lines)
