"""Limits on one client: rates (429 + Retry-After), body sizes (413), read times (408)."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import quiet_settings
from fastapi.testclient import TestClient
from test_web_server import free_port

from healthqa.library import Library
from healthqa.web.app import create_app
from healthqa.web.limits import RateLimiter, client_of, kind_of, networks

FAR = ("203.0.113.9", 40000)  # a client on another machine (TEST-NET-3)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_rate_limiter_allows_a_burst_then_one_at_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(60, burst=3, clock=clock)  # one a second
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(1.0)
    assert limiter.take("b") == 0.0  # each key its own allowance
    clock.now = 1.0
    assert limiter.take("a") == 0.0 and limiter.take("a") > 0
    assert RateLimiter(0).take("a") == 0.0  # 0: no limit


def test_the_rate_limiter_forgets_the_least_recent_keys_past_its_size() -> None:
    limiter = RateLimiter(60, burst=1, keys=2, clock=Clock())
    for key in ("a", "b", "c"):
        limiter.take(key)
    assert limiter.take("a") == 0.0  # forgotten: a full bucket again
    assert limiter.take("c") > 0


def test_requests_count_against_their_kind() -> None:
    assert kind_of("GET", "/api/v1/ask") == kind_of("GET", "/ask") == "ask"
    assert kind_of("GET", "/api/v1/search") == kind_of("GET", "/search") == "search"
    assert kind_of("POST", "/api/v1/articles") == kind_of("PUT", "/api/v1/articles/3") == "editor"
    assert kind_of("GET", "/api/v1/articles/3/revisions") == "editor"
    assert kind_of("GET", "/api/v1/articles/3") is None and kind_of("GET", "/") is None


def test_x_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    proxies = networks("10.0.0.0/8, 192.0.2.1")
    assert client_of("10.0.0.5", "198.51.100.7", proxies) == "198.51.100.7"
    assert client_of("10.0.0.5", "1.2.3.4, 198.51.100.7, 192.0.2.1", proxies) == "198.51.100.7"
    assert client_of("198.51.100.7", "1.2.3.4", proxies) == "198.51.100.7"  # not a proxy
    assert client_of("10.0.0.5", "1.2.3.4", ()) == "10.0.0.5"  # none configured
    with pytest.raises(ValueError, match="trusted_proxies"):
        networks("10.0.0.1/8")


@pytest.fixture
def limited(demo_db: Path) -> Iterator[Library]:
    library = Library(
        str(demo_db),
        quiet_settings(rate_limit_ask=2, rate_limit_search=3, trusted_proxies="10.0.0.0/8"),
    )
    yield library
    library.close()


def test_a_client_over_its_allowance_gets_429_with_retry_after(limited: Library) -> None:
    with TestClient(create_app(limited), client=FAR) as far:
        assert [far.get("/api/v1/ask?q=leg cramps").status_code for _ in range(2)] == [200, 200]
        refused = far.get("/api/v1/ask?q=leg cramps")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        error = refused.json()["error"]
        assert (error["status"], error["code"], error["field"]) == (429, "rate_limited", None)
        page = far.get("/ask?q=leg cramps")  # the page shares the allowance: an HTML 429
        assert page.status_code == 429 and "text/html" in page.headers["content-type"]
        assert "retry-after" in page.headers and "x-content-type-options" in page.headers
        assert far.get("/api/v1/search?q=cramps").status_code == 200  # another allowance
        assert far.get("/api/v1/stats").status_code == 200  # not limited
    with TestClient(create_app(limited)) as local:  # the in-process client: this machine
        assert all(local.get("/api/v1/ask?q=x").status_code == 200 for _ in range(4))


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_allowance(
    limited: Library,
) -> None:
    with TestClient(create_app(limited), client=("10.1.2.3", 5000)) as proxy:
        for client in ("198.51.100.1", "198.51.100.2"):
            forwarded = {"X-Forwarded-For": client}
            codes = [proxy.get("/search?q=x", headers=forwarded).status_code for _ in range(4)]
            assert codes == [200, 200, 200, 429]
    with TestClient(create_app(limited), client=FAR) as far:  # not a proxy: the header is
        codes = [  # ignored, so changing it does not buy a new allowance
            far.get("/search?q=x", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
            for n in range(4)
        ]
        assert codes == [200, 200, 200, 429]


def test_loopback_clients_are_limited_only_when_asked(demo_db: Path) -> None:
    for flag, expected in ((False, 200), (True, 429)):
        settings = quiet_settings(rate_limit_ask=1, rate_limit_loopback=flag)
        library = Library(str(demo_db), settings)
        with TestClient(create_app(library), client=("127.0.0.1", 5000)) as local:
            codes = [local.get("/api/v1/ask?q=x").status_code for _ in range(2)]
            assert codes == [200, expected]
        library.close()


def test_a_declared_body_over_the_limit_is_refused_on_any_route(demo_db: Path) -> None:
    library = Library(str(demo_db), quiet_settings(max_request_bytes=100))
    with TestClient(create_app(library)) as client:
        refused = client.post("/api/v1/ask", content=b"x" * 101)
        assert refused.status_code == 413
        assert refused.json()["error"]["code"] == "payload_too_large"
        assert client.request("GET", "/search", content=b"x" * 101).status_code == 413
    library.close()


def raw_request(port: int, head: bytes, body: bytes, wait: float) -> tuple[bytes, float]:
    """Send `head` and part of a body, then read what the server says; (reply, seconds)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as conn:
        started = time.monotonic()
        conn.sendall(head + body)
        reply = b""
        while chunk := conn.recv(65536):  # until the server closes the connection
            reply += chunk
        return reply, time.monotonic() - started


def test_slow_or_huge_requests_do_not_hold_a_connection(demo_db: Path) -> None:
    """Over a real socket, on uvicorn: a client that promises 100 bytes and sends 10 gets 408;
    one that sends half a head is cut off; a head over 64 KB gets 400."""
    port = free_port()
    env = {"HEALTHQA_REQUEST_READ_TIMEOUT": "1", "HEALTHQA_EMBEDDING_MODEL": "none"}
    command = [sys.executable, "-m", "healthqa", "--db", str(demo_db), "serve"]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        head = (
            b"POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n"
        )
        reply, seconds = raw_request(port, head, b'{"title":', wait=10)
        assert reply.startswith(b"HTTP/1.1 408 ")
        assert b'"code":"request_timeout"' in reply and b"connection: close" in reply.lower()
        assert 0.9 <= seconds < 5
        # Half a request's head: the connection is closed at the same deadline.
        reply, seconds = raw_request(port, b"GET / HTTP/1.1\r\nHost: x\r\n", b"", wait=10)
        assert reply == b"" and 0.9 <= seconds < 5
        # A head over 64 KB: 400 at once.
        huge = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n"
        reply, seconds = raw_request(port, huge, b"", wait=10)
        assert reply.startswith(b"HTTP/1.1 400 ") and seconds < 5
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:  # all is well
            conn.sendall(b"GET /api/v1/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert conn.recv(100).startswith(b"HTTP/1.1 200 ")
    finally:
        server.terminate()
        server.wait(timeout=30)
