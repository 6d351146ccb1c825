"""CPU instructions per web request, old code against new, counted by callgrind.

    .venv/bin/python benchmarks/bench_instructions.py --db dev.db --old ../old-tree
    .venv/bin/python benchmarks/bench_instructions.py --db dev.db --old ../old --pages search

Wall-clock figures move by a third on a machine whose cores other work shares; instruction
counts do not (valgrind's callgrind counts the same total for the same binary, inputs and
environment, whatever else runs). For each code tree (`--old`, a checkout of the older commit,
and this one) and each page, a child process builds the whole app (middleware, views,
templates) over its own copy of `--db` and answers each URL once to warm up; only then does
callgrind start counting, over `--rounds` passes of the same URLs through Starlette's test
client. Printed: instructions per request, and new against old.

Pages: `search` (the benchmark's questions, as bench_web.py asks them), `ask` (the ask page:
answers are cached, so it warms up on half the questions and is counted on the other half, once
each), `article` (pages are cached too: warmed on the second hundred articles, counted on the
first hundred, once each) and `robots` (/robots.txt, the floor the framework and the test client
set). Each tree
gets a copy of the database, so that each builds its own derived index beside it. Needs
valgrind (`apt-get install valgrind`). Counts are not time: a change that waits on memory more
costs more time than its instructions say, so wall-clock runs (bench_web.py) stay the measure
of speed, and this one says whether a change between them did more work.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote_plus

from bench_import import machine

HERE = Path(__file__).resolve()
DEFAULT = HERE.parents[2] / "shared" / "bench" / "liveqa-med-dev"


def child(db: str, page: str, rounds: int, flag: Path, folder: Path) -> None:
    """Inside callgrind: warm up, say READY, wait for GO, answer the URLs, say DONE."""
    os.environ.setdefault("HEALTHQA_LOG_LEVEL", "warning")
    from fastapi.testclient import TestClient

    from healthqa.library import Library
    from healthqa.web.app import create_app

    try:
        library = Library(db, create=False)
    except TypeError:  # an older Library without `create`
        library = Library(db)
    with TestClient(create_app(library)) as client:
        warm, paths = _paths(client, page, folder)
        for path in warm:
            if client.get(path).status_code != 200:
                raise SystemExit(f"{path}: not 200")
        flag.write_text("READY")
        while flag.read_text() != "GO":
            time.sleep(0.1)
        rounds = 1 if page in ("ask", "article") else rounds  # repeated: a cached answer
        for _ in range(rounds):
            for path in paths:
                client.get(path)
        flag.write_text(f"DONE {len(paths) * rounds}")
        while flag.exists():
            time.sleep(0.1)


def _paths(client: object, page: str, folder: Path) -> tuple[list[str], list[str]]:
    """The URLs to warm up with, and those counted. Ask answers are cached, so the ask page
    warms up on half the questions and is counted on the other half, each asked once."""
    if page in ("search", "ask"):
        lines = (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines()
        paths = [f"/{page}?q={quote_plus(json.loads(line)['text'])}" for line in lines]
        return (paths[::2], paths[1::2]) if page == "ask" else (paths, paths)
    if page == "article":  # pages are cached too: counted on other articles, once each
        pages = []
        for number in (2, 1):
            body = client.get(  # type: ignore[attr-defined]
                f"/api/v1/articles?page={number}&per_page=100&limit=100"
            ).json()
            listed = body.get("articles") or body.get("items") or []  # older versions: "items"
            pages.append([article["url"] for article in listed][:100])
        return pages[0], pages[1]
    return ["/robots.txt"] * 50, ["/robots.txt"] * 50


def count(tree: Path, db: Path, page: str, rounds: int, folder: Path) -> float:
    """Instructions per request of `tree`'s code on `page`."""
    with tempfile.TemporaryDirectory(prefix="healthqa-callgrind-") as name:
        flag, out = Path(name) / "flag", Path(name) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
        command += [f"--callgrind-out-file={out}", sys.executable, str(HERE), "--child"]
        command += [str(db), page, str(rounds), str(flag), str(folder)]
        env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{HERE.parent}"}
        process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        _wait(flag, process, lambda text: text == "READY")
        _instrument(process.pid, "on")
        flag.write_text("GO")
        _wait(flag, process, lambda text: text.startswith("DONE"))
        _instrument(process.pid, "off")
        requests = int(flag.read_text().split()[1])
        flag.unlink()
        if process.wait() != 0:
            raise SystemExit(f"{tree}: the child failed on {page}")
        totals = re.search(r"^totals: (\d+)", out.read_text(errors="replace"), re.M)
        if totals is None:
            raise SystemExit(f"{out}: no totals line")
        return int(totals.group(1)) / requests


def _instrument(pid: int, state: str) -> None:
    subprocess.run(["callgrind_control", "-i", state, str(pid)], check=True, capture_output=True)


def _wait(flag: Path, process: subprocess.Popen[bytes], ready: Callable[[str], bool]) -> None:
    while not (flag.exists() and ready(flag.read_text())):
        if process.poll() is not None:
            raise SystemExit("the child stopped before it was done")
        time.sleep(0.5)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        db, page, rounds, flag, folder = sys.argv[2:7]
        child(db, page, int(rounds), Path(flag), Path(folder))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a database to copy for each tree")
    parser.add_argument("--old", required=True, help="a checkout of the older code")
    parser.add_argument("--pages", default="search,ask,article,robots")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("folder", nargs="?", default=str(DEFAULT), help="a BEIR folder")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    trees = {"old": Path(args.old).resolve(), "new": HERE.parents[1]}
    print(f"machine: {machine()}; {args.rounds} rounds; old: {trees['old']}\n")
    print(f"{'page':<10} {'old':>14} {'new':>14} {'new/old':>8}")
    with tempfile.TemporaryDirectory(prefix="healthqa-bench-") as name:
        copies = {}
        for label in trees:
            copies[label] = Path(name) / f"{label}.db"
            shutil.copy(args.db, copies[label])
        for page in args.pages.split(","):
            got = {
                label: count(tree, copies[label], page, args.rounds, Path(args.folder))
                for label, tree in trees.items()
            }
            print(
                f"{page:<10} {got['old']:>14,.0f} {got['new']:>14,.0f} "
                f"{got['new'] / got['old']:>8.3f}"
            )


if __name__ == "__main__":
    main()
