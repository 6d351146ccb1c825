"""CPU per article of one import, in a fresh process, as `healthqa import` runs it.

    nice -n 10 .venv/bin/python benchmarks/import_cpu.py ../shared/bench/liveqa-med-dev/corpus.jsonl
    PYTHONPATH=OLD .venv/bin/python benchmarks/import_cpu.py PATH     # another version of the code

Imports PATH into a new SQLite file (in a temporary folder under `--folder`, deleted after)
with the import's 2 worker processes and prints one JSON line: articles, wall seconds and
articles a second, and the CPU seconds of this process (reading, writing the store,
near-duplicates) and of its workers (parsing, cleaning), from `getrusage`, with their sum
per article. On a machine
shared with other work the wall clock moves with the load; the CPU per article moves much
less, so compare versions of the code by it (and run them one after the other). Opening the
store (its migrations) is included.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time

from healthqa.imports import import_paths
from healthqa.store import open_store


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--folder", help="where to make the temporary database (default: TMPDIR)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(dir=args.folder and os.path.expanduser(args.folder))
    try:
        main_before = cpu_seconds(resource.RUSAGE_SELF)
        workers_before = cpu_seconds(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        store = open_store(os.path.join(folder, "import.db"))
        try:
            summary = import_paths(store, [args.path], workers=args.workers)
        finally:
            store.close()
        wall = time.perf_counter() - started
        main_cpu = cpu_seconds(resource.RUSAGE_SELF) - main_before
        workers_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - workers_before
    finally:
        shutil.rmtree(folder)
    count = summary.imported
    print(
        json.dumps(
            {
                "articles": count,
                "wall": round(wall, 2),
                "per_s": round(count / wall),
                "cpu_main": round(main_cpu, 2),
                "cpu_workers": round(workers_cpu, 2),
                "cpu_ms_per_article": round(1000 * (main_cpu + workers_cpu) / count, 4),
                "main_ms": round(1000 * main_cpu / count, 4),
                "workers_ms": round(1000 * workers_cpu / count, 4),
                "near": summary.near_duplicates,
                "load": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
