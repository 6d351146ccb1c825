"""Crashes (issue 19): the server and an import killed with SIGKILL lose nothing acknowledged.

CI runs a few cycles; docs/reliability.md runs 200 (HEALTHQA_CRASH_CYCLES=200).
"""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2
import pytest
from conftest import beir_row, quiet_settings, write_jsonl
from test_web_server import free_port

from healthqa import tokens
from healthqa.library import Library
from healthqa.store import open_store

CYCLES = int(os.environ.get("HEALTHQA_CRASH_CYCLES", "3"))
WORKERS = os.environ.get("HEALTHQA_CRASH_WORKERS", "1")  # server processes; the long run: 2
ARTICLES = 3000  # in the import killed: enough batches to be killed in the middle of
QUIET = {"HEALTHQA_EMBEDDING_MODEL": "none", "HEALTHQA_IMPORT_WORKERS": "2"}


def start(command: list[str]) -> subprocess.Popen[bytes]:
    """`healthqa ...` in a session of its own, so that SIGKILL reaches all its processes."""
    return subprocess.Popen(
        [sys.executable, "-m", "healthqa", *command],
        env={**os.environ, **QUIET},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def integrity(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def index_repairs_itself(db: Path) -> None:
    library = Library(str(db), quiet_settings())
    stats = library.store.stats()
    assert library.index.size == stats["articles"]
    assert library.index.last_seq == stats["last_change"]
    library.close()


def serving(port: int, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return httpx2.get(f"http://127.0.0.1:{port}/api/v1/stats", timeout=2).is_success
        except httpx2.TransportError:
            time.sleep(0.1)
    return False


def editor(
    port: int, token: str, name: str, acknowledged: list[str], stop: threading.Event
) -> None:
    """Create articles one after another, noting each title the server answered 201 for."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx2.Client(base_url=f"http://127.0.0.1:{port}", timeout=5, headers=headers) as client:
        n = 0
        while not stop.is_set():
            n += 1
            title = f"What does {name} ask in round {n}?"
            body = {"title": title, "body": f"<p>{name} answers {n}.</p>", "reason": "crash"}
            try:
                response = client.post("/api/v1/articles", json=body)
            except httpx2.TransportError:
                return  # the server is gone
            if response.status_code == 201:
                acknowledged.append(title)


def titles(db: Path) -> set[str]:
    store = open_store(str(db))
    try:
        return {a.title for a in store.iter_articles()}
    finally:
        store.close()


def test_a_server_killed_while_editors_write_loses_no_acknowledged_write(
    tmp_path: Path,
) -> None:
    db = tmp_path / "site.db"
    store = open_store(str(db))
    token, _ = tokens.create(store, "crash", 1)
    store.close()
    acknowledged: list[str] = []
    rng = random.Random(19)
    for cycle in range(CYCLES):
        port = free_port()
        server = start(["--db", str(db), "serve", "--port", str(port), "--workers", WORKERS])
        try:
            assert serving(port), f"cycle {cycle}: the server did not start"
            stop = threading.Event()
            writers = [
                threading.Thread(
                    target=editor, args=(port, token, f"e{cycle}.{w}", acknowledged, stop)
                )
                for w in range(2)
            ]
            for writer in writers:
                writer.start()
            time.sleep(rng.uniform(0.2, 1.0))
        finally:
            kill(server)
        stop.set()
        for writer in writers:
            writer.join(timeout=10)
        assert integrity(db) == ["ok"], f"cycle {cycle}"
        assert set(acknowledged) <= titles(db), f"cycle {cycle}: an acknowledged write was lost"
    assert acknowledged  # the editors did write
    index_repairs_itself(db)


def pid_children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_an_import_killed_mid_way_leaves_no_workers_and_completes_when_run_again(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    rows = [
        beir_row(f"d{n}", f"What is thing {n}?", f"Thing {n} is {n} words. " * 20)
        for n in range(ARTICLES)
    ]
    write_jsonl(corpus, rows)
    db = tmp_path / "site.db"
    importing = start(["--db", str(db), "import", "--no-embed", "--format", "beir", str(corpus)])
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(workers) < 2 and importing.poll() is None:
        workers = pid_children(importing.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "the import's workers did not start"
    time.sleep(0.3)
    os.kill(importing.pid, signal.SIGKILL)  # the importer only, as `kill -9 PID` would
    importing.wait(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in workers):
        time.sleep(0.1)
    left = [pid for pid in workers if alive(pid)]
    for pid in left:  # not to leave them behind when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not left, "the import's workers outlived it"
    assert integrity(db) == ["ok"]
    again = start(["--db", str(db), "import", "--no-embed", "--format", "beir", str(corpus)])
    assert again.wait(timeout=300) == 0
    assert integrity(db) == ["ok"]
    assert len(titles(db)) == ARTICLES
    index_repairs_itself(db)
