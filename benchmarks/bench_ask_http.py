"""Semantic ask over HTTP against keyword ask, with one client in one run (issue 15).

    .venv/bin/python benchmarks/bench_ask_http.py --db ~/.cache/healthqa-dev/dev.db
    .venv/bin/python benchmarks/bench_ask_http.py --fresh ../shared/data/medquad.tar.gz

**Steady** (`--db`, a database whose articles are embedded: `healthqa reindex`): starts the
real server (`healthqa serve --workers 2`) on it once per ranking, keywords then the default
(hybrid; `--reranked FILE` adds a third with that re-ranker), the background embedder off, and
points wrk (`--threads`, `--connections`) at the ask page in two mixes:

- **distinct**: every request a different question, drawn from a pool larger than any cache
  (the LiveQA 2017 training questions and the corpus's own titles, shuffled, seeded). Each wrk
  thread walks its own share of the list, so no question is asked twice unless a run makes
  more requests than the list holds (the table says if it did);
- **zipf**: 80% of requests repeat an earlier question, which one chosen by a Zipf law over
  the questions seen so far (the most asked first); the other 20% are new ones. Readers ask
  the same questions, and the question-vector and answer caches are meant for that.

Each server is warmed on questions kept out of both mixes. Prints requests a second, p50 and
p99, the ratio of each ranking to keyword ask in the same mix, and non-2xx answers.

**Fresh** (`--fresh ARCHIVE`): imports the archive with `--no-embed` into a new database,
starts the server with its background embedder on (the default), warms each page on questions
kept out of the rounds, and measures the search and ask pages with distinct questions while
the embedder fills the vectors in: p50, p99 and how far embedding got meanwhile, as the worker
that answered the `stats` API saw it.

Needs wrk (`apt-get install wrk`), the semantic extra and the model, and ../shared/data.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote_plus

from bench_import import machine
from bench_web import free_port, run_wrk
from bench_web import server as web_server

from healthqa.evaluate.liveqa import load_liveqa

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HEALTHQA = str(Path(sys.executable).with_name("healthqa"))
MAX_QUESTION = 600  # characters of a question put in a URL (people type less; the limit is 2,000)
WARM = 300  # questions each server is warmed on, kept out of the measured mixes
REPEATS = 0.8  # the zipf mix's share of requests that repeat an earlier question
ZIPF = 1.0  # the exponent of the popularity law among the questions asked so far

# Thread k of n takes the paths k, k + n, k + 2n ... so threads never ask the same question.
LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  i = id - %d
end
request = function()
  i = i + %d
  if i > #paths then i = i - #paths end
  return wrk.format("GET", paths[i])
end
"""


@contextmanager
def server(db: str, workers: int, settings: dict[str, str]) -> Iterator[str]:
    """`healthqa serve` on a free port with the settings given as environment."""
    with web_server(db, free_port(), workers, settings) as base:
        yield base


def pool(db: str, seed: int = 15) -> list[str]:
    """Distinct questions: LiveQA's training questions and the database's titles, shuffled."""
    from healthqa import open_store

    store = open_store(db)
    try:
        titles = [summary.title for summary in store.titles()]
    finally:
        store.close()
    liveqa = [question.text for question in load_liveqa(DATA / "liveqa2017-train")]
    seen: dict[str, None] = {}
    for text in liveqa + titles:
        text = " ".join(text.split())[:MAX_QUESTION]
        if text:
            seen.setdefault(text.lower(), None)
    questions = list(seen)
    random.Random(seed).shuffle(questions)
    return questions


def zipf_mix(questions: list[str], length: int, seed: int = 15) -> tuple[list[str], float]:
    """`length` requests: each a new question with probability 1 - REPEATS, else a repeat of
    one asked before, the k-th asked chosen with weight 1 / k ** ZIPF. Returns the requests
    and their real share of repeats."""
    rng = random.Random(seed)
    fresh = iter(questions)
    asked: list[str] = [next(fresh)]
    cumulative = [1.0]  # the running sum of the weights 1 / k ** ZIPF
    out = [asked[0]]
    for _ in range(length - 1):
        if rng.random() >= REPEATS:
            asked.append(next(fresh))
            cumulative.append(cumulative[-1] + 1.0 / len(asked) ** ZIPF)
            out.append(asked[-1])
        else:
            out.append(asked[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])])
    repeats = 1 - len(set(out)) / len(out)
    return out, repeats


def wrk(base: str, paths: list[str], args: argparse.Namespace, folder: Path) -> dict[str, float]:
    listing = folder / "paths.txt"
    listing.write_text("\n".join(paths) + "\n", encoding="utf-8")
    script = folder / "walk.lua"
    script.write_text(LUA % (listing, args.threads, args.threads), encoding="utf-8")
    return run_wrk(base, script, args, timeout=5)


