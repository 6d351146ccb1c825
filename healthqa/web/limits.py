"""Limits on what one client may ask of the server: request rates, body sizes, read times.

`Limits` is ASGI middleware (healthqa/web/app.py lists it). For each HTTP request it

- counts the request against the client's allowance for its kind (`kind_of`: ask, search or
  editor; other requests are not limited) and answers 429 with `Retry-After` when it is spent;
- refuses a body over `max_request_bytes` with 413: at once when Content-Length declares one,
  else while the body streams in (the editor API checks the same limit again as it parses);
- answers 408 and closes the connection when a body is not all there `request_read_timeout`
  seconds after the app first asks for it (a client that declares a body and sends part of it
  does not hold a connection indefinitely).

The allowances are kept in this process: each server worker counts on its own, so with
`--workers N` a client may make up to N times its allowance. The client is the peer's address,
or, when the peer is one of `trusted_proxies`, the nearest address in X-Forwarded-For that is
not a trusted proxy. Clients on this machine (loopback, a Unix socket, the in-process test
client) are not limited unless `rate_limit_loopback` is on.

`RateLimiter` is the reusable part: a token bucket per key (docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthqa.web.errors import ApiError, respond

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
KINDS = ("ask", "search", "editor", "signin")
SIGN_IN = "/editor/sign-in"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


class RateLimiter:
    """At most `per_minute` events a minute for each key, with bursts of up to `burst`
    (default: `per_minute`): a token bucket per key, refilled continuously.

        limiter = RateLimiter(30)
        wait = limiter.take("203.0.113.9")   # 0.0: allowed; else seconds until one is

    Thread-safe. It remembers at most `keys` keys, forgetting the least recently seen first
    (a forgotten key starts again with a full bucket). `per_minute` 0 allows everything."""

    def __init__(
        self,
        per_minute: float,
        burst: float | None = None,
        keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_minute / 60
        self.burst = float(burst if burst is not None else per_minute)
        self.keys = keys
        self.clock = clock
        self._buckets: LRUCache[str, tuple[float, float]] = LRUCache(keys)  # tokens, when
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one event of `key`'s allowance: 0.0 if there was one, else the seconds until
        there will be (nothing is spent then)."""
        if self.per_second <= 0:
            return 0.0
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.per_second)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.per_second
            self._buckets[key] = (tokens - 1 if wait == 0 else tokens, now)  # the LRU key goes
            return wait


@dataclass(frozen=True)
class Policy:
    """The limits, as the settings give them."""

    rates: dict[str, int]  # requests a minute per client, by kind (0: not limited)
    loopback: bool
    proxies: tuple[Network, ...]
    max_body: int
    read_timeout: float

    @classmethod
    def of(cls, settings: dict[str, Any]) -> Policy:
        return cls(
            rates={kind: int(settings[f"rate_limit_{kind}"]) for kind in KINDS},
            loopback=bool(settings["rate_limit_loopback"]),
            proxies=networks(settings["trusted_proxies"]),
            max_body=int(settings["max_request_bytes"]),
            read_timeout=float(settings["request_read_timeout"]),
        )


def networks(value: str) -> tuple[Network, ...]:
    """The addresses and networks of a comma-separated list ("10.0.0.0/8, ::1")."""
    value = value.replace(" ", "")
    try:
        return tuple(ipaddress.ip_network(part.strip()) for part in value.split(",") if part)
    except ValueError as exc:
        raise ValueError(f"trusted_proxies: {exc}") from None


def kind_of(method: str, path: str) -> str | None:
    """Which allowance a request counts against: ask or search (the pages and the API), editor
    (every API write, and revisions), signin (the workspace's sign-in form), or none."""
    if path == SIGN_IN and method == "POST":
        return "signin"
    tail = path.removeprefix("/api/v1")
    if tail in ("/ask", "/search") and method in _READS:
        return tail[1:]
    if path.startswith("/api/") and (method not in _READS or path.endswith("/revisions")):
        return "editor"
    return None


def client_of(peer: str | None, forwarded: str | None, proxies: Iterable[Network]) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy; then the nearest
    address in X-Forwarded-For (read from the right) that is not a trusted proxy."""
    proxies = tuple(proxies)
    client = peer or "unknown"
    if not proxies or not _within(client, proxies) or not forwarded:
        return client
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        client = hop
        if not _within(hop, proxies):
            break
    return client


def _within(address: str, nets: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in nets)


def is_local(address: str) -> bool:
    """A loopback address, or none at all (an in-process test client's "testclient", a Unix
    socket's peer): a client on this machine."""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return True


class Limits:
    """The middleware; see the module docstring. The settings are read from the app's library
    on the first request (each worker builds its own app)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._policy: Policy | None = None
        self._limiters: dict[str, RateLimiter] = {}

    def policy(self, scope: Scope) -> Policy:
        if self._policy is None:
            self._policy = Policy.of(scope["app"].state.library.settings)
            self._limiters = {k: RateLimiter(r) for k, r in self._policy.rates.items() if r}
        return self._policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.policy(scope)
        refusal = self._refusal(scope, policy)
        if refusal is not None:
            await _answer(scope, receive, send, refusal)
            return
        await self.app(scope, _guarded(receive, policy), send)

    def _refusal(self, scope: Scope, policy: Policy) -> ApiError | None:
        """A 429 or 413 to answer before the app sees the request, or None."""
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > policy.max_body:
            return _too_large(policy.max_body)
        kind = kind_of(scope["method"], scope["path"])
        limiter = self._limiters.get(kind or "")
        if limiter is None:
            return None
        peer = scope["client"][0] if scope.get("client") else None
        client = client_of(peer, headers.get("x-forwarded-for"), policy.proxies)
        if is_local(client) and not policy.loopback:
            return None
        wait = limiter.take(f"{kind}:{client}")
        if wait == 0:
            return None
        seconds = max(1, math.ceil(wait))
        message = f"too many {kind} requests from {client}: try again in {seconds} s"
        return ApiError(429, "rate_limited", message, headers={"Retry-After": str(seconds)})


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"the request body is over {limit:,} bytes")


def _guarded(receive: Receive, policy: Policy) -> Receive:
    """`receive`, refusing (ApiError, which the app's handlers answer) a body that grows over
    the limit or is not all there `read_timeout` seconds after it was first asked for."""
    deadline, read, done = 0.0, 0, False

    async def guarded() -> Message:
        nonlocal deadline, read, done
        if done:
            return await receive()  # after the body: waiting for a disconnect is fine
        deadline = deadline or asyncio.get_running_loop().time() + policy.read_timeout
        try:
            async with asyncio.timeout_at(deadline if policy.read_timeout else None):
                message = await receive()
        except TimeoutError:
            raise ApiError(
                408,
                "request_timeout",
                f"the request body did not arrive within {policy.read_timeout:g} seconds",
                headers={"Connection": "close"},
            ) from None
        read += len(message.get("body", b""))
        done = not message.get("more_body", False)
        if read > policy.max_body:
            raise _too_large(policy.max_body)
        return message

    return guarded


async def _answer(scope: Scope, receive: Receive, send: Send, error: ApiError) -> None:
    """The envelope for the API, the error page for the rest, with the error's headers."""
    request = Request(scope, receive)
    response = respond(request, error.status, error.message)
    response.headers.update(error.headers)
    await response(scope, receive, send)
