"""The collection: create the database, import and export articles, and list, show,
retire and restore them."""

from __future__ import annotations

import json
from pathlib import Path

import click

from healthqa import ingest
from healthqa.articles import Article
from healthqa.cli.common import (
    Context,
    article_or_alias,
    demo_path,
    embed,
    errors,
    exit_if_rejected,
    format_notice,
    note_coverage,
    pass_context,
    print_json,
    run_import,
    summary_row,
)
from healthqa.imports import ImportSummary
from healthqa.ingest import export as export_format
from healthqa.safety import Numbers, assess_article, review_status
from healthqa.store import ArticleFilter


@click.command()
@click.option("--demo", is_flag=True, help="Also import the bundled demo articles.")
@pass_context
def init(obj: Context, demo: bool) -> None:
    """Create the database (or bring its schema up to date).

    Example: healthqa --db site.db init --demo
    """
    with errors():
        stats = obj.store.stats()
        click.echo(f"Database ready: {obj.db} ({stats['articles']:,} articles)")
        if demo:
            summary = run_import(obj, [str(demo_path())], None, "init --demo", quiet=True)
            click.echo(f"Demo articles: {summary.imported:,} new, {summary.unchanged:,} unchanged")
            if obj.settings["embed_on_import"]:
                embed(obj)
            exit_if_rejected(summary)


@click.command("import")
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
    with errors():
        summary = run_import(obj, list(paths), format_, author, quiet=as_json)
    if as_json:
        print_json(summary.to_dict())
    else:
        _print_summary(summary)
    if obj.settings["embed_on_import"] and not no_embed:
        embed(obj, quiet=as_json)
    else:
        note_coverage(obj)
    exit_if_rejected(summary)


@click.group()
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
    with errors():
        found = obj.store.list_articles(where, limit, offset)
        total = obj.store.count_articles(where)
    if as_json:
        for article in found:
            click.echo(json.dumps(summary_row(article), ensure_ascii=False))
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
    with errors():
        article = article_or_alias(obj, key)
    notice = assess_article(article, Numbers.from_settings(obj.settings))
    if as_json:
        extra = {"review": review_status(article), "urgency": notice.to_dict() if notice else None}
        print_json(article.to_dict() | extra)
        return
    if notice:
        click.echo(format_notice(notice) + "\n")
    click.echo(_format_article(article))


@articles.command("revisions")
@click.argument("key", metavar="ID_OR_SLUG")
@click.option("--json", "as_json", is_flag=True, help="Print every revision as JSON.")
@pass_context
def articles_revisions(obj: Context, key: str, as_json: bool) -> None:
    """List every revision of an article: who or what changed it, when and why.

    Example: healthqa articles revisions 42
    """
    with errors():
        history = obj.store.revisions(key)
    if as_json:
        print_json([revision.to_dict() for revision in history])
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
        with errors():
            article = obj.store.set_status(key, status, author, reason)
        click.echo(f"{article.title}: {article.status} (revision {article.revision})")


_status_command("retire", "retired", "Retire an article: hidden from readers, kept, undoable.")
_status_command("restore", "published", "Publish a retired article again.")


@click.command()
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
    with errors():
        found = obj.store.iter_articles(where)  # first: no file when there is no database
        with open(partial, "w", encoding="utf-8") as out:
            count = export_format.write(found, out)
        partial.replace(target)  # a crash never leaves a half-written export under the name
    click.echo(f"Exported {count:,} articles to {file}")


@click.command()
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines, one pair a line.")
@pass_context
def duplicates(obj: Context, limit: int, offset: int, as_json: bool) -> None:
    """List pairs of near-duplicate articles (found on import; never merged).

    Example: healthqa duplicates --limit 20
    """
    with errors():
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
