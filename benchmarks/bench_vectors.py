"""Exact against approximate vector search at scale: recall@10, latency, build time, memory.

    python benchmarks/make_corpus.py 100000 ~/.cache/healthqa-dev/scale/corpus-100000.jsonl \
        --vectors-from ~/.cache/healthqa-dev/medquad.db            # once
    python benchmarks/bench_vectors.py ~/.cache/healthqa-dev/scale/corpus-100000.jsonl \
        --dtypes i8,f32 --expansion-search 64,128,256,512 --hnswlib

Reads the title and lead vectors make_corpus.py wrote beside a corpus (OUT.vectors.npy) and
the 52 liveqa-med-dev questions, embedded by the real model (needs the semantic extra). Each
article scores the better of its two cosines, as `index.vectors` scores it. For each kind of
approximate index (usearch's HNSW graph of i8, f16 or f32 vectors, as healthqa kept it from
decision 29 to decision 35, and hnswlib's f32 with `--hnswlib`; both `pip install` apart: the
index healthqa uses now is measured by benchmarks/bench_ann.py), built once, then searched with each
`--expansion-search` value: its build time and memory; per question, the articles found the
way `VectorIndex` finds them (twice as many entries asked for as articles wanted, scored
exactly) against exact search (numpy, one matrix product per text): recall@10 when 10
articles are asked for, recall@10 of the top 10 when 100 are (as hybrid search asks), and the
p50 / p99 latency of asking for 100. Questions only load the index: nothing is tuned on them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bench_import import machine
from bench_search import percentile

from healthqa import evaluate
from healthqa.embedders import load_embedder

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "bench" / "liveqa-med-dev"
Search = Callable[[np.ndarray, int], list[int]]


def load(corpus: Path) -> tuple[np.ndarray, np.ndarray]:
    """The articles' title and lead vectors as float32 (rows, 2, 384), and the rows with
    vectors (the others have none: never found by semantic search)."""
    raw = np.load(str(corpus) + ".vectors.npy", mmap_mode="r")
    present = np.flatnonzero(np.abs(raw[:, 0, :4]).sum(axis=1) > 0)
    return np.ascontiguousarray(raw[present], dtype=np.float32), present


def exact(vectors: np.ndarray) -> Search:
    titles, leads = np.ascontiguousarray(vectors[:, 0]), np.ascontiguousarray(vectors[:, 1])

    def search(query: np.ndarray, limit: int) -> list[int]:
        scores = np.maximum(titles @ query, leads @ query)
        top = np.argpartition(-scores, limit)[:limit]
        return top[np.argsort(-scores[top])].tolist()

    return search


def rescored(vectors: np.ndarray, keys: np.ndarray, query: np.ndarray, limit: int) -> list[int]:
    """Articles of the entries found, scored exactly by their better text, best first."""
    rows = np.unique(keys.astype(np.int64) // 2)
    scores = np.max(vectors[rows] @ query, axis=1)
    return rows[np.argsort(-scores)][:limit].tolist()


Made = tuple[Search, float, float, Callable[[int], None]]


def usearch(vectors: np.ndarray, dtype: str, expansion: int) -> Made:
    from usearch.index import Index

    started = time.perf_counter()
    index = Index(ndim=vectors.shape[2], metric="cos", dtype=dtype, expansion_add=expansion)
    flat = vectors.reshape(-1, vectors.shape[2])
    index.add(np.arange(len(flat), dtype=np.uint64), flat)
    built = time.perf_counter() - started
    memory = index.memory_usage / 2**20

    def search(query: np.ndarray, limit: int) -> list[int]:
        keys = np.asarray(index.search(query, 2 * limit).keys)
        return rescored(vectors, keys, query, limit)

    def expansion_search(value: int) -> None:
        index.expansion_search = value

    return search, built, memory, expansion_search


def hnswlib_index(vectors: np.ndarray) -> Made:
    import hnswlib

    flat = vectors.reshape(-1, vectors.shape[2])
    started = time.perf_counter()
    index = hnswlib.Index(space="cosine", dim=flat.shape[1])
    index.init_index(max_elements=len(flat), M=16, ef_construction=128)
    index.add_items(flat, np.arange(len(flat)), num_threads=os.cpu_count() or 1)
    index.set_ef(128)
    built = time.perf_counter() - started
    memory = len(flat) * (flat.shape[1] * 4 + 16 * 2 * 4 + 16) / 2**20  # vectors + level-0 links

    def search(query: np.ndarray, limit: int) -> list[int]:
        keys, _ = index.knn_query(query, k=2 * limit)
        return rescored(vectors, keys[0], query, limit)

    return search, built, memory, index.set_ef


def measure(
    name: str, search: Search, truth: list[list[int]], queries: np.ndarray, rounds: int
) -> tuple[str, float, float, float, float]:
    """recall@10 asked for 10 articles, and of the top 10 of 100 (what hybrid search asks
    for, search.CANDIDATES), and latency p50 / p99 of asking for 100."""
    pairs = list(zip(queries, truth, strict=True))
    alone = sum(len(set(search(q, 10)) & set(t)) for q, t in pairs) / (10 * len(queries))
    within = sum(len(set(search(q, 100)[:10]) & set(t)) for q, t in pairs) / (10 * len(queries))
    times = []
    for _ in range(rounds):
        for query in queries:
            started = time.perf_counter()
            search(query, 100)
            times.append((time.perf_counter() - started) * 1000)
    return name, alone, within, statistics.median(times), percentile(times, 0.99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", help="a corpus make_corpus.py wrote, with its vectors")
    parser.add_argument("--questions", default=str(DEFAULT))
    parser.add_argument("--dtypes", default="i8,f16,f32")
    parser.add_argument("--expansion-add", type=int, default=128)  # usearch's default
    parser.add_argument("--expansion-search", default="64,128,256,512")
    parser.add_argument("--hnswlib", action="store_true")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    embedder = load_embedder()
    if embedder is None:
        raise SystemExit("the semantic extra or the model is not installed (docs/decisions.md)")
    vectors, present = load(Path(args.corpus).expanduser())
    questions = [q.text for q in evaluate.load_beir(Path(args.questions)).queries]
    queries = embedder.embed(questions)
    print(
        f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}; "
        f"expansion_add {args.expansion_add}"
    )
    print(
        f"{len(present):,} articles with vectors ({2 * len(present):,} vectors); "
        f"{len(queries)} questions x {args.rounds} rounds, 100 articles a search\n"
    )
    search = exact(vectors)
    truth = [search(q, 10) for q in queries]
    rows = [measure("exact (numpy float32)", search, truth, queries, args.rounds)]
    built = {"exact (numpy float32)": (0.0, vectors.nbytes / 2**20)}
    kinds: list[tuple[str, Callable[[], Made]]] = [
        (f"usearch {dtype}", lambda d=dtype: usearch(vectors, d, args.expansion_add))
        for dtype in args.dtypes.split(",")
    ]
    if args.hnswlib:
        kinds.append(("hnswlib f32", lambda: hnswlib_index(vectors)))
    for name, make in kinds:
        found, seconds, memory, expansion_search = make()
        print(f"built {name} in {seconds:.1f} s (load {os.getloadavg()[0]:.1f})", flush=True)
        for value in [int(v) for v in args.expansion_search.split(",")]:
            expansion_search(value)
            label = f"{name} ef={value}"
            built[label] = (seconds, memory)
            rows.append(measure(label, found, truth, queries, args.rounds))
    print(
        f"\n{'index':<24} {'recall@10':>9} {'of 100':>7} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'build s':>8} {'MB':>7}"
    )
    for name, alone, within, p50, p99 in rows:
        seconds, memory = built[name]
        print(
            f"{name:<24} {alone:>9.3f} {within:>7.3f} {p50:>8.2f} {p99:>8.2f} {seconds:>8.1f}"
            f" {memory:>7.0f}"
        )
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
