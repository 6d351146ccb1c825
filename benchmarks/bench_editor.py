"""Editor API latency: create, update (with If-Match), retire and revisions, end to end.

    .venv/bin/python benchmarks/bench_editor.py              # 200 requests of each kind
    .venv/bin/python benchmarks/bench_editor.py --requests 500

Each request goes through the real app in-process (FastAPI's TestClient, no network): body
limit, token check (SHA-256 lookup, last-used write), pydantic parsing, cleaning with nh3 and
MinHash, and one SQLite transaction in WAL mode on a file holding the bundled demo articles.
Prints the median and 95th percentile in milliseconds, with the machine they ran on.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from healthqa import config, tokens
from healthqa.cli import demo_path
from healthqa.imports import import_paths
from healthqa.library import Library
from healthqa.web.app import create_app

BODY = "<p>" + "Cramps are sudden, tight and painful contractions of the calf muscles. " * 20
ARTICLE = {"title": "What causes leg cramps at night?", "body": BODY + "</p>", "reason": "bench"}


def timed(call: Callable[[int], int], count: int) -> tuple[float, float]:
    """Median and 95th percentile of `count` calls, in milliseconds; every call must succeed."""
    times = []
    for number in range(count):
        started = time.perf_counter()
        status = call(number)
        times.append((time.perf_counter() - started) * 1000)
        assert status < 300, status
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    count = parser.parse_args().requests
    with tempfile.TemporaryDirectory() as folder:
        settings = config.load({}, Path(folder) / "none.toml")
        library = Library(str(Path(folder) / "bench.db"), settings=settings)
        import_paths(library.store, [str(demo_path())], workers=0)
        secret, _ = tokens.create(library.store, "bench", 1)
        client = TestClient(create_app(library))
        auth = {"Authorization": f"Bearer {secret}"}
        etags: dict[int, str] = {}

        def create(n: int) -> int:
            response = client.post(
                "/api/v1/articles", json=ARTICLE | {"title": f"Question {n}?"}, headers=auth
            )
            etags[response.json()["id"]] = response.headers["ETag"]
            return response.status_code

        ids: list[int] = []  # filled once the articles are created

        def update(n: int) -> int:
            key = ids[n % len(ids)]
            headers = auth | {"If-Match": etags[key]}
            body = ARTICLE | {"title": f"Question {n} edited?"}
            response = client.put(f"/api/v1/articles/{key}", json=body, headers=headers)
            etags[key] = response.headers["ETag"]
            return response.status_code

        def retire(n: int) -> int:
            url = f"/api/v1/articles/{ids[n % len(ids)]}/retire"
            return client.post(url, json={"reason": "bench"}, headers=auth).status_code

        def revisions(n: int) -> int:
            return client.get(f"/api/v1/articles/{ids[n % len(ids)]}/revisions").status_code

        rows = [("POST /articles (create)", timed(create, count))]
        ids.extend(sorted(etags))
        rows.append(("PUT /articles/{id} (update)", timed(update, count)))
        rows.append(("POST /articles/{id}/retire", timed(retire, count)))
        rows.append(("GET /articles/{id}/revisions", timed(revisions, count)))
        client.close()
        library.close()
    print(
        f"{count} requests each; {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}"
    )
    print(f"{'request':<32}{'p50 ms':>8}{'p95 ms':>8}")
    for name, (p50, p95) in rows:
        print(f"{name:<32}{p50:>8.2f}{p95:>8.2f}")


if __name__ == "__main__":
    main()
