"""The `healthqa` command: a thin layer that parses, calls the library, and reports errors.

Every command's help ends with an example; tests/test_cli.py fails for a command without one.

This package holds the root group (`main`, with --db and --version) and the one-line report of
a database that cannot be opened; the commands live one module per group, and what more than
one of them needs lives in common:

- content: init, import, export, articles, duplicates
- reading: search, ask, related, topics, stats
- serving: serve
- editors: tokens, users, feedback
- data: backup, copy, reindex
- evaluation: eval (evaluation code is imported inside its commands)
- training: train (training code is imported inside the command)
"""

from __future__ import annotations

from typing import Any

import click

from healthqa import config
from healthqa.cli import content, data, editors, evaluation, reading, serving, training
from healthqa.cli.common import Context, demo_path
from healthqa.store import StoreError

__all__ = ["demo_path", "main"]

# Commands that may create the database; every other one only opens one that exists.
CREATING = frozenset({"init", "import", "eval", "train"})


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


for command in (
    content.init,
    content.import_,
    content.export,
    content.articles,
    content.duplicates,
    reading.search,
    reading.ask_command,
    reading.related_command,
    reading.topics,
    reading.stats,
    serving.serve,
    editors.tokens_,
    editors.users_,
    editors.feedback_,
    data.backup,
    data.copy_command,
    data.reindex,
    evaluation.eval_,
    training.train,
):
    main.add_command(command)
