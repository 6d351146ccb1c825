"""Outgrowing one machine (docs/deploy.md, issue 20): several `healthqa serve` nodes on one
PostgreSQL database, each with its own index folder, as real processes on loopback ports."""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
from test_web_server import free_port

from healthqa import tokens
from healthqa.cli import demo_path
from healthqa.imports import import_paths
from healthqa.store import open_store

EDITS = 20  # edits timed from one node to another
WITHIN = 2.0  # seconds, at the 95th percentile: issue 20's promise
NGINX_CONF = Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf"
LOAD_SECONDS = 6.0
READS = (
    "/api/v1/search?q=leg+cramps+at+night",
    "/articles/what-are-the-signs-of-mastitis-and-what-helps",
    "/api/v1/ask?q=is+it+safe+to+drink+alcohol+when+pregnant",
    "/api/v1/articles?page=1",
    "/search?q=hot+flushes",
    "/",
)


@dataclass
class Node:
    """One app node: `healthqa serve` with its own index folder."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class Cluster:
    """Nodes started for one test, stopped after it."""

    folder: Path
    nodes: list[Node] = field(default_factory=list)

    def start(self, db: str, workers: int = 1, **settings: str) -> Node:
        """A node serving `db`, once it answers (settings as HEALTHQA_* variables)."""
        number = len(self.nodes)
        port = free_port()
        env = os.environ | {
            "HEALTHQA_INDEX_PATH": str(self.folder / f"node{number}.index"),
            "HEALTHQA_EMBEDDING_MODEL": "none",
            "HEALTHQA_EMBED_IN_BACKGROUND": "false",
        }
        env |= {f"HEALTHQA_{name.upper()}": value for name, value in settings.items()}
        log = self.folder / f"node{number}.log"
        command = [sys.executable, "-m", "healthqa", "--db", db, "serve"]
        with log.open("wb") as out:
            process = subprocess.Popen(
                [*command, "--port", str(port), "--workers", str(workers)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.folder,  # no healthqa.toml of the developer's
            )
        node = Node(process, f"http://127.0.0.1:{port}", log)
        self.nodes.append(node)
        wait_until_up(node)
        return node

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def wait_until_up(node: Node, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            break
        try:
            if httpx2.get(f"{node.url}/api/v1/stats", timeout=5).status_code == 200:
                return
        except httpx2.TransportError:
            time.sleep(0.1)
    pytest.fail(f"the node at {node.url} did not start:\n{node.log.read_text()[-3000:]}")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    made = Cluster(tmp_path)
    yield made
    made.stop()


def demo_site(url: str) -> str:
    """Fill the database at `url` with the demo articles; returns an editor's token."""
    store = open_store(url)
    import_paths(store, [str(demo_path())], workers=0)
    secret, _ = tokens.create(store, "tester", 1)
    store.close()
    return secret


def word(n: int) -> str:
    """A made-up word no article uses, one per edit: `zyqbaf`."""
    return "zyq" + "".join(chr(ord("a") + int(digit)) for digit in f"{n:03d}")


class Editor:
    """Edits through one node's editor API: new articles, and updates of the last one."""

    def __init__(self, client: httpx2.Client, url: str, token: str) -> None:
        self.client, self.url = client, url
        self.auth = {"Authorization": f"Bearer {token}"}
        self.last: dict[str, Any] | None = None
        self.response: httpx2.Response | None = None

    def edit(self, n: int) -> int:
        """Edit number `n` (odd ones update the article the one before made); its id."""
        draft = {
            "title": f"What does {word(n)} mean?",
            "body": f"The word {word(n)} is made up for a test.",
            "body_format": "text",
            "reason": f"test edit {n}",
        }
        if n % 2 and self.last is not None:
            headers = self.auth | {"If-Match": self.last["etag"]}
            path = f"/api/v1/articles/{self.last['id']}"
            response = self.client.put(self.url + path, json=draft, headers=headers)
        else:
            response = self.client.post(
                self.url + "/api/v1/articles", json=draft, headers=self.auth
            )
        assert response.status_code in (200, 201), response.text
        self.response, self.last = response, response.json()
        return int(self.last["id"])


