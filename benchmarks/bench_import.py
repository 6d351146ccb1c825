"""Import speed: articles per second for a real collection, end to end.

    .venv/bin/python benchmarks/bench_import.py                       # MedQuAD archive, 3 runs
    .venv/bin/python benchmarks/bench_import.py PATH --runs 5
    .venv/bin/python benchmarks/bench_import.py --postgres postgresql://postgres@127.0.0.1/test

With `--postgres URL`, only the full import is timed, into SQLite and into PostgreSQL (a new
schema each run, dropped after), alternating in the same run so that both meet the same load.

Each run imports into a new SQLite file: read, parse, sanitise, drop repeats, MinHash, store in
batches with revisions and change log, resolve links, recompute near-duplicates; parsing and
cleaning run in 2 worker processes. Beside it, in the same run, three baselines show where the
time goes: reading and parsing alone, reading plus cleaning (no store), and the full import in
one process. A re-import of the same input (everything unchanged) is timed too.
Medians are reported with the machine they ran on.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from healthqa import clean, ingest
from healthqa.articles import ArticleRecord
from healthqa.imports import import_paths
from healthqa.store import open_store

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "medquad.tar.gz"


def read_only(path: str) -> int:
    return sum(isinstance(item, ArticleRecord) for item in ingest.read([path]))


def read_and_clean(path: str) -> int:
    count = 0
    for item in ingest.read([path]):
        if isinstance(item, ArticleRecord):
            clean.clean(item)
            count += 1
    return count


def full_import(path: str, db: str, workers: int = 2) -> int:
    store = open_store(db)
    try:
        return import_paths(store, [path], workers=workers).imported
    finally:
        store.close()


def new_db(folder: str) -> str:
    return os.path.join(folder, f"bench-{time.monotonic_ns()}.db")


def reimport(path: str, db: str) -> int:
    store = open_store(db)
    try:
        summary = import_paths(store, [path])
        assert summary.imported == summary.updated == 0, "a re-import changed something"
        return summary.unchanged
    finally:
        store.close()


@contextlib.contextmanager
def new_schema(url: str) -> Iterator[str]:
    """A URL to a new, empty schema of the PostgreSQL database `url`, dropped afterwards."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            separator = "&" if "?" in url else "?"
            yield f"{url}{separator}options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def compare(path: str, url: str, runs: int, folder: str) -> list[tuple[str, float, int]]:
    """The full import into SQLite and into PostgreSQL, one after the other, `runs` times."""
    seconds: dict[str, list[float]] = {"SQLite": [], "PostgreSQL": []}
    counts = set()
    for _ in range(runs):
        for name in seconds:
            with contextlib.ExitStack() as stack:
                db = new_db(folder) if name == "SQLite" else stack.enter_context(new_schema(url))
                started = time.perf_counter()
                counts.add(full_import(path, db))
                seconds[name].append(time.perf_counter() - started)
    assert len(counts) == 1, f"runs disagree on the count: {counts}"
    count = counts.pop()
    return [
        (f"full import, {name}", statistics.median(values), count)
        for name, values in seconds.items()
    ]


def timed(runs: int, work: Callable[[], int]) -> tuple[float, int]:
    """The median seconds over `runs`, and the article count (the same every run)."""
    seconds, counts = [], set()
    for _ in range(runs):
        started = time.perf_counter()
        counts.add(work())
        seconds.append(time.perf_counter() - started)
    assert len(counts) == 1, f"runs disagree on the count: {counts}"
    return statistics.median(seconds), counts.pop()


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="compare SQLite with this database")
    args = parser.parse_args()
    if not Path(args.path).exists():
        sys.exit(f"{args.path} not found: pass the collection to import")

    print(f"input: {args.path}\nmachine: {machine()}\nruns: {args.runs} (median shown)\n")
    with tempfile.TemporaryDirectory() as folder:
        if args.postgres:
            report(compare(args.path, args.postgres, args.runs, folder))
            return
        rows = [
            ("baseline: read and parse only", *timed(args.runs, lambda: read_only(args.path))),
            (
                "baseline: read, parse and clean",
                *timed(args.runs, lambda: read_and_clean(args.path)),
            ),
            (
                "baseline: full import, 1 process",
                *timed(args.runs, lambda: full_import(args.path, new_db(folder), workers=0)),
            ),
            (
                "full import, new database",
                *timed(args.runs, lambda: full_import(args.path, new_db(folder))),
            ),
        ]
        db = new_db(folder)
        full_import(args.path, db)
        rows.append(
            ("re-import, all unchanged", *timed(args.runs, lambda: reimport(args.path, db)))
        )
    report(rows)


def report(rows: list[tuple[str, float, int]]) -> None:
    print(f"{'stage':<34} {'seconds':>8} {'articles':>9} {'articles/s':>11}")
    for name, seconds, count in rows:
        print(f"{name:<34} {seconds:>8.2f} {count:>9,} {count / seconds:>11,.0f}")


if __name__ == "__main__":
    main()
