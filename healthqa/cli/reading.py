"""What readers see, at the terminal: search, ask, related articles, topics and counts."""

from __future__ import annotations

import json
import textwrap

import click

from healthqa.answers import Answer, Lines, ask, confidence_label
from healthqa.cli.common import (
    Context,
    errors,
    format_notice,
    note_coverage,
    pass_context,
    print_json,
    summary_row,
)
from healthqa.recommend import neighbours, related
from healthqa.safety import DISCLAIMER, Numbers, assess


@click.command()
@click.argument("question")
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines, one result a line.")
@pass_context
def search(obj: Context, question: str, limit: int, as_json: bool) -> None:
    """Search articles for a question or some words, best first.

    Example: healthqa search "why do my legs cramp at night"
    """
    with errors():
        found = obj.search.results(question, limit)
    notice = assess(question, Numbers.from_settings(obj.settings))
    if notice:  # safety notice first; on stderr with --json so the JSON Lines stay clean
        click.echo(format_notice(notice) + "\n", err=as_json)
    for result in found:
        article = result.article
        if as_json:
            row = summary_row(article) | {"score": round(result.score, 4)}
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(f"{result.score:7.2f}  {article.title}  [{article.slug}]")
            click.echo(f"         {article.teaser}")
    if not found and not as_json:
        click.echo("No articles match. Try other words, or fewer of them.", err=True)
    note_coverage(obj)


@click.command("ask")
@click.argument("question")
@click.option("--limit", type=click.IntRange(1, 10), default=3, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_context
def ask_command(obj: Context, question: str, limit: int, as_json: bool) -> None:
    """Answer a question with passages quoted from the articles, each cited and dated.

    Nothing is written by healthqa itself: every passage is an article's own words.

    Example: healthqa ask "what causes leg cramps in late pregnancy?"
    """
    with errors():
        result = ask(obj.search, question, limit, Numbers.from_settings(obj.settings))
    note_coverage(obj)
    if as_json:  # the API's shape (healthqa.web.models), without loading the web app's routes
        from healthqa.web.models import AskPage

        print_json(AskPage.model_validate(result.to_dict()).model_dump(mode="json"))
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


@click.command("related")
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
    with errors():
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
        print_json(listed.model_dump(mode="json"))
        return
    click.echo(article.title)
    if around.previous:
        click.echo(f"<<: {around.previous.title}")
    if around.next:
        click.echo(f">>: {around.next.title}")
    click.echo("\nRelated")
    for item in found:
        click.echo(f"\n{item.title}  ({item.reason})\n{item.teaser}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_context
def topics(obj: Context, as_json: bool) -> None:
    """List topics with their article counts and "also called" names.

    Example: healthqa topics --json
    """
    with errors():
        found = obj.store.topics()
        questions = obj.store.question_counts() if as_json else {}
    if as_json:  # /api/v1/topics's shape
        from healthqa.web.models import TopicOut

        shown = [TopicOut.of(t, question_count=questions.get(t.id, 0)) for t in found]
        print_json([topic.model_dump(mode="json") for topic in shown])
        return
    for topic in found:
        also = f"  (also called: {', '.join(topic.synonyms)})" if topic.synonyms else ""
        click.echo(f"{topic.article_count:>6}  {topic.name}{also}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (keys articles, topics, ...).")
@pass_context
def stats(obj: Context, as_json: bool) -> None:
    """Counts: articles, topics, revisions, links, near-duplicates, reviews overdue, and how
    many articles semantic ranking covers (embedding: vectors present of articles).

    Example: healthqa stats --json
    """
    with errors():
        counts = obj.store.stats()
        coverage = obj.coverage()  # reads the stored vectors; embeds nothing
    counts["ranking"] = obj.mode()
    counts["embedding"] = coverage.to_dict() if coverage else None
    if as_json:
        print_json(counts)
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
