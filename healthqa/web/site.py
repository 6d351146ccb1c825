"""What every request of one web worker shares: the library, kept fresh, and a small cache.

A worker opens its `Library` once. Other processes (the CLI, other workers, other nodes, the
editor API) write to the same database, and the worker applies their changes to its indexes:

- On PostgreSQL, a thread of its own (the follower) waits for the change notices every commit
  to the change log sends (`Store.listener`), and applies the changes as soon as one arrives,
  so an edit on one node is found on every node within moments. It also looks every
  `sync_seconds` without a notice (a notice can be lost with its connection; a replica may
  not have the change yet when it arrives, and then it looks again shortly).
- Without notices (SQLite), or when the follower has stopped, a request first applies the
  changes, at most once every `sync_seconds` (a cheap look at the change log).

- A worker that writes (the editor API, the workspace) applies its own change before it
  answers (`take_up`), so the editor's next search on that node finds it.

A node's workers share its index folder and take turns updating it (`index.sync`). Results
that only change
when the data changes (an article page's related list, the topics A to Z) are cached under
the index's change-log number, so any change makes them stale at once (an editor's pin or
exclusion of a related article too: it is a change in the log); entries also expire after
`ttl_seconds`, as a safety net. The cache is cachetools' `TLRUCache`: least recently used
entries go first, and each entry carries its own expiry (never, for `expires=False`). Only the
event loop's thread calls it (every page and API route is `async`), so it takes no lock.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachetools import TLRUCache

from healthqa.library import Library
from healthqa.store import ChangeListener, StoreError, StoreUnavailable

T = TypeVar("T")
log = logging.getLogger("healthqa.web")

SYNC_SECONDS = 2.0
WAIT_SECONDS = 0.5  # the longest the follower waits for a notice before looking at its stop
BEHIND_SECONDS = 0.05  # how soon the follower looks again when a notice is ahead of its reads
TTL_SECONDS = 60.0
CACHE_ENTRIES = 2048


class Site:
    """One worker's view of the library; see the module docstring."""

    def __init__(
        self,
        library: Library,
        sync_seconds: float = SYNC_SECONDS,
        ttl_seconds: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.library = library
        self.sync_seconds = sync_seconds
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._synced_at: float | None = None
        self._cache: TLRUCache[tuple[Hashable, int, bool], Any] = TLRUCache(
            CACHE_ENTRIES, self._expiry, timer=clock
        )
        self._cached_version: int | None = None  # the data version the cache's entries are for
        self._follower: threading.Thread | None = None
        self._stop = threading.Event()
        self._syncing = threading.Lock()

    def _expiry(self, key: tuple[Hashable, int, bool], value: Any, now: float) -> float:
        """When a new entry stops serving: `ttl_seconds` from now, or never (`expires=False`)."""
        return now + self.ttl_seconds if key[2] else math.inf

    def fresh(self) -> None:
        """Apply other processes' changes, unless the follower does, or that was done in the
        last few seconds.

        A worker first takes up what another has already written; when another process is
        updating the index, it carries on with what it has and tries again next time.
        """
        if self.following:
            return
        now = self._clock()
        if self._synced_at is not None and now - self._synced_at < self.sync_seconds:
            return
        self._synced_at = now
        if not self._syncing.acquire(blocking=False):
            return  # the follower is at it
        try:
            self.library.index.reload()
            self.library.sync(wait=False)
        except ValueError as exc:
            if "LockBusy" not in str(exc):
                raise
            log.info("another process is updating the search index; catching up later")
        finally:
            self._syncing.release()

    # The follower ---------------------------------------------------------------------------

    @property
    def following(self) -> bool:
        """Whether the follower thread keeps the indexes up to date."""
        return self._follower is not None and self._follower.is_alive()

    def start(self) -> None:
        """Start the follower, where the database announces its changes (see the module
        docstring); it opens the index first, so that requests and the follower share it."""
        try:
            listener = self.library.listener()
        except StoreError as exc:
            log.warning("no change notices (%s); requests look at the change log instead", exc)
            return
        if listener is None:
            return
        self.library.sync()  # opens the index, before the thread shares it
        self._stop.clear()
        self._follower = threading.Thread(
            target=self._follow, args=(listener,), name="healthqa-follower", daemon=True
        )
        self._follower.start()

    def _follow(self, listener: ChangeListener) -> None:
        announced = 0  # the newest change a notice named
        looked = self._clock()
        try:
            while not self._stop.is_set():
                behind = self.version < announced
                try:  # in short waits, so that closing is not kept waiting
                    found = listener.wait(BEHIND_SECONDS if behind else WAIT_SECONDS)
                    announced = max(announced, found or 0)
                except StoreError as exc:  # polling meanwhile; the next wait reconnects
                    log.warning("no change notices (%s); looking every %gs", exc, self.sync_seconds)
                    self._stop.wait(self.sync_seconds)
                    found = None
                due = self._clock() - looked >= self.sync_seconds
                if (found or behind or due) and not self._stop.is_set():
                    self._catch_up()
                    looked = self._clock()
        finally:
            listener.close()

    def _catch_up(self) -> None:
        with self._syncing:
            if not self._apply(wait=True):
                self._stop.wait(self.sync_seconds)  # the next look tries again

    def take_up(self) -> None:
        """Apply the change this worker has just committed, so that its own next read finds
        it (an editor who saves and then searches on the same node finds the new text).

        The change is already in the database: a failure here is logged, never raised, and
        the follower or the next request's look applies it. When another process is updating
        the index folder, or the follower is busy for long, it is left to them."""
        if not self._syncing.acquire(timeout=self.sync_seconds):
            return
        try:
            self._apply(wait=False)
        finally:
            self._syncing.release()

    def _apply(self, wait: bool) -> bool:
        """`library.sync`, holding `_syncing`; False when it failed (and was logged)."""
        try:
            self.library.sync(wait=wait)
        except StoreUnavailable as exc:
            log.warning("could not apply the latest changes: %s", exc)
            return False
        except Exception:
            log.exception("could not apply the latest changes; trying again")
            return False
        return True

    @property
    def version(self) -> int:
        """The change-log number the index reflects: what cached results are keyed by."""
        return self.library.index.last_seq

    def cached(self, key: Hashable, compute: Callable[[], T], expires: bool = True) -> T:
        """`compute()`, remembered for this data version (least recently used go first; a
        new version empties the cache, so entries for older data take no memory).

        `expires=False` keeps it until the data changes, for what only the change log changes.
        """
        version = self.version
        if version != self._cached_version:  # every entry was for older data: none can serve
            self._cache.clear()
            self._cached_version = version
        full = (key, version, expires)
        found = self._cache.get(full)  # an expired entry is not found
        if found is not None:
            kept: T = found
            return kept
        value = compute()
        self._cache[full] = value
        return value

    def close(self) -> None:
        self._stop.set()
        if self._follower is not None:
            self._follower.join(timeout=self.sync_seconds + 5)
            self._follower = None
        self.library.close()
