"""Search and ask latency over real consumer questions on the 17,942-article corpus.

    .venv/bin/python benchmarks/bench_search.py                  # liveqa-med-dev, 20 rounds

Imports the benchmark's corpus into a temporary database (or uses --db), brings its index up to
date, then times `Search.hits` (the real code path: analysis, spelling tolerance, BM25 over
weighted fields) and `ask` (search, then passages and confidence for each answer) for every
question, `--rounds` times. Plain BM25 on the same index is timed in
the same run as the baseline. Prints p50 and p99 in milliseconds and the machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_import import machine

from healthqa import evaluate, open_store
from healthqa.answers import ask
from healthqa.imports import import_paths
from healthqa.index.lexical import LexicalIndex
from healthqa.index.sync import sync
from healthqa.search import Search

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "bench" / "liveqa-med-dev"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT))
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    bench = evaluate.load_beir(Path(args.folder))
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(str(Path(folder) / "bench.db"))
        import_paths(store, [str(bench.corpus_path)])
        index = LexicalIndex(Path(folder) / "index")
        sync(store, index)
        search = Search(store, index)
        print(f"corpus: {index.size:,} articles; questions: {len(bench.queries)}")
        print(f"machine: {machine()}; rounds: {args.rounds}\n")
        print(f"{'ranking':<24} {'p50 ms':>8} {'p99 ms':>8}")
        runs: dict[str, Callable[[str], object]] = {
            "baseline: plain BM25": lambda text: search.hits(text, 10, baseline=True),
            "healthqa search": lambda text: search.hits(text, 10),
            "healthqa ask (top 3)": lambda text: ask(search, text, 3),
            "healthqa ask (top 10)": lambda text: ask(search, text, 10),
        }
        for name, run in runs.items():
            times = []
            for _ in range(args.rounds):
                for query in bench.queries:
                    started = time.perf_counter()
                    run(query.text)
                    times.append((time.perf_counter() - started) * 1000)
            p50, p99 = statistics.median(times), percentile(times, 0.99)
            print(f"{name:<24} {p50:>8.2f} {p99:>8.2f}")
        store.close()


if __name__ == "__main__":
    main()
