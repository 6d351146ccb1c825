"""Running the app: on uvicorn (production), or one request in-process (`serve --get`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from urllib.parse import quote

from fastapi.testclient import TestClient

from healthqa.library import Library, coverage_note
from healthqa.web.app import create_app

FACTORY = "healthqa.web.app:create_app"


def serve(
    db: str, host: str, port: int, workers: int, echo: Callable[[str], None] | None = None
) -> None:
    """uvicorn with `workers` processes, each building the app from the settings.

    Starting embeds nothing: articles without a vector yet are ranked by their keywords, and
    `echo` (stderr, from the CLI) is told how many are covered."""
    import uvicorn

    # Bring the index up to date once, here, so that the workers do not all start by
    # rebuilding the same folder.
    library = Library(db)
    library.sync()
    note = coverage_note(library.coverage())
    library.close()
    if note and echo is not None:
        echo(note)
    # Worker processes read the settings from the environment: pass on the --db choice.
    os.environ["HEALTHQA_DATABASE_URL"] = db
    uvicorn.run(
        FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        server_header=False,
        access_log=False,
    )


def get(library: Library, path: str, echo: Callable[[str], None]) -> int:
    """Answer one GET for `path` in-process, print it like HTTP, and return its status."""
    if not path.startswith("/"):
        raise ValueError(f"the path must start with '/', got {path!r}")
    app = create_app(library)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(quote(path, safe="/?&=%:+,;@"))
    echo(f"HTTP/1.1 {response.status_code} {response.reason_phrase}")
    for name, value in response.headers.items():
        echo(f"{name}: {value}")
    echo("")
    echo(response.text)
    return response.status_code
