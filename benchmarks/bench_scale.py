"""One benchmark suite against corpus size: healthqa beside the raw engine and Datasette.

    nice -n 10 python benchmarks/bench_scale.py --sizes 17942,100000,1000000
    python benchmarks/scale_report.py        # the tables and plots into docs/performance.md

Needs the semantic extra with the model, wrk, and the bench extra (Datasette); the sources'
vectors come from a MedQuAD database with stored title and lead vectors (`--vectors-from`).
Everything it makes lives under `--work` (~/.cache/healthqa-dev/scale), never in the
repository. For each size, one after the other:

1. the corpus: `make_corpus.py` writes it (the 17,942 liveqa-med-dev articles, then
   generated ones) with its vectors, unless it is there already;
2. import: `healthqa import --no-embed` into a new SQLite file, in its own process (articles a
   second, end to end: read, clean, MinHash, store, near-duplicates);
3. index build: the tantivy index from nothing (`index.sync.rebuild`); the vectors stored
   under the model's keys with the hash of each imported article's texts, as `healthqa
   reindex` stores them (not timed: it stands in for embedding), then the vector index opened
   from the store (exact below `approximate_from`, else its approximate index built and saved);
4. in-process latency, p50 and p99 over the 52 liveqa-med-dev questions (their text only):
   tantivy alone (the same analysis, the question's terms OR-ed over title and body, the ids
   of the top 10: the raw engine), healthqa's keyword search (`Search.hits`), the search page's
   view (`Search.page`: ten articles and the count), ask with keywords and hybrid (the
   question's vector cached, as a repeated question is; embedding a new one is its own row),
   re-ranked beside them when `--reranker` names a file, exact and approximate vector search,
   and related articles of 200 seeded articles;
5. HTTP: `healthqa serve --workers 2`, wrk over loopback (2 threads, 16 connections) cycling
   through 5,000 article pages, the search page, the search API and the ask page (52
   questions), then the workers' memory (RSS); then Datasette (`datasette serve`, one
   process) over a SQLite copy of the same articles with FTS5 (porter stemming), searched as
   healthqa searches: the question's words OR-ed, ranked by relevance (`_searchmode=raw`);
6. sizes on disk: the database, the index folder, Datasette's database.

Steps 1-4 run in a process of their own (`--phase build`), so that the one serving in step 5
starts small; `--phase serve` measures step 5 again over what a build left. wrk waits up to
60 s for an answer (Datasette's searches take seconds at 100,000 articles) and counts the
requests that got none. Before each scenario a few requests, waited for however long they
take, let both workers open the index and the vectors. Results go to WORK/results-SIZE.json,
with the load average beside every step.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import numpy as np
import tantivy
from bench_import import machine
from bench_search import percentile
from bench_web import HEALTHQA, article_paths, free_port, server, wait_until_up, wrk

from healthqa import evaluate
from healthqa.answers import ask
from healthqa.embedders import Embedder, load_embedder
from healthqa.index.lexical import LexicalIndex
from healthqa.index.sync import rebuild
from healthqa.index.vectors import VectorIndex, embedded_text, text_hash
from healthqa.recommend import related
from healthqa.rerank import load_reranker
from healthqa.search import Search
from healthqa.store import ArticleFilter, Store, open_store
from healthqa.text import terms

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parents[1] / "shared" / "bench" / "liveqa-med-dev"
WORK = Path("~/.cache/healthqa-dev/scale").expanduser()
KIND = "title+lead"
Row = dict[str, float]


def load() -> float:
    return round(os.getloadavg()[0], 2)


def step(results: dict[str, Any], name: str, value: Any) -> None:
    """Record a figure with the load average beside it, and say so on the log."""
    results[name] = value
    results.setdefault("load", {})[name] = load()
    print(f"[{time.strftime('%H:%M:%S')}] {name}: {value} (load {load()})", flush=True)
    (results["_out"]).write_text(
        json.dumps({k: v for k, v in results.items() if k != "_out"}, indent=1)
    )


def make_corpus(size: int, work: Path, vectors_from: str) -> Path:
    corpus = work / f"corpus-{size}.jsonl"
    if not Path(str(corpus) + ".vectors.npy").exists():
        script = str(HERE / "make_corpus.py")
        command = [sys.executable, script, str(size), str(corpus), "--vectors-from", vectors_from]
        subprocess.run(command, check=True)
    return corpus


def import_corpus(corpus: Path, db: Path) -> dict[str, Any]:
    """`healthqa import --no-embed` into a new database, in a process of its own."""
    for old in db.parent.glob(db.name + "*"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    command = [HEALTHQA, "--db", str(db), "import", "--no-embed", "--json", str(corpus)]
    started = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    seconds = time.perf_counter() - started
    summary = json.loads(out[out.index("{") :])
    return {
        "seconds": round(seconds, 1),
        "articles": summary["imported"],
        "per_second": round(summary["imported"] / seconds),
        "near_duplicates": summary["near_duplicates"],
    }


def store_vectors(store: Store, corpus: Path, embedder: Embedder) -> int:
    """The corpus's vectors (make_corpus.py) stored for the imported articles, keyed by the
    hash of each article's texts, as `healthqa reindex` would have stored its own."""
    meta = json.loads(Path(str(corpus) + ".vectors.json").read_text())
    keys = [f"{embedder.model_id}:{part}" for part in ("title", "lead")]
    if meta["models"] != keys:
        raise SystemExit(f"the corpus's vectors are {meta['models']}, the model's keys {keys}")
    vectors = np.load(str(corpus) + ".vectors.npy", mmap_mode="r")
    with corpus.open(encoding="utf-8") as lines:
        row_of = {json.loads(line)["_id"]: n for n, line in enumerate(lines)}
    seq, stored = store.last_change(), 0
    rows: list[list[tuple[int, str, bytes]]] = [[], []]
    for article in store.iter_articles(ArticleFilter(status="published")):
        both = vectors[row_of[article.external_id]].astype(np.float32)
        if not both[0].any():
            continue
        for column, part in enumerate(("title", "lead")):
            digest = text_hash(embedded_text(article, part))
            rows[column].append((article.id, digest, both[column].tobytes()))
        stored += 1
        if len(rows[0]) >= 20_000:
            _save(store, keys, rows, seq)
    _save(store, keys, rows, seq)
    return stored


