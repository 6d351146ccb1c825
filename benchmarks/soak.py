"""Soak: mixed load on `healthqa serve --workers 2` for minutes; errors and memory over time.

    .venv/bin/python benchmarks/soak.py --minutes 10             # docs/reliability.md
    .venv/bin/python benchmarks/soak.py --minutes 1 --clients 4  # a quick look
    .venv/bin/python benchmarks/soak.py --minutes 10 --writes updates  # the site keeps its size

Sets up a SQLite site of the bundled demo articles in a temporary folder, starts the real
server on 127.0.0.1 (keyword ranking, no background embedder: the load is the server's own),
and runs `--clients` threads that loop over a mix of requests: pages (home, article, topic,
search, ask), the JSON API (articles, search, ask, related, stats) and, one request in ten,
editor API writes (create, then update with If-Match; with `--writes updates`, only updates of
articles made before the load, each client its own, so the site does not grow and memory growth
is not the data's). Every answer must be 2xx (or 304).
The resident memory (RSS) of the server's processes is sampled every 10 s; the figure that
matters is the last sample against the first after one minute of warm-up. Exits 1 on any error
or growth over `--max-growth` (10 %). Traffic goes only to 127.0.0.1, bounded in time.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx2 as httpx

from healthqa import tokens
from healthqa.cli import demo_path
from healthqa.imports import import_paths
from healthqa.store import open_store

WORDS = ["leg cramps", "heartburn", "mastitis", "folic acid", "hot flushes", "back pain"]
QUESTIONS = ["what causes leg cramps in pregnancy", "how can I ease heartburn", "is bleeding ok"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(root: int) -> float:
    """Resident memory of `root` and its child processes, in MB (Linux /proc)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(entry.name) == root or int(fields.get("PPid", "0").strip()) == root:
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total / 1024


class Load:
    def __init__(
        self, base: str, token: str, slugs: list[str], owned: list[list[int]] | None = None
    ) -> None:
        self.base, self.token, self.slugs = base, token, slugs
        self.owned = owned  # --writes updates: each client's own articles to update
        self.tags: dict[int, str] = {}  # their ETags, as their last write answered
        self.counts: Counter[str] = Counter()
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def request(self, client: httpx.Client, rng: random.Random, mine: list[int] | None) -> None:
        roll = rng.random()
        if roll < 0.1:
            return self.write(client, rng, mine)
        paths = [
            "/",
            f"/articles/{rng.choice(self.slugs)}",
            f"/search?q={rng.choice(WORDS)}",
            f"/ask?q={rng.choice(QUESTIONS)}",
            f"/api/v1/search?q={rng.choice(WORDS)}",
            f"/api/v1/ask?q={rng.choice(QUESTIONS)}",
            "/api/v1/articles?per_page=20",
            "/api/v1/stats",
            "/topics",
        ]
        path = rng.choice(paths)
        kind = path.split("?")[0]
        self.note("/articles/{slug}" if kind.startswith("/articles/") else kind, client.get(path))

    def write(
        self, client: httpx.Client, rng: random.Random, mine: list[int] | None = None
    ) -> None:
        auth = {"Authorization": f"Bearer {self.token}"}
        n = rng.randrange(10**9)
        if mine:  # updates only: the site keeps its size
            article = rng.choice(mine)
            body = {
                "title": f"What does soak question {article} ask?",
                "body": f"<p>Soak answer {n}: rest, fluids and {rng.choice(WORDS)}.</p>",
                "reason": "soak",
            }
            # The tag the last write answered with: this client is the article's only writer.
            headers = auth | {"If-Match": self.tags[article]}
            done = client.put(f"/api/v1/articles/{article}", json=body, headers=headers)
            self.note("update", done)
            if done.is_success:
                self.tags[article] = done.headers["etag"]
            return
        body = {
            "title": f"What does soak question {n} ask?",
            "body": f"<p>Soak answer {n}: rest, fluids and {rng.choice(WORDS)}.</p>",
            "reason": "soak",
        }
        made = client.post("/api/v1/articles", json=body, headers=auth)
        self.note("create", made)
        if made.status_code == 201:
            headers = auth | {"If-Match": made.headers["etag"]}
            body["body"] += "<p>Updated.</p>"
            self.note(
                "update",
                client.put(f"/api/v1/articles/{made.json()['id']}", json=body, headers=headers),
            )

    def note(self, kind: str, response: httpx.Response) -> None:
        with self.lock:
            self.counts[kind] += 1
            if not (response.is_success or response.status_code == 304):
                self.errors.append(
                    f"{response.request.method} {response.request.url.path}: "
                    f"{response.status_code} {response.text[:200]}"
                )

    def client(self, stop: threading.Event, seed: int) -> None:
        rng = random.Random(seed)
        mine = self.owned[seed] if self.owned else None
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not stop.is_set():
                try:
                    self.request(client, rng, mine)
                except httpx.TransportError as exc:
                    with self.lock:
                        self.errors.append(f"transport: {exc!r}")
                except Exception as exc:  # a client that dies would hide the load it stopped
                    with self.lock:
                        self.errors.append(f"client: {exc!r}")
                    return


