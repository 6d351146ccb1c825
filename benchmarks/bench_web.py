"""Throughput and latency of the web site under load, with wrk over loopback.

    .venv/bin/python benchmarks/bench_web.py                     # liveqa-med-dev corpus
    .venv/bin/python benchmarks/bench_web.py --duration 20 --connections 32

Imports the benchmark's corpus (17,942 articles) into a temporary database (or uses --db),
starts the real server (`healthqa serve --workers 2`, uvicorn) in its own process, and points
wrk at it. Each scenario cycles through many different URLs, so no single cached page is
measured: article pages (every published article, in list order), search pages and ask pages
(every benchmark question, as written; ask answers are cached per worker since issue 15, so
after the first round the ask scenarios measure cached answers: benchmarks/bench_ask_http.py
asks every question once). The baseline in the same run is `/robots.txt`, a
constant response: the floor set by the server, the framework and wrk sharing the 2 cores.
Prints requests per second, p50 and p99 latency (wrk's own percentiles) and non-2xx answers.
Needs wrk (`apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
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

from healthqa import evaluate, open_store
from healthqa.imports import import_paths

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "bench" / "liveqa-med-dev"
HEALTHQA = str(Path(sys.executable).with_name("healthqa"))

LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = math.random(#paths)
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(
    db: str, port: int, workers: int, settings: dict[str, str] | None = None
) -> Iterator[str]:
    """`healthqa serve` in its own process group, stopped afterwards; `settings` are given to
    it as HEALTHQA_* environment variables."""
    command = [HEALTHQA, "--db", db, "serve", "--port", str(port), "--workers", str(workers)]
    env = os.environ | {f"HEALTHQA_{k.upper()}": v for k, v in (settings or {}).items()}
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL if settings else None,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/robots.txt", process, seconds=300)
        yield base
    finally:
        process.terminate()
        process.wait(30)


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer {url} within {seconds:.0f} s")


def article_paths(base: str, limit: int) -> list[str]:
    """Page paths of published articles, as the API gives them (`url`)."""
    paths: list[str] = []
    page = 1
    while len(paths) < limit:
        url = f"{base}/api/v1/articles?per_page=100&page={page}"
        with urllib.request.urlopen(url, timeout=30) as response:
            items = json.load(response)["articles"]
        if not items:
            break
        paths.extend(item["url"] for item in items)
        page += 1
    return paths[:limit]


def wrk(
    base: str, paths: list[str], args: argparse.Namespace, folder: Path, timeout: int = 2
) -> dict[str, float]:
    """One wrk run cycling through `paths` (see `run_wrk`)."""
    listing = folder / "paths.txt"
    listing.write_text("\n".join(paths) + "\n")
    script = folder / "cycle.lua"
    script.write_text(LUA % listing)
    return run_wrk(base, script, args, timeout)


def run_wrk(
    base: str, script: Path, args: argparse.Namespace, timeout: int = 2
) -> dict[str, float]:
    """wrk with a request script: requests/s, p50 and p99 in ms, requests made, non-2xx
    count, and requests that got no answer within `timeout` seconds (wrk leaves them out of
    the latencies)."""
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    command.append(f"--timeout={timeout}s")
    out = subprocess.run(
        [*command, "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
        "p50": latency_ms(out, "50%"),
        "p99": latency_ms(out, "99%"),
        "requests": float(re.search(r"(\d+) requests in", out)[1]),  # type: ignore[index]
        "errors": float(m[1]) if (m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)) else 0,
        "timeouts": float(m[1]) if (m := re.search(r"timeout (\d+)", out)) else 0,
    }


def latency_ms(wrk_output: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)\b", wrk_output).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT))
    parser.add_argument("--db", help="an existing database (default: import the corpus)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--articles", type=int, default=5000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    bench = evaluate.load_beir(Path(args.folder))
    with tempfile.TemporaryDirectory(prefix="healthqa-bench-") as name:
        folder = Path(name)
        db = args.db or str(folder / "bench.db")
        if not args.db:
            store = open_store(db)
            import_paths(store, [str(bench.corpus_path)])
            store.close()
        with server(db, free_port(), args.workers) as base:
            questions = [quote_plus(query.text) for query in bench.queries]
            scenarios = {
                "baseline: /robots.txt": ["/robots.txt"],
                "article page": article_paths(base, args.articles),
                "search page": [f"/search?q={q}" for q in questions],
                "ask page": [f"/ask?q={q}" for q in questions],
                "API ask": [f"/api/v1/ask?q={q}" for q in questions],
            }
            print(
                f"machine: {machine()}; server: {args.workers} workers; wrk: {args.threads} "
                f"threads, {args.connections} connections, {args.duration} s per scenario\n"
            )
            print(
                f"{'scenario':<24} {'URLs':>6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
                f" {'non-2xx':>8}"
            )
            for scenario, paths in scenarios.items():
                wrk(base, paths[:50], args, folder)  # warm up: first requests build caches
                got = wrk(base, paths, args, folder)
                print(
                    f"{scenario:<24} {len(paths):>6} {got['rps']:>9.0f} {got['p50']:>8.1f} "
                    f"{got['p99']:>8.1f} {got['errors']:>8.0f}"
                )


if __name__ == "__main__":
    os.environ.setdefault("HEALTHQA_LOG_LEVEL", "warning")
    main()
