"""Running the app: on uvicorn (production), or one request in-process (`serve --get`).

Serving never waits for embeddings: articles not embedded yet are ranked by keywords, and a
background embedder per node (one low-priority process; one node at a time, by the embedding
lock of `index.locks`) embeds them meanwhile, unless `embed_in_background` is off."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.testclient import TestClient

from healthqa.library import Library, coverage_note, limit_malloc_arenas
from healthqa.store import DatabaseURL
from healthqa.web.app import create_app
from healthqa.web.limits import networks

BACKGROUND_TEXTS = 512  # texts a background turn embeds before another process may have a go
BACKGROUND_PAUSE = 30.0  # seconds between looks for new articles once everything is embedded


@dataclass(frozen=True)
class AppFactory:
    """What each of uvicorn's worker processes calls to build its app: the app over the
    database the command named. uvicorn hands it to each worker (pickled), so the database
    travels as a value, not through the environment."""

    db: DatabaseURL

    def __call__(self) -> FastAPI:
        limit_malloc_arenas()  # before the worker's threads: their heaps are shared
        return create_app(Library(self.db, create=False))


def serve(
    db: DatabaseURL,
    host: str,
    port: int,
    workers: int,
    echo: Callable[[str], None] | None = None,
) -> None:
    """uvicorn with `workers` processes, each building the app over `db` from the settings.

    Starting embeds nothing: articles without a vector yet are ranked by their keywords, and
    `echo` (stderr, from the CLI) is told how many are covered."""
    import uvicorn

    library = Library(db)
    try:
        proxies = networks(library.settings["trusted_proxies"])  # a mistake is said now, once
        embedder = prepare(library, echo)
    finally:
        library.close()
    config = uvicorn.Config(
        AppFactory(db),
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # X-Forwarded-For and -Proto count only from the trusted proxies (limits.py reads
        # the client the same way in-process).
        proxy_headers=bool(proxies),
        forwarded_allow_ips=",".join(str(net) for net in proxies) or None,
        server_header=False,
        access_log=False,
        **_head_guard(),
    )
    try:
        _run(config)
    finally:
        if embedder is not None:
            embedder[1].set()
            embedder[0].join(timeout=10)


def prepare(
    library: Library, echo: Callable[[str], None] | None = None
) -> tuple[BaseProcess, Event] | None:
    """What the serving parent does before its workers start: bring the index up to date once,
    here, so that the workers do not all start by rebuilding the same folder; start the
    background embedder; tell `echo` how many articles have vectors. It opens no vector (the
    store counts them): the workers load what they serve, and the parent stays small."""
    library.sync()
    embedder = start_background_embedder(library)
    remedy = "embedding the rest in the background" if embedder else None
    note = coverage_note(library.coverage(), *([remedy] if remedy else []))
    if note and echo is not None:
        echo(note)
    return embedder


def _run(config: Any) -> None:
    """What `uvicorn.run` does with a config, allowing an app factory object with several
    workers (uvicorn.run wants an import string there, and the workers would then have only
    the environment to learn the database from)."""
    from uvicorn import Server
    from uvicorn.supervisors import Multiprocess

    if config.workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        server = Server(config)
        server.run()
        if not server.started:
            raise SystemExit(3)  # uvicorn's STARTUP_FAILURE: it has logged why


def _head_guard() -> dict[str, Any]:
    """uvicorn's httptools protocol with a limit on each request's head, when httptools is
    there (uvicorn's h11 fallback limits a head to 16 KB itself, with no deadline)."""
    try:
        from healthqa.web import heads
    except ImportError:
        return {}
    return {"http": heads.GuardedHttpTools}


def start_background_embedder(library: Library) -> tuple[BaseProcess, Event] | None:
    """This node's background embedder (a process, and the event that stops it), when the
    `embed_in_background` setting and embeddings are on; None otherwise."""
    if not library.settings["embed_in_background"] or library.embedder is None:
        return None
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    process = context.Process(
        target=embed_in_background,
        args=(library.db, stop),
        kwargs={"parent": os.getpid()},
        name="healthqa-embedder",
        daemon=True,
    )
    process.start()
    return process, stop


def embed_in_background(
    db: DatabaseURL,
    stop: Event,
    pause: float = BACKGROUND_PAUSE,
    settings: dict[str, Any] | None = None,
    parent: int | None = None,
) -> None:
    """Embed what has no vector yet, at low priority, in turns of BACKGROUND_TEXTS texts taken
    only while no other process is embedding (another node's embedder, an import); when there
    is nothing to do, look again every `pause` seconds, until `stop` is set or the `parent`
    process is gone (uvicorn ends its process by the signal that stopped it, so `stop` may
    never be set)."""
    with contextlib.suppress(OSError):
        os.nice(10)  # the web workers come first

    def going_on(done: int = 0, total: int = 0) -> None:
        if stop.is_set() or (parent is not None and os.getppid() != parent):
            raise _Stopped

    library = Library(db, settings)
    try:
        while (vectors := library.vectors) is not None:
            going_on()
            vectors.refresh()  # cheap: a look at the change log
            if vectors.coverage().complete or not library.embed(going_on, BACKGROUND_TEXTS):
                stop.wait(pause)  # nothing to do, or another process is at it
    except (_Stopped, KeyboardInterrupt):  # what was saved stays saved
        pass
    finally:
        library.close()


class _Stopped(Exception):
    """The background embedder was told to stop, or its server is gone."""


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
