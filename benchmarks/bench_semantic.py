"""The semantic path: embedding throughput, query latency with hybrid ranking, and memory.

    .venv/bin/python benchmarks/bench_semantic.py --db /work/cache/semantic/dev.db   # reuse
    .venv/bin/python benchmarks/bench_semantic.py                 # imports liveqa-med-dev first

Needs the semantic extra and the model (see docs/decisions.md). Measures, on this machine:

1. embedding throughput (articles a second) for each kind of embedded text, on a fixed sample
   of `--sample` articles (the first by id), and the full-corpus time it implies;
2. the first sync of the vector index (every article's vectors from the store, or embedded when
   absent: with a fresh database that is the whole corpus, slow), then p50 / p99 of: embedding
   one question, exact vector search over the corpus, hybrid `Search.hits`, and `ask` (top 3
   and top 10) with the hybrid ranking, and with the re-ranker when --reranker names one;
3. the process's peak resident memory (RSS).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from bench_import import machine
from bench_search import percentile

from healthqa import evaluate, open_store
from healthqa.answers import ask
from healthqa.articles import Article
from healthqa.embedders import Embedder, load_embedder
from healthqa.imports import import_paths
from healthqa.index.lexical import LexicalIndex
from healthqa.index.sync import sync
from healthqa.index.vectors import EMBEDDED_TEXTS, VectorIndex, embedded_text
from healthqa.rerank import load_reranker
from healthqa.search import Search
from healthqa.store import ArticleFilter, Store

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "bench" / "liveqa-med-dev"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT))
    parser.add_argument("--db", help="A database that already holds the corpus (and vectors).")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sample", type=int, default=256)
    parser.add_argument("--kind", default="title+lead", choices=EMBEDDED_TEXTS)
    parser.add_argument("--reranker", help="A re-ranker file from healthqa train.")
    args = parser.parse_args()
    embedder = load_embedder()
    if embedder is None:
        raise SystemExit("the semantic extra or the model is not installed (docs/decisions.md)")
    bench = evaluate.load_beir(Path(args.folder))
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(args.db or str(Path(folder) / "bench.db"))
        if not args.db:
            import_paths(store, [str(bench.corpus_path)])
        print(f"machine: {machine()}; model: {embedder.model_id}\n")
        throughput(store, embedder, args.sample)
        index = LexicalIndex(Path(args.db + ".index") if args.db else Path(folder) / "index")
        sync(store, index)
        started = time.perf_counter()
        vectors = VectorIndex(store, embedder, args.kind)
        vectors.sync()
        print(
            f"\nvector index ({args.kind}): {vectors.size:,} vectors ready in "
            f"{time.perf_counter() - started:.1f} s ({vectors.embedded:,} embedded now)"
        )
        reranker = (
            load_reranker(Path(args.reranker), embedder, args.kind) if args.reranker else None
        )
        latency(bench, Search(store, index, vectors, reranker), args.rounds)
        store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS: {peak:,.0f} MB")


def throughput(store: Store, embedder: Embedder, sample: int) -> None:
    articles = list(_first(store, sample))
    total = store.count_articles()
    print(f"{'embedded text':<16} {'articles/s':>10} {'whole corpus':>14}")
    for kind in ("title", "lead"):  # title+lead embeds both
        texts = [embedded_text(article, kind) for article in articles]
        started = time.perf_counter()
        embedder.embed(texts)
        rate = len(texts) / (time.perf_counter() - started)
        print(f"{kind:<16} {rate:>10.1f} {total / rate / 60:>11.1f} min")
    texts = [article.title + " " + article.body_text for article in articles[:32]]
    started = time.perf_counter()
    embedder.embed(texts)
    rate = len(texts) / (time.perf_counter() - started)
    print(f"{'whole article':<16} {rate:>10.1f} {total / rate / 60:>11.1f} min  (32 articles)")


def latency(bench: evaluate.BeirBenchmark, search: Search, rounds: int) -> None:
    vectors = search.vectors
    assert vectors is not None
    query_vector = vectors.embed_query("why do my calves knot up at night")
    runs: dict[str, Callable[[str], object]] = {
        "embed the question": vectors.embed_query,
        "exact vector search": lambda text: vectors.search(query_vector, 100),
        "hybrid search": lambda text: search.hits(text, 10),
        "hybrid ask (top 3)": lambda text: ask(search, text, 3),
        "hybrid ask (top 10)": lambda text: ask(search, text, 10),
    }
    if search.reranker is not None:

        def reranked(text: str) -> object:
            search.ranking = "reranked"
            try:
                return ask(search, text, 10)
            finally:
                search.ranking = "hybrid"

        runs["re-ranked ask (top 10)"] = reranked
    print(f"\n{len(bench.queries)} questions x {rounds} rounds")
    print(f"{'step':<24} {'p50 ms':>8} {'p99 ms':>8}")
    for name, run in runs.items():
        times = []
        for _ in range(rounds):
            for query in bench.queries:
                started = time.perf_counter()
                run(query.text)
                times.append((time.perf_counter() - started) * 1000)
        print(f"{name:<24} {statistics.median(times):>8.2f} {percentile(times, 0.99):>8.2f}")


def _first(store: Store, count: int) -> Iterator[Article]:
    for number, article in enumerate(store.iter_articles(ArticleFilter(status="published"))):
        if number >= count:
            return
        yield article


if __name__ == "__main__":
    main()