def found(client: httpx2.Client, node: Node, text: str, article_id: int) -> bool:
    response = client.get(f"{node.url}/api/v1/search", params={"q": text})
    assert response.status_code == 200, response.text
    return article_id in {result["id"] for result in response.json()["results"]}


def seconds_until_found(
    client: httpx2.Client, node: Node, text: str, article_id: int, limit: float = 10.0
) -> float:
    start = time.monotonic()
    while not found(client, node, text, article_id):
        assert time.monotonic() - start < limit, f"{text} not found on {node.url}"
        time.sleep(0.01)
    return time.monotonic() - start


def p95(values: list[float]) -> float:
    return sorted(values)[math.ceil(0.95 * len(values)) - 1]


def test_an_edit_on_one_node_is_found_by_search_on_another_within_2_seconds(
    postgres_url: str, cluster: Cluster
) -> None:
    """Node B (two workers sharing its index folder) follows the change log by LISTEN/NOTIFY:
    each edit made through node A's editor API is found by B's search soon after A answers."""
    token = demo_site(postgres_url)
    a = cluster.start(postgres_url)
    b = cluster.start(postgres_url, workers=2)
    delays = []
    with httpx2.Client(timeout=10) as client:
        editor = Editor(client, a.url, token)
        for n in range(EDITS):
            article_id = editor.edit(n)
            delays.append(seconds_until_found(client, b, word(n), article_id))
        assert found(client, a, word(EDITS - 1), article_id)  # and on the node that wrote it
    print(f"edit on A to found on B: p95 {p95(delays):.3f}s, max {max(delays):.3f}s")
    assert p95(delays) < WITHIN, delays


# Behind nginx --------------------------------------------------------------------------------


