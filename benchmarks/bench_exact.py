"""Exact vector search with and without int8 candidates: the same results, in less time?

    .venv/bin/python benchmarks/bench_exact.py ~/.cache/healthqa-dev/dev.db --questions 3000

Opens the database's stored vectors twice through the real `VectorIndex`: once searching every
float32 vector (`quantized_from = 0`), once letting int8 scores pick the candidates that are
then scored in float32 (the default from `QUANTIZED_FROM` articles, decision 31). Asks both for
the 100 articles hybrid search asks for and the 10 a page shows, for questions drawn from the
LiveQA 2017 training questions and the collection's titles (benchmarks/bench_ask_http.py's
pool), embedded by the real model; prints how many questions get a different list, the
largest score difference, and each way's p50 and p99 time per question (alternating).
Needs a database embedded by `healthqa reindex`, and the semantic extra.
"""

from __future__ import annotations

import argparse
import time

from bench_ask_http import pool
from bench_import import machine
from bench_search import percentile

from healthqa import open_store
from healthqa.embedders import load_embedder
from healthqa.index.vectors import VectorIndex


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db")
    parser.add_argument("--questions", type=int, default=3000)
    parser.add_argument("--kind", default="title+lead")
    args = parser.parse_args()
    embedder = load_embedder()
    if embedder is None:
        raise SystemExit("needs the semantic extra and the model")
    store = open_store(args.db)
    full = VectorIndex(store, embedder, args.kind, quantized_from=0)
    quick = VectorIndex(store, embedder, args.kind)
    questions = pool(args.db)[: args.questions]
    vectors = embedder.embed(questions)
    print(
        f"{machine()}; {full.size:,} articles ({args.kind}); {len(questions):,} questions; "
        f"int8 candidates: {'yes' if quick._view.coarse is not None else 'no'}"
    )
    times: dict[str, list[float]] = {"float32": [], "int8 + float32": []}
    differ = {10: 0, 100: 0}
    worst = 0.0
    for vector in vectors:
        found = {}
        for name, index in (("float32", full), ("int8 + float32", quick)):
            start = time.perf_counter()
            found[name] = index.search(vector, 100)
            times[name].append((time.perf_counter() - start) * 1000)
        a, b = found["float32"], found["int8 + float32"]
        for limit in differ:
            if [h.article_id for h in a[:limit]] != [h.article_id for h in b[:limit]]:
                differ[limit] += 1
        worst = max(worst, max(abs(x.score - y.score) for x, y in zip(a, b, strict=True)))
    for limit, count in differ.items():
        print(f"top {limit}: {count} of {len(vectors)} questions differ")
    print(f"largest score difference at the same rank: {worst:.2e}")
    for name, values in times.items():
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        print(f"{name:<16} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms")
    store.close()


if __name__ == "__main__":
    main()
