"""Serving memory: the RSS of a process that opens a database as the server's parent and as one
of its workers do, each in a fresh process (issue 21).

    nice -n 10 python benchmarks/bench_memory.py ~/.cache/healthqa-dev/scale/100000/healthqa.db

`parent`: what `healthqa serve` does before its workers start (`web.server.prepare`: the index
brought up to date, the start-up line on how many articles have vectors). `worker`: the model
loaded, then the vector index opened (its approximate index loaded from the index folder from
`approximate_from` articles on), then the 52 liveqa-med-dev questions searched by meaning (100
articles each, as hybrid ask asks). For each step it prints the process's resident memory
(VmRSS) and its peak so far (VmHWM), in MB, from /proc/self/status; `--json` prints them as one
JSON object. Open the database once before measuring, so that the index is built and saved
(a first open builds it: seconds at 100,000 articles) and the figures are a worker's that
loads it. Embedding in the background is off, so nothing else runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
QUESTIONS = HERE.parents[1] / "shared" / "bench" / "liveqa-med-dev"


def memory() -> dict[str, float]:
    """This process's resident memory now and at its peak, MB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found["rss" if name == "VmRSS" else "peak"] = round(int(value.split()[0]) / 1024, 1)
    return found


def parent(db: str) -> dict[str, Any]:
    from healthqa.library import Library
    from healthqa.web.server import prepare

    steps: dict[str, Any] = {"started": memory()}
    library = Library(db, create=False)
    said: list[str] = []
    started = time.perf_counter()
    prepare(library, said.append)
    steps["prepared"] = memory() | {"seconds": round(time.perf_counter() - started, 1)}
    steps["said"] = said
    library.close()
    return steps


def worker(db: str) -> dict[str, Any]:
    from healthqa import evaluate
    from healthqa.library import Library

    steps: dict[str, Any] = {"started": memory()}
    library = Library(db, create=False)
    embedder = library.embedder
    assert embedder is not None, "the semantic extra or the model is not installed"
    steps["model loaded"] = memory()
    started = time.perf_counter()
    vectors = library.vectors
    assert vectors is not None
    seconds = round(time.perf_counter() - started, 1)
    steps["vectors opened"] = memory() | {"seconds": seconds, "approximate": vectors.approximate}
    questions = [q.text for q in evaluate.load_beir(QUESTIONS).queries]
    for question in questions:
        vectors.search(vectors.embed_query(question), 100)
    steps[f"{len(questions)} questions searched"] = memory()
    steps["articles with vectors"] = vectors.size
    library.close()
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db")
    parser.add_argument("--role", choices=("parent", "worker", "both"), default="both")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ["HEALTHQA_EMBED_IN_BACKGROUND"] = "false"
    os.environ.setdefault("HEALTHQA_LOG_LEVEL", "warning")
    if args.role == "both":  # each role in a fresh process of its own
        found = {}
        for role in ("parent", "worker"):
            command = [sys.executable, __file__, args.db, "--role", role, "--json"]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            found[role] = json.loads(out)
    else:
        found = (parent if args.role == "parent" else worker)(args.db)
    if args.json:
        print(json.dumps(found))
        return
    for role, steps in found.items() if args.role == "both" else [(args.role, found)]:
        for name, value in steps.items():
            print(f"{role:7} {name:24} {value}")


if __name__ == "__main__":
    main()