def made(load: Load, count: int) -> list[int]:
    """`count` new articles for one client to update, made through the editor API."""
    ids = []
    auth = {"Authorization": f"Bearer {load.token}"}
    for _ in range(count):
        n = random.randrange(10**9)
        body = {
            "title": f"What does soak question {n} ask?",
            "body": "<p>Rest.</p>",
            "reason": "soak",
        }
        response = httpx.post(f"{load.base}/api/v1/articles", json=body, headers=auth, timeout=30)
        response.raise_for_status()
        ids.append(int(response.json()["id"]))
        load.tags[ids[-1]] = response.headers["etag"]
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-growth", type=float, default=0.10)
    parser.add_argument(
        "--writes",
        choices=("creates", "updates"),
        default="creates",
        help="editor writes create articles and update them (the site grows), or only update "
        "articles made before the load (it keeps its size: growth is then not the data's)",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="healthqa-soak-"))
    db = folder / "site.db"
    store = open_store(str(db))
    import_paths(store, [str(demo_path())], workers=0)
    token, _ = tokens.create(store, "soak", 1)
    slugs = [a.slug for a in store.list_articles(limit=100)]
    store.close()
    port = free_port()
    env = {**os.environ, "HEALTHQA_RANKING": "keywords", "HEALTHQA_EMBED_IN_BACKGROUND": "0"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "healthqa",
            "--db",
            str(db),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "server.log").open("wb"),  # a 500's traceback lands here
        start_new_session=True,
    )
    load = Load(f"http://127.0.0.1:{port}", token, slugs)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{load.base}/api/v1/stats", timeout=2).is_success:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        if args.writes == "updates":
            load.owned = [made(load, 5) for _ in range(args.clients)]
        stop = threading.Event()
        threads = [
            threading.Thread(target=load.client, args=(stop, n)) for n in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        samples: list[tuple[float, float]] = []
        while time.monotonic() - started < args.minutes * 60:
            time.sleep(10)
            elapsed = time.monotonic() - started
            samples.append((elapsed, rss_mb(server.pid)))
            total = sum(load.counts.values())
            print(
                f"{elapsed:5.0f} s  {total:7,} requests  {len(load.errors)} errors  "
                f"RSS {samples[-1][1]:6.1f} MB",
                flush=True,
            )
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    warm = [mb for at, mb in samples if at >= 60] or [mb for _, mb in samples]
    growth = (warm[-1] - warm[0]) / warm[0] if warm and warm[0] else 0.0
    total = sum(load.counts.values())
    print(
        f"{total:,} requests in {args.minutes:g} min ({total / (args.minutes * 60):.0f}/s), "
        f"{args.clients} clients, {args.workers} workers; by kind: {dict(load.counts)}"
    )
    print(f"errors: {len(load.errors)} (the server's log: {folder / 'server.log'})")
    for error in load.errors[:10]:
        print("  " + error)
    print(
        f"RSS after warm-up {warm[0]:.1f} MB, at the end {warm[-1]:.1f} MB, "
        f"max {max(warm):.1f} MB: growth {growth:+.1%} (limit {args.max_growth:.0%})"
    )
    return 1 if load.errors or growth > args.max_growth else 0


if __name__ == "__main__":
    sys.exit(main())