def nginx_binary() -> str:
    """Debian's nginx; the test fails without it when CI asks for it (HEALTHQA_REQUIRE_NGINX)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if found is None:
        if os.environ.get("HEALTHQA_REQUIRE_NGINX"):
            pytest.fail("nginx is not installed, and HEALTHQA_REQUIRE_NGINX asks for it")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    return found


def nginx_config(listen: str, nodes: list[Node]) -> str:
    """deploy/nginx.conf with its two placeholders filled in, as docs/deploy.md does."""
    servers = " ".join(f"server {node.url.removeprefix('http://')};" for node in nodes)
    return NGINX_CONF.read_text().replace("@LISTEN@", listen).replace("@NODES@", servers)


@contextmanager
def nginx(nodes: list[Node], folder: Path) -> Iterator[str]:
    """nginx in front of `nodes`, on a free loopback port, with its own prefix in `folder`
    (pid, logs, temporary files): not the system's service. Yields its address."""
    binary, port = nginx_binary(), free_port()
    for part in ("logs", "temp"):
        (folder / part).mkdir(parents=True, exist_ok=True)
    (folder / "nginx.conf").write_text(nginx_config(f"127.0.0.1:{port}", nodes))
    directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")  # its tmp is root's
    command = [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", directives]
    with (folder / "logs" / "stderr.log").open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(Node(process, url, folder / "logs" / "error.log"))
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@dataclass
class Load:
    """What a short mixed load saw: requests made, failures, and each edited article's last
    acknowledged title word."""

    requests: int = 0
    failures: list[str] = field(default_factory=list)
    edited: dict[int, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, what: str, response: httpx2.Response | None, ok: tuple[int, ...]) -> None:
        with self.lock:
            self.requests += 1
            if response is None or response.status_code not in ok:
                status = "no answer" if response is None else response.status_code
                self.failures.append(f"{what}: {status}")


def read_in_a_loop(url: str, load: Load, until: float, offset: int) -> None:
    with httpx2.Client(timeout=30) as client:
        n = offset
        while time.monotonic() < until:
            path = READS[n % len(READS)]
            n += 1
            try:
                load.saw(path, client.get(url + path), (200,))
            except httpx2.TransportError as exc:
                load.saw(f"{path} ({exc!r})", None, (200,))


def edit_in_a_loop(url: str, token: str, load: Load, until: float, first: int) -> None:
    with httpx2.Client(timeout=30) as client:
        editor = Editor(client, url, token)
        n = first
        while time.monotonic() < until:
            try:
                article_id = editor.edit(n)
            except (AssertionError, httpx2.TransportError) as exc:
                load.saw(f"edit {n} ({exc})", None, ())
                break
            load.saw(f"edit {n}", editor.response, (200, 201))
            with load.lock:
                load.edited[article_id] = word(n)
            n += 1
            time.sleep(0.05)


def test_two_nodes_behind_nginx_serve_a_mixed_load_without_an_error(
    postgres_url: str, cluster: Cluster, tmp_path: Path
) -> None:
    """Readers and editors through nginx, shared among two nodes: no request fails, both
    nodes serve, and every edit nginx acknowledged is there, and found, on each node."""
    nginx_binary()
    token = demo_site(postgres_url)
    nodes = [cluster.start(postgres_url, trusted_proxies="127.0.0.1") for _ in range(2)]
    load = Load()
    with nginx(nodes, tmp_path / "nginx") as url:
        until = time.monotonic() + LOAD_SECONDS
        workers = [
            *(
                threading.Thread(target=read_in_a_loop, args=(url, load, until, n))
                for n in range(3)
            ),
            *(
                threading.Thread(target=edit_in_a_loop, args=(url, token, load, until, n * 500))
                for n in range(2)
            ),
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert load.failures == [] and load.requests > 100 and len(load.edited) >= 10, load.failures
    served = re.findall(
        r" (127\.0\.0\.1:\d+)$", (tmp_path / "nginx/logs/access.log").read_text(), re.M
    )
    assert {node.url.removeprefix("http://") for node in nodes} == set(served)
    with httpx2.Client(timeout=10) as client:
        for node in nodes:
            for article_id, last in load.edited.items():
                shown = client.get(f"{node.url}/api/v1/articles/{article_id}").json()["article"]
                assert last in shown["title"], (node.url, shown["title"], last)
                assert seconds_until_found(client, node, last, article_id, limit=WITHIN) < WITHIN
    print(
        f"behind nginx: {load.requests} requests in {LOAD_SECONDS:g}s, 0 failed, "
        f"{len(load.edited)} articles edited, each found on both nodes"
    )


# A streaming read replica ----------------------------------------------------------------------


SERVER_PROGRAMS = ("initdb", "pg_ctl", "pg_basebackup")


def postgres_binaries() -> Path:
    """The newest PostgreSQL server's programs (Debian's layout). Without them the test is
    skipped (the server a test may use elsewhere is not enough to make a cluster of one's own),
    or fails when CI asks for PostgreSQL (HEALTHQA_REQUIRE_POSTGRES)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parts[-2]))
    folder = found[-1] if found else Path("/usr/lib/postgresql/VERSION/bin")
    missing = [name for name in SERVER_PROGRAMS if not (folder / name).is_file()]
    if missing:
        reason = f"no PostgreSQL server programs ({', '.join(missing)}) in {folder}"
        if os.environ.get("HEALTHQA_REQUIRE_POSTGRES"):
            pytest.fail(f"{reason}, and HEALTHQA_REQUIRE_POSTGRES asks for them")
        pytest.skip(reason)
    return folder


def as_postgres(command: list[str]) -> list[str]:
    """The server's programs refuse root: as root, run them as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Server:
    """A PostgreSQL server of the test's own: its data folder, port and log."""

    bin: Path
    data: Path
    port: int = field(default_factory=free_port)

    def run(self, program: str, *args: str) -> None:
        command = as_postgres([str(self.bin / program), *args])
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c unix_socket_directories={self.data.parent}"
        )
        log = str(self.data.parent / f"{self.data.name}.log")
        self.run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str = "healthqa") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


@dataclass
class Replicated:
    primary: Server
    replica: Server


