"""An approximate nearest-neighbour index (usearch's HNSW graph) over the article vectors.

Exact search is one matrix product per embedded text: a few milliseconds over the 17,942
articles of liveqa-med-dev, about 136 ms over a million. From `APPROXIMATE_FROM` articles on
(the `approximate_from` setting) `index.vectors` asks this index for candidates instead and
scores them exactly (docs/decisions.md, section 29).

Like every index it is derived data: it holds a copy of the stored vectors, keyed by
`key(article id, text)`, each with a fingerprint of its embedded text's hash. `update` brings it
to what the store holds by comparing fingerprints, so an edit, a retired article or another
database all come out right: what differs is removed and added again, and an index that would
change in most of its entries is built anew. Vectors are kept as int8 (`DTYPE`), a quarter of
float32's memory, with no loss of recall at 10 here (decision 29 has the measurements).

Processes sharing an index folder save the graph there (`save`, `load`), so that a web worker
starting on a million articles loads in seconds what took minutes to build.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

APPROXIMATE_FROM = 50_000  # articles; below this, exact search is fast enough (decision 29)
DTYPE = "i8"
CONNECTIVITY = 16  # graph edges per vector (usearch's default)
EXPANSION_ADD = 128  # candidates considered while adding (usearch's default)
EXPANSION_SEARCH = 1024  # candidates looked at while searching: recall against speed
REBUILD_SHARE = 0.5  # when more than this share of entries changes, build anew
FILE = "vectors-{name}.usearch"
_VERSION = 1


def available() -> bool:
    """Whether usearch (the semantic extra) is installed."""
    try:
        import usearch.index  # noqa: F401
    except ImportError:
        return False
    return True


def key(article_id: int, row: int, rows: int) -> int:
    """The index key of an article's `row`-th embedded text, of `rows` kinds."""
    return article_id * rows + row


def fingerprint(text_hash: str) -> int:
    """A text hash (hex SHA-1) as the 63-bit number the index keeps beside each vector."""
    return int(text_hash[:16], 16) >> 1


class ApproximateIndex:
    """usearch's HNSW index of normalised vectors under integer keys, with fingerprints."""

    def __init__(self, dimension: int, dtype: str = DTYPE, **options: int) -> None:
        self.dimension = dimension
        self.dtype = dtype
        self.options = {
            "connectivity": CONNECTIVITY,
            "expansion_add": EXPANSION_ADD,
            "expansion_search": EXPANSION_SEARCH,
            **options,
        }
        self._index = self._new()
        # The keys held, sorted, and each one's fingerprint: two arrays, 16 bytes an entry
        # (a dict of Python ints took about 100: 200 MB at a million articles).
        self._keys = np.zeros(0, dtype=np.uint64)
        self._marks = np.zeros(0, dtype=np.uint64)

    def _new(self) -> Any:
        from usearch.index import Index

        return Index(
            ndim=self.dimension,
            metric="cos",
            dtype=self.dtype,
            connectivity=self.options["connectivity"],
            expansion_add=self.options["expansion_add"],
            expansion_search=self.options["expansion_search"],
        )

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def fingerprints(self) -> dict[int, int]:
        """The keys held and their fingerprints (a copy, to look at)."""
        return dict(zip(self._keys.tolist(), self._marks.tolist(), strict=True))

    def update(
        self,
        keys: np.ndarray,
        marks: np.ndarray,
        vector: Callable[[Sequence[int]], np.ndarray],
    ) -> int:
        """Hold exactly `keys`, each with its fingerprint in `marks`; `vector(keys)` gives the
        vectors of keys to add. Returns how many entries were removed or added."""
        order = np.argsort(keys, kind="stable")
        keys = np.asarray(keys, dtype=np.uint64)[order]
        marks = np.asarray(marks, dtype=np.uint64)[order]
        kept = _matching(self._keys, self._marks, keys, marks)
        new = np.flatnonzero(~_matching(keys, marks, self._keys, self._marks))
        gone = self._keys[~kept]
        if not len(gone) and not len(new):
            return 0
        held = len(self._keys)
        if len(gone) + len(new) > REBUILD_SHARE * max(held, 1) or len(gone) == held:
            self._index = self._new()
            kept = np.zeros(0, dtype=bool)
            self._keys, self._marks = self._keys[:0], self._marks[:0]
            gone, new = gone[:0], np.arange(len(keys))
        if len(gone):
            self._index.remove(gone)
            self._keys, self._marks = self._keys[kept], self._marks[kept]
        for start in range(0, len(new), 50_000):  # bounded memory for the vectors to add
            rows = new[start : start + 50_000]
            self._index.add(keys[rows], vector(keys[rows].tolist()))
            both = np.concatenate([self._keys, keys[rows]])
            order = np.argsort(both, kind="stable")
            self._keys, self._marks = both[order], np.concatenate([self._marks, marks[rows]])[order]
        return len(gone) + len(new)

    def search(self, query: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The keys of about the `count` nearest vectors and their cosines, nearest first."""
        if not len(self._keys) or count <= 0:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.float32)
        found = self._index.search(query, min(count, len(self._keys)))
        return np.asarray(found.keys), 1.0 - np.asarray(found.distances, dtype=np.float32)

    # On disk --------------------------------------------------------------------------

    def save(self, path: Path, name: str) -> None:
        """Write the graph and its fingerprints to `path`, replacing any older copy whole."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        self._index.save(str(partial))
        np.save(_keys_file(path, partial=True), np.stack([self._keys, self._marks]))
        meta = {"version": _VERSION, "name": name, "dtype": self.dtype, "options": self.options}
        _meta_file(path).write_text(json.dumps(meta))
        _keys_file(path, partial=True).replace(_keys_file(path))
        partial.replace(path)

    @classmethod
    def load(cls, path: Path, name: str, dimension: int, dtype: str = DTYPE) -> ApproximateIndex:
        """The index saved at `path` for `name` (an embedder and text), or a new empty one
        when there is none, it was made for something else, or it cannot be read."""
        index = cls(dimension, dtype)
        try:
            meta = json.loads(_meta_file(path).read_text())
            expected = {"version": _VERSION, "name": name, "dtype": dtype}
            if any(meta.get(k) != v for k, v in expected.items()):
                return index
            keys, marks = np.load(_keys_file(path))
            index._index.load(str(path))
            index._index.expansion_search = index.options["expansion_search"]  # this version's
        except (OSError, ValueError, RuntimeError):
            return cls(dimension, dtype)
        if len(index._index) != len(keys):
            return cls(dimension, dtype)
        order = np.argsort(keys, kind="stable")  # sorted already, unless an older file
        index._keys, index._marks = keys[order], marks[order]
        return index


def _matching(
    keys: np.ndarray, marks: np.ndarray, among: np.ndarray, theirs: np.ndarray
) -> np.ndarray:
    """Which of `keys` (with `marks`) are in the sorted `among` with the same fingerprint."""
    if not len(among):
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(among, keys), len(among) - 1)
    same: np.ndarray = (among[at] == keys) & (theirs[at] == marks)
    return same


def index_file(folder: Path, name: str) -> Path:
    """Where the index for `name` (an embedder and text) is kept in an index folder."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
    return folder / FILE.format(name=safe)


def _keys_file(path: Path, partial: bool = False) -> Path:
    return path.with_suffix(".keys.partial.npy" if partial else ".keys.npy")


def _meta_file(path: Path) -> Path:
    return path.with_suffix(".json")
