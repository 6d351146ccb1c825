"""`healthqa serve`: the web site and the JSON API (the web app is imported inside the
command)."""

from __future__ import annotations

import sys

import click

from healthqa.cli.common import Context, errors, pass_context


@click.command()
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

    with errors():
        obj.store  # noqa: B018 (a database that is not there is said now, not by the workers)
        if get_path is not None:
            status = server.get(obj, get_path, click.echo)
            sys.exit(0 if status < 400 else 1)
        server.serve(obj.db, host, port, workers, lambda line: click.echo(line, err=True))
