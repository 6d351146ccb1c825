"""The import job: read any supported input, clean each article, store them in batches.

Each batch is one transaction. A broken record is reported (file, line, field, reason) and
skipped; the others go on. Importing the same input twice changes nothing. After the last batch,
links between articles are resolved and the near-duplicate list is brought up to date.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, overload

from healthqa import clean as cleaning
from healthqa import ingest
from healthqa.articles import ArticleRecord, CleanArticle
from healthqa.ingest import Limits, Problem, Skipped, page
from healthqa.store import BatchResult, Store


class Problems:
    """The rejected input of an import: every problem counted by reason, the first `keep` kept.

    A file of a million broken lines would otherwise hold a million problems in memory.
    `len()` is how many were rejected; iterating or indexing gives the kept ones, in order.
    """

    def __init__(self, keep: int = 1000) -> None:
        self.keep = keep
        self.kept: list[Problem] = []
        self.by_reason: Counter[str] = Counter()
        self._count = 0

    def append(self, problem: Problem) -> None:
        self._count += 1
        self.by_reason[problem.reason] += 1
        if len(self.kept) < self.keep:
            self.kept.append(problem)

    @property
    def not_kept(self) -> int:
        """How many problems were counted but not kept."""
        return self._count - len(self.kept)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.kept)

    @overload
    def __getitem__(self, index: int) -> Problem: ...
    @overload
    def __getitem__(self, index: slice) -> list[Problem]: ...
    def __getitem__(self, index: int | slice) -> Problem | list[Problem]:
        return self.kept[index]


@dataclass
class ImportSummary:
    """What an import did, for the CLI's summary and `--json`."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    rejected: Problems = field(default_factory=Problems)
    formats: Counter[str] = field(default_factory=Counter)
    links_resolved: int = 0
    near_duplicates: int | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when nothing was rejected (skips by design do not count)."""
        return not self.rejected

    @property
    def articles(self) -> int:
        return self.imported + self.updated + self.unchanged

    def rejected_by_reason(self) -> Counter[str]:
        return Counter(self.rejected.by_reason)

    def add(self, result: BatchResult) -> None:
        self.imported += result.imported
        self.updated += result.updated
        self.unchanged += result.unchanged

    def to_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": dict(self.skipped),
            "rejected": dict(self.rejected_by_reason()),
            "problems": [str(problem) for problem in self.rejected],
            "problems_not_listed": self.rejected.not_kept,
            "formats": dict(self.formats),
            "links_resolved": self.links_resolved,
            "near_duplicates": self.near_duplicates,
            "seconds": round(self.seconds, 2),
        }


def import_paths(
    store: Store,
    paths: Sequence[str],
    *,
    format: str | None = None,
    limits: Limits | None = None,
    batch_size: int = 500,
    duplicate_threshold: float = 0.8,
    author: str = "import",
    progress: Callable[[int], None] | None = None,
    workers: int = 2,
) -> ImportSummary:
    """Import every article below `paths` into `store`; see the module docstring.

    `progress` is called with bytes read from disk (see `ingest.inputs.total_bytes`).
    Cleaning runs in `workers` processes beside the one reading and writing (from the second
    batch on, so a small import starts no processes); `workers=0` cleans in this process.
    """
    started = time.perf_counter()
    summary = ImportSummary()
    reason = "imported from " + ", ".join(str(p) for p in paths)

    def on_input(_: object, fmt: ingest.Format | None) -> None:
        summary.formats[fmt.name if fmt else "unknown"] += 1

    units = ingest.units(paths, format, limits, on_input, progress)
    work = _chunks(units, summary, _CHUNK)
    for batch in _batches(_processed(work, limits or Limits(), workers, summary), batch_size):
        summary.add(store.save_batch(batch, author, reason))
    if summary.imported or summary.updated:
        summary.links_resolved = store.resolve_links()
        summary.near_duplicates = refresh_near_duplicates(store, duplicate_threshold)
    summary.seconds = time.perf_counter() - started
    return summary


def refresh_near_duplicates(store: Store, threshold: float = 0.8) -> int:
    """Recompute the near-duplicate list over every published article; returns its length."""
    ids, signatures = store.signatures()
    pairs = cleaning.near_duplicates(ids, signatures, threshold)
    store.replace_near_duplicates([(p.a, p.b, p.similarity) for p in pairs])
    return len(pairs)


_CHUNK = 200  # documents or records handed to a worker at a time


Work = ingest.Document | ingest.Lines | ArticleRecord  # to parse and clean


def _chunks(
    units: Iterable[ingest.Unit], summary: ImportSummary, size: int
) -> Iterator[list[Work]]:
    """Work to parse and clean, in chunks; skips and problems found on the way are counted.
    `Lines` (already a few hundred lines) are a chunk each."""
    chunk: list[Work] = []
    for unit in units:
        if isinstance(unit, ingest.Lines):
            if chunk:
                yield chunk
                chunk = []
            yield [unit]
        elif isinstance(unit, ingest.Document | ArticleRecord):
            chunk.append(unit)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        else:
            _count(unit, summary)
    if chunk:
        yield chunk


def _processed(
    chunks: Iterator[list[Work]],
    limits: Limits,
    workers: int,
    summary: ImportSummary,
) -> Iterator[CleanArticle]:
    """Every chunk parsed and cleaned, in order: in `workers` processes once there is more
    than one chunk, else here. At most a few chunks are in flight, so memory stays bounded."""
    first = next(chunks, None)
    second = next(chunks, None)
    rest = itertools.chain([c for c in (first, second) if c is not None], chunks)
    if second is None or workers < 1:
        results: Iterator[list[CleanArticle | Problem | Skipped]] = (
            process_chunk(chunk, limits) for chunk in rest
        )
        yield from _kept(results, summary)
        return
    # fork: workers inherit the loaded modules, and nothing re-imports the caller's script.
    # The importing process has no threads of its own when the pool starts.
    context = multiprocessing.get_context("fork")
    parent = os.getpid()
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_orphan_guard, initargs=(parent,)
    ) as pool:
        yield from _kept(_in_order(pool, rest, limits, 2 * workers), summary)


ORPHAN_CHECK = 0.5  # seconds between a worker's looks at whether its importer is still there


def _orphan_guard(parent: int) -> None:
    """In each worker: exit as soon as the importing process is gone (killed with SIGKILL, a
    pool cannot tell its workers, which would otherwise wait for work for ever)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK)
        os._exit(1)

    threading.Thread(target=watch, name="healthqa-orphan-guard", daemon=True).start()


