"""`healthqa serve` on the real production server: uvicorn with two worker processes."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_over_http_with_two_workers(demo_db: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "healthqa", "--db", str(demo_db), "serve"]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        response = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and response is None:
            try:
                response = httpx2.get(f"http://127.0.0.1:{port}/api/v1/stats", timeout=5)
            except httpx2.TransportError:
                time.sleep(0.2)
        assert response is not None, "the server did not start"
        assert response.status_code == 200
        assert response.json()["articles"] == 45
        page = httpx2.get(
            f"http://127.0.0.1:{port}/articles/what-are-the-signs-of-mastitis-and-what-helps",
            timeout=5,
        )
        assert page.status_code == 200 and "<h1>What are the signs of mastitis" in page.text
        assert "server" not in page.headers  # uvicorn's banner is off
    finally:
        server.terminate()
        server.wait(timeout=30)
