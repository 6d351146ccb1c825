"""Looking after the data: back it up, copy a site between databases, rebuild the index."""

from __future__ import annotations

from contextlib import ExitStack

import click

from healthqa.cli.common import Context, embed, errors, pass_context
from healthqa.index.lexical import LexicalIndex
from healthqa.index.sync import rebuild
from healthqa.store import DatabaseURL, open_store
from healthqa.store.transfer import copy_site


@click.command()
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
    with errors():
        obj.store.backup(dest)
    checked = "pg_restore --list ok" if obj.db.postgres else "integrity check ok"
    click.echo(f"Backed up {obj.db} to {dest} ({checked})")


@click.command("copy")
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

    with ExitStack() as stack, errors():
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


@click.command()
@pass_context
def reindex(obj: Context) -> None:
    """Rebuild the search index from the database (it is derived data, always rebuildable).

    With semantic search on, the articles without a current vector are then embedded, with
    progress on stderr (an article whose text is unchanged keeps its stored vector; an
    interrupted run keeps what it saved, and the next run goes on from there).

    Example: healthqa --db site.db reindex
    """
    with errors():
        store = obj.store  # first: no index folder beside a database that is not there
        index = LexicalIndex(obj.index_path())
        count = rebuild(store, index)
    click.echo(f"Indexed {count:,} published articles.")
    embed(obj)