def _in_order(
    pool: ProcessPoolExecutor,
    chunks: Iterable[list[Work]],
    limits: Limits,
    ahead: int,
) -> Iterator[list[CleanArticle | Problem | Skipped]]:
    pending: deque[Future[list[CleanArticle | Problem | Skipped]]] = deque()
    for chunk in chunks:
        pending.append(pool.submit(process_chunk, chunk, limits))
        if len(pending) > ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def process_chunk(chunk: list[Work], limits: Limits) -> list[CleanArticle | Problem | Skipped]:
    """Parse the documents and lines and clean every record of one chunk (runs in a worker
    process)."""
    out: list[CleanArticle | Problem | Skipped] = []
    for unit in chunk:
        items = unit.items(limits) if isinstance(unit, ingest.Document | ingest.Lines) else [unit]
        for item in items:
            out.append(_clean(item) if isinstance(item, ArticleRecord) else item)
    return out


def _kept(
    results: Iterable[list[CleanArticle | Problem | Skipped]], summary: ImportSummary
) -> Iterator[CleanArticle]:
    names = page.FileNames()  # two pages with one file name: the second is a problem
    for result in results:
        for item in result:
            if not isinstance(item, CleanArticle):
                _count(item, summary)
            elif (clash := names.clash(item)) is not None:
                _count(clash, summary)
            else:
                yield item


def _count(item: Problem | Skipped, summary: ImportSummary) -> None:
    if isinstance(item, Skipped):
        summary.skipped[item.reason] += 1
    else:
        summary.rejected.append(item)


def _batches(articles: Iterable[CleanArticle], size: int) -> Iterator[list[CleanArticle]]:
    batch: list[CleanArticle] = []
    for article in articles:
        batch.append(article)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _clean(record: ArticleRecord) -> CleanArticle | Problem:
    try:
        article = cleaning.clean(record)
    except Exception as exc:  # a bug in cleaning must cost one record, not the import
        detail = f"could not be cleaned ({type(exc).__name__}: {exc}); please report this"
        return Problem(record.origin, "cleaning failed", detail)
    if not article.body_text.strip():
        detail = "nothing is left of the answer once unsafe HTML is removed"
        return Problem(record.origin, "no body", detail, field="body")
    return article