@pytest.fixture
def replicated() -> Iterator[Replicated]:
    """A primary with a database `healthqa`, and a streaming replica made of it by
    pg_basebackup, each on a free loopback port, in a temporary folder."""
    import psycopg

    programs = postgres_binaries()
    folder = Path(tempfile.mkdtemp(prefix="healthqa-replica-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    primary = Server(programs, folder / "primary")
    replica = Server(programs, folder / "replica")
    try:
        primary.run(
            "initdb", "-D", str(primary.data), "-U", "postgres", "--auth=trust", "--no-sync"
        )
        primary.start()
        with psycopg.connect(primary.url("postgres"), autocommit=True) as admin:
            admin.execute("CREATE DATABASE healthqa")
        primary.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(replica.data), "-R", "-X", "stream", "-c", "fast", "--no-sync",
        )  # fmt: skip
        replica.start()
        yield Replicated(primary, replica)
    finally:
        replica.stop()
        primary.stop()
        shutil.rmtree(folder, ignore_errors=True)


def on_replica(replicated: Replicated, sql: str, *params: object) -> Any:
    """The first value `sql` reads on the replica (plain psycopg: opening a store migrates,
    which is a write)."""
    import psycopg

    with psycopg.connect(replicated.replica.url(), autocommit=True) as replica:
        row = replica.execute(sql, params).fetchone()
        return row[0] if row else None


def replica_caught_up(replicated: Replicated, seconds: float = 10) -> None:
    primary = open_store(replicated.primary.url())
    newest = primary.last_change()
    primary.close()
    deadline = time.monotonic() + seconds
    while on_replica(replicated, "SELECT COALESCE(MAX(seq), 0) FROM changes") < newest:
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)


def test_reads_go_to_a_streaming_replica_and_go_on_when_the_primary_stops(
    replicated: Replicated, cluster: Cluster
) -> None:
    """A node with `replica_url`: edits are written to the primary and read back through the
    replica (the article, and search); with the primary stopped, reads go on answering and an
    edit fails cleanly."""
    primary_url, replica_url = replicated.primary.url(), replicated.replica.url()
    token = demo_site(primary_url)
    replica_caught_up(replicated)
    node = cluster.start(primary_url, replica_url=replica_url)
    with httpx2.Client(timeout=10) as client:
        editor = Editor(client, node.url, token)
        edited = [editor.edit(n) for n in range(3)]  # new, updated, new
        for n, article_id in zip((1, 2), edited[1:], strict=True):
            assert seconds_until_found(client, node, word(n), article_id) < WITHIN
        title = on_replica(replicated, "SELECT title FROM articles WHERE id = %s", edited[2])
        assert word(2) in title  # replayed there
        import psycopg

        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):  # a replica takes no writes
            on_replica(replicated, "DELETE FROM changes")
        replicated.primary.stop()
        for path in READS * 2:
            assert client.get(node.url + path).status_code == 200, path
        assert found(client, node, word(2), edited[2])
        failed = client.post(
            f"{node.url}/api/v1/articles", json={}, headers={"Authorization": f"Bearer {token}"}
        )
        assert failed.status_code == 503 and failed.headers["retry-after"] == "5"
        assert failed.json()["error"]["code"] == "unavailable"
        assert client.get(f"{node.url}/api/v1/articles/{edited[2]}").status_code == 200
        replicated.primary.start()  # back: the next edit connects again
        assert editor.edit(3) == edited[2]


def test_a_promoted_replica_takes_the_writes_once_the_node_is_pointed_at_it(
    replicated: Replicated, cluster: Cluster
) -> None:
    """Failing over (docs/deploy.md): the primary stops, the replica is promoted (pg_ctl
    promote), and the node is started again with the promoted server as its database, the
    same index folder: what was written before is there and found, and edits land again."""
    primary_url, replica_url = replicated.primary.url(), replicated.replica.url()
    token = demo_site(primary_url)
    index = str(cluster.folder / "node.index")
    node = cluster.start(primary_url, replica_url=replica_url, index_path=index)
    with httpx2.Client(timeout=10) as client:
        editor = Editor(client, node.url, token)
        before = editor.edit(0)
        replica_caught_up(replicated)
        replicated.primary.stop()
        replica = replicated.replica
        replica.run("pg_ctl", "-D", str(replica.data), "-w", "-t", "60", "promote")
        assert on_replica(replicated, "SELECT pg_is_in_recovery()") is False
        node.stop()
        moved = cluster.start(replica_url, index_path=index)  # the new --db, started again
        editor.url = moved.url
        assert found(client, moved, word(0), before)
        after = editor.edit(2)  # a new article, written to the promoted server
        assert after != before
        assert seconds_until_found(client, moved, word(2), after) < WITHIN
        assert word(2) in on_replica(replicated, "SELECT title FROM articles WHERE id = %s", after)