def steady(args: argparse.Namespace, folder: Path) -> None:
    questions = pool(args.db)
    warm, rest = questions[:WARM], questions[WARM:]
    new = rest[len(rest) // 2 :]  # the zipf mix's new questions, none in the distinct mix
    zipf, repeats = zipf_mix(new, int(len(new) * 0.9 / (1 - REPEATS)))
    mixes = {
        "distinct": [f"/ask?q={quote_plus(q)}" for q in rest[: len(rest) // 2]],
        "zipf": [f"/ask?q={quote_plus(q)}" for q in zipf],
    }
    rankings: dict[str, dict[str, str]] = {
        "keywords": {"ranking": "keywords"},
        "hybrid": {"ranking": "hybrid"},
    }
    if args.reranked:
        rankings["reranked"] = {"ranking": "reranked", "reranker_path": args.reranked}
    print(
        f"machine: {machine()}; server: {args.workers} workers; wrk: {args.threads} threads, "
        f"{args.connections} connections, {args.duration} s a run; pool: {len(questions):,} "
        f"distinct questions ({len(mixes['distinct']):,} for the distinct mix); zipf mix: "
        f"{repeats:.0%} repeats\n"
    )
    print(
        f"{'ranking':<10}{'mix':<10}{'req/s':>8}{'x keywords':>12}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'requests':>10}{'non-2xx':>9}"
    )
    base_rps: dict[str, float] = {}
    for ranking, settings in rankings.items():
        settings = settings | {"embed_in_background": "false", "log_level": "warning"}
        with server(args.db, args.workers, settings) as base:
            for _ in range(2):  # first requests load the model, vocabulary and caches
                wrk(base, [f"/ask?q={quote_plus(q)}" for q in warm], args, folder)
            for mix, paths in mixes.items():
                got = wrk(base, paths, args, folder)
                base_rps.setdefault(mix, got["rps"])
                wrapped = mix == "distinct" and got["requests"] > len(paths)
                note = " (list wrapped)" if wrapped else ""
                print(
                    f"{ranking:<10}{mix:<10}{got['rps']:>8.0f}{got['rps'] / base_rps[mix]:>12.3f}"
                    f"{got['p50']:>9.1f}{got['p99']:>9.1f}{got['requests']:>10.0f}"
                    f"{got['errors'] + got['timeouts']:>9.0f}{note}",
                    flush=True,
                )


def fresh(args: argparse.Namespace, folder: Path) -> None:
    db = str(folder / "fresh.db")
    started = time.monotonic()
    subprocess.run(
        [HEALTHQA, "--db", db, "import", "--no-embed", args.fresh],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"machine: {machine()}; imported {args.fresh} in {time.monotonic() - started:.0f} s")
    questions = pool(db)
    warm, questions = questions[:WARM], questions[WARM:]
    half = len(questions) // 2
    scenarios = {
        "search page": [f"/search?q={quote_plus(q)}" for q in questions[:half]],
        "ask page": [f"/ask?q={quote_plus(q)}" for q in questions[half:]],
    }
    print(
        f"{'scenario':<14}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}"
        f"  embedded before / after (the worker asked)"
    )
    with server(db, args.workers, {"log_level": "warning"}) as base:
        for page in ("search", "ask"):  # first requests load the model, vocabulary and caches
            wrk(base, [f"/{page}?q={quote_plus(q)}" for q in warm], args, folder)
        for _ in range(args.rounds):
            for scenario, paths in scenarios.items():
                before = embedded(base)
                got = wrk(base, paths, args, folder)
                after = embedded(base)
                print(
                    f"{scenario:<14}{got['rps']:>8.0f}{got['p50']:>9.1f}{got['p99']:>9.1f}"
                    f"{got['errors'] + got['timeouts']:>9.0f}  {before} / {after}",
                    flush=True,
                )
                done = int(got["requests"])  # the next round asks questions not asked yet
                scenarios[scenario] = paths[done:] + paths[:done]


def embedded(base: str) -> str:
    """How far embedding is, as the stats API says: "embedded/published"."""
    with urllib.request.urlopen(base + "/api/v1/stats", timeout=30) as response:
        found = json.load(response).get("embedding") or {}
    return f"{found.get('embedded', 0)}/{found.get('articles', 0)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", help="a database whose articles are embedded (steady)")
    where.add_argument("--fresh", help="an archive to import without embedding (fresh)")
    parser.add_argument("--reranked", help="also measure ranking = reranked with this file")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="fresh: rounds of both pages")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="healthqa-bench-") as name:
        if args.db:
            steady(args, Path(name))
        else:
            fresh(args, Path(name))


if __name__ == "__main__":
    main()
