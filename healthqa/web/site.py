"""What every request of one web worker shares: the library, kept fresh, and a small cache.

A worker opens its `Library` once. Other processes (the CLI, other workers, the editor API)
write to the same database, so before a request the site applies their changes to the index,
at most once every `sync_seconds` (a cheap look at the change log). Results that only change
when the data changes (an article page's related list, the topics A to Z) are cached under
the index's change-log number, so any change makes them stale at once; entries also expire
after `ttl_seconds`, for the few things the change log does not record (an editor's pin).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from healthqa.library import Library

T = TypeVar("T")
log = logging.getLogger("healthqa.web")

SYNC_SECONDS = 2.0
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
        self._cache: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    def fresh(self) -> None:
        """Apply other processes' changes, unless that was done in the last few seconds.

        Workers share the index folder. A worker first takes up what another has already
        written; when another holds the index's write lock, it carries on with what it has
        and tries again next time.
        """
        now = self._clock()
        if self._synced_at is not None and now - self._synced_at < self.sync_seconds:
            return
        self._synced_at = now
        try:
            self.library.index.reload()
            self.library.sync()
        except ValueError as exc:
            if "LockBusy" not in str(exc):
                raise
            log.info("another process is updating the search index; catching up later")

    @property
    def version(self) -> int:
        """The change-log number the index reflects: what cached results are keyed by."""
        return self.library.index.last_seq

    def cached(self, key: Hashable, compute: Callable[[], T], expires: bool = True) -> T:
        """`compute()`, remembered for this data version (least recently used go first).

        `expires=False` keeps it until the data changes, for what only the change log changes.
        """
        full = (key, self.version)
        now = self._clock()
        found = self._cache.get(full)
        if found is not None and (not expires or now - found[0] < self.ttl_seconds):
            self._cache.move_to_end(full)
            kept: T = found[1]
            return kept
        value = compute()
        self._cache[full] = (now, value)
        self._cache.move_to_end(full)
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)
        return value

    def close(self) -> None:
        self.library.close()