def _save(
    store: Store, keys: list[str], rows: list[list[tuple[int, str, bytes]]], seq: int
) -> None:
    for key, part in zip(keys, rows, strict=True):
        store.save_vectors(key, part, [], seq)
        part.clear()


def timed(run: Callable[[str], object], texts: list[str], rounds: int) -> Row:
    times = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            run(text)
            times.append((time.perf_counter() - started) * 1000)
    return {"p50": round(statistics.median(times), 3), "p99": round(percentile(times, 0.99), 3)}


def raw_engine(index: LexicalIndex) -> Callable[[str], list[int]]:
    """tantivy alone: healthqa's analysis of the question, its distinct terms OR-ed over title
    and body, and the ids of the top 10, as a developer using tantivy directly would write."""
    schema = index.schema

    def run(text: str) -> list[int]:
        searcher = index._searcher
        clauses = [
            (tantivy.Occur.Should, tantivy.Query.term_query(schema, field, term))
            for term in list(dict.fromkeys(terms(text)))[:64]
            for field in ("title", "body")
        ]
        result = searcher.search(tantivy.Query.boolean_query(clauses), 10)
        return [int(searcher.doc(address)["id"][0]) for _, address in result.hits]

    return run


def latencies(
    store: Store, index: LexicalIndex, vectors: VectorIndex, questions: list[str], args: Any
) -> dict[str, Row]:
    keywords = Search(store, index)
    hybrid = Search(store, index, vectors)
    runs: dict[str, Callable[[str], object]] = {
        "raw engine (tantivy alone)": raw_engine(index),
        "search (keywords)": lambda q: keywords.hits(q, 10),
        "search page view": lambda q: keywords.page(q, 10),
        "ask (keywords)": lambda q: ask(keywords, q),
        "ask (hybrid)": lambda q: ask(hybrid, q),
    }
    if args.reranker:
        reranked = Search(
            store, index, vectors, load_reranker(Path(args.reranker), vectors.embedder, KIND)
        )
        reranked.ranking = "reranked"
        runs["ask (re-ranked)"] = lambda q: ask(reranked, q)
    for question in questions:  # warm: the speller, vocabulary and question vectors
        ask(hybrid, question)
    found = {name: timed(run, questions, args.rounds) for name, run in runs.items()}
    embedder = vectors.embedder
    found["embed a new question"] = timed(lambda q: embedder.embed([q + " ?"]), questions, 1)
    query = [vectors.embed_query(q) for q in questions]
    vector_of = dict(zip(questions, query, strict=True))
    views = two_views(vectors)
    for name, view in zip(("vector search (exact)", "vector search (index)"), views, strict=True):
        vectors._view = view
        found[name] = timed(lambda q: vectors.search(vector_of[q], 100), questions, args.rounds)
    found["recall@10 of the vector index"] = {"p50": recall(vectors, views, query)}
    ids = _sample_ids(store, 200)
    found["related articles"] = timed(lambda i: related(store, index, int(i)), ids, 1)
    return found


def two_views(vectors: VectorIndex) -> tuple[Any, Any]:
    """Exact search's view of the same vectors beside the index's own (the approximate index's, from
    `approximate_from` articles on), over the text hashes already in memory (the exact view
    reads the float32 vectors from the store, which the index's view does not keep)."""
    index_view, threshold = vectors._view, vectors.approximate_from
    vectors.approximate_from = 0
    vectors._build()
    exact_view = vectors._view
    vectors.approximate_from, vectors._view = threshold, index_view
    return exact_view, index_view


def recall(vectors: VectorIndex, views: tuple[Any, Any], queries: list[np.ndarray]) -> float:
    """recall@10 of the index's view against exact search's, on the questions' vectors."""
    hits = 0
    for query in queries:
        found = []
        for view in views:
            vectors._view = view
            found.append({hit.article_id for hit in vectors.search(query, 10)})
        hits += len(found[0] & found[1])
    vectors._view = views[1]
    return round(hits / (10 * len(queries)), 4)


def _sample_ids(store: Store, count: int) -> list[str]:
    """`count` seeded article ids (a new import numbers its articles from 1 with no gaps)."""
    total = store.count_articles(ArticleFilter(status="published"))
    return [str(i) for i in random.Random(21).sample(range(1, total + 1), min(count, total))]


def datasette_db(store: Store, path: Path) -> float:
    """The same published articles in a SQLite file of their own, with FTS5 (porter)."""
    import sqlite_utils

    started = time.perf_counter()
    path.unlink(missing_ok=True)
    db = sqlite_utils.Database(path)
    rows = (
        {"id": a.id, "title": a.title, "body": a.body_text, "slug": a.slug}
        for a in store.iter_articles(ArticleFilter(status="published"))
    )
    db["articles"].insert_all(rows, pk="id", batch_size=5000)
    db["articles"].enable_fts(["title", "body"], tokenize="porter", create_triggers=False)
    db.vacuum()
    return time.perf_counter() - started


def ored(question: str) -> str:
    """The question's words OR-ed, in FTS5's syntax, each quoted (so no word is an operator)."""
    words = list(dict.fromkeys(w.lower() for w in re.findall(r"\w+", question)))[:64]
    return " OR ".join(f'"{w}"' for w in words)


def rss_mb(parent: int) -> list[float]:
    """Resident memory of each process under `parent` (the server's workers)."""
    out = subprocess.run(
        ["ps", "-o", "pid=,rss=", "--ppid", str(parent)], capture_output=True, text=True
    ).stdout
    return [round(int(line.split()[1]) / 1024) for line in out.splitlines() if line.strip()]


def http(db: Path, questions: list[str], datasette: Path, args: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    q = [quote_plus(text) for text in questions]
    with tempfile.TemporaryDirectory(prefix="healthqa-scale-") as name:
        folder = Path(name)
        with server(str(db), free_port(), 2) as base:
            scenarios = {
                "article page": article_paths(base, args.articles),
                "search page": [f"/search?q={x}" for x in q],
                "search API": [f"/api/v1/search?q={x}" for x in q],
                "ask page": [f"/ask?q={x}" for x in q],
            }
            for scenario, paths in scenarios.items():
                warm(base, paths[:8])  # both workers open what the scenario needs
                wrk(base, paths[:50], args, folder, timeout=60)  # caches, question vectors
                found[scenario] = wrk(base, paths, args, folder, timeout=60) | {"load": load()}
                print(f"  {scenario}: {found[scenario]}", flush=True)
            pids = subprocess.run(
                ["pgrep", "-f", "--", f"--db {db} serve"], capture_output=True, text=True
            ).stdout.split()
            pid = min(int(p) for p in pids)
            found["rss_mb"] = rss_mb(pid)
        found["datasette search"] = datasette_wrk(datasette, q, args, folder)
    return found


def warm(base: str, paths: list[str]) -> None:
    """Request `paths` 4 at a time, waiting as long as it takes: the first request a worker
    gets opens the index and the vectors (minutes at a million articles), which no measured
    request should wait for."""
    from concurrent.futures import ThreadPoolExecutor

    def get(path: str) -> None:
        with urllib.request.urlopen(base + path, timeout=1800) as response:
            response.read()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(get, paths))


def datasette_wrk(path: Path, questions: list[str], args: Any, folder: Path) -> dict[str, Any]:
    port = free_port()
    exe = str(Path(sys.executable).with_name("datasette"))
    command = [
        exe,
        "serve",
        str(path),
        "--port",
        str(port),
        "--setting",
        "sql_time_limit_ms",
        "60000",
        "--setting",
        "default_cache_ttl",
        "0",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/-/versions.json", process)
        table = f"/{path.stem}/articles.json"
        paths = [
            f"{table}?_search={quote_plus(ored(text))}&_searchmode=raw&_size=10&_shape=objects"
            for text in questions
        ]
        wrk(base, paths[:10], args, folder, timeout=60)
        result = wrk(base, paths, args, folder, timeout=60) | {"load": load()}
        print(f"  datasette search: {result}", flush=True)
        return result
    finally:
        process.terminate()
        process.wait(30)


def disk_mb(*paths: Path) -> float:
    total = 0
    for path in paths:
        for item in [path] if path.is_file() else path.rglob("*"):
            if item.is_file():
                total += item.stat().st_size
    return round(total / 2**20, 1)


def run_size(size: int, args: argparse.Namespace, questions: list[str]) -> None:
    """One size's figures: built and measured in-process (phase "build"), then served."""
    work = Path(args.work).expanduser()
    folder = work / str(size)
    folder.mkdir(parents=True, exist_ok=True)
    out = work / f"results-{size}.json"
    results: dict[str, Any] = {"size": size, "machine": machine()}
    if (args.reuse or args.phase == "serve") and out.exists():  # the figures so far kept
        results = json.loads(out.read_text()) | results
    results["_out"] = out
    db = folder / "healthqa.db"
    if args.phase == "build":
        build(size, args, questions, results, db)
        return
    if args.phase == "all":  # in a process of its own, which gives its memory back
        subprocess.run(
            [sys.executable, __file__, *sys.argv[1:], "--phase", "build", "--sizes", str(size)],
            check=True,
        )
        results = json.loads(out.read_text()) | {"_out": out}
    datasette = folder / "datasette.db"
    step(results, "http", http(db, questions, datasette, args))
    step(
        results,
        "disk MB",
        {
            "database": disk_mb(*folder.glob("healthqa.db*")),
            "index folder": disk_mb(Path(str(db) + ".index")),
            "datasette database": disk_mb(datasette),
        },
    )


def build(
    size: int, args: argparse.Namespace, questions: list[str], results: dict[str, Any], db: Path
) -> None:
    """Import, build the indexes, store the vectors, time the library in-process."""
    results["started"] = time.ctime()
    corpus = make_corpus(size, Path(args.work).expanduser(), args.vectors_from)
    if not args.reuse or not db.exists():
        step(results, "import", import_corpus(corpus, db))
    store = open_store(str(db))
    index = LexicalIndex(Path(str(db) + ".index"))
    started = time.perf_counter()
    rebuild(store, index)
    step(results, "lexical index build s", round(time.perf_counter() - started, 1))
    embedder = load_embedder()
    assert embedder is not None, "the semantic extra or the model is not installed"
    if not store.vector_count(f"{embedder.model_id}:title")[0]:
        step(results, "vectors stored", store_vectors(store, corpus, embedder))
    started = time.perf_counter()
    vectors = VectorIndex(store, embedder, KIND, folder=Path(str(db) + ".index"))
    seconds = round(time.perf_counter() - started, 1)
    built = {"seconds": seconds, "approximate": vectors.approximate, "articles": vectors.size}
    step(results, "vector index build s", built)
    step(results, "latency ms", latencies(store, index, vectors, questions, args))
    datasette = db.parent / "datasette.db"
    if not datasette.exists():
        step(results, "datasette build s", round(datasette_db(store, datasette), 1))
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="17942,100000,1000000")
    parser.add_argument("--work", default=str(WORK))
    parser.add_argument("--vectors-from", default="~/.cache/healthqa-dev/medquad.db")
    parser.add_argument("--questions", default=str(DEFAULT))
    parser.add_argument("--reranker", help="a re-ranker file from healthqa train")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--reuse", action="store_true", help="keep a database already imported")
    parser.add_argument(
        "--phase",
        choices=("all", "build", "serve"),
        default="all",
        help="build: import and time in-process only; serve: the HTTP figures of what build made",
    )
    args = parser.parse_args()
    args.vectors_from = str(Path(args.vectors_from).expanduser())
    os.environ.setdefault("HEALTHQA_LOG_LEVEL", "warning")
    # The articles without a real vector stay so: the server embeds nothing while measured.
    os.environ["HEALTHQA_EMBED_IN_BACKGROUND"] = "false"
    questions = [q.text for q in evaluate.load_beir(Path(args.questions)).queries]
    for size in [int(s) for s in args.sizes.split(",")]:
        run_size(size, args, questions)


if __name__ == "__main__":
    main()
