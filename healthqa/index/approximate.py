"""An approximate nearest-neighbour index (FAISS's inverted file of int8 vectors) over the
article vectors.

Exact search is one matrix product per embedded text: a few milliseconds over the 17,942
articles of liveqa-med-dev, about 136 ms over a million. From `APPROXIMATE_FROM` articles on
(the `approximate_from` setting) `index.vectors` asks this index for candidates instead and
scores them exactly (docs/decisions.md, sections 29 and 35).

The index is FAISS's `IndexIVFScalarQuantizer`: the vectors are split among `lists(n)`
clusters (k-means, trained on a sample when the index is built), each kept as 8-bit scalars
(a quarter of float32's memory, no graph beside them), and a search reads the `probes(lists)`
clusters nearest the question. Unlike a graph, it keeps its recall where many vectors are
near-copies of one another (decision 35 has the measurements).

Like every index it is derived data: it holds a copy of the stored vectors, keyed by
`key(article id, text)`, each with a fingerprint of its embedded text's hash. `update` brings it
to what the store holds by comparing fingerprints, so an edit, a retired article or another
database all come out right: what differs is removed and added again, and an index that would
change in most of its entries is built anew (and its clusters trained again).

Processes sharing an index folder save the index there (`save`, `load`), so that a web worker
starting on a million articles loads in seconds what took minutes to build.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

APPROXIMATE_FROM = 50_000  # articles; below this, exact search is fast enough (decision 29)
LIST_SIZE = 500  # vectors a cluster holds on average when the index is built
MAX_LISTS = 8192
PROBES_PER_ROOT = 3  # a search reads 3 x sqrt(clusters) clusters, at least MIN_PROBES
MIN_PROBES = 32
TRAIN_PER_LIST = 64  # k-means sample: this many vectors a cluster (FAISS asks 39 at least)
REBUILD_SHARE = 0.5  # when more than this share of entries changes, build anew
CHUNK = 50_000  # vectors added at a time: bounded memory
FILE = "vectors-{name}.faiss"
_VERSION = 2  # 1: usearch's HNSW graph (files named .usearch, no longer read)


def available() -> bool:
    """Whether FAISS (the semantic extra) is installed."""
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def key(article_id: int, row: int, rows: int) -> int:
    """The index key of an article's `row`-th embedded text, of `rows` kinds."""
    return article_id * rows + row


def fingerprint(text_hash: str) -> int:
    """A text hash (hex SHA-1) as the 63-bit number the index keeps beside each vector."""
    return int(text_hash[:16], 16) >> 1


def lists(vectors: int) -> int:
    """How many clusters an index built over `vectors` vectors has."""
    return max(1, min(MAX_LISTS, round(vectors / LIST_SIZE)))


def probes(clusters: int) -> int:
    """How many clusters a search reads: `PROBES_PER_ROOT` times the square root of their
    number (a sixth of 400, a twentieth of 4,000), at least `MIN_PROBES` (decision 35)."""
    return min(clusters, max(MIN_PROBES, math.ceil(PROBES_PER_ROOT * math.sqrt(clusters))))


def _faiss(threads: int = 1) -> Any:
    """FAISS, on `threads` threads (0: one a core): a search runs on one, as a request's other
    work does (threads would spin on a busy node); building uses every core."""
    import faiss

    faiss.omp_set_num_threads(threads or os.cpu_count() or 1)
    return faiss


class ApproximateIndex:
    """FAISS's inverted file of 8-bit vectors (inner product of normalised vectors: the
    cosine) under integer keys, with fingerprints."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self._index: Any = None  # built on the first update, when there is something to train on
        # The keys held, sorted, and each one's fingerprint: two arrays, 16 bytes an entry
        # (a dict of Python ints took about 100: 200 MB at a million articles).
        self._keys = np.zeros(0, dtype=np.uint64)
        self._marks = np.zeros(0, dtype=np.uint64)

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
        if not len(keys):  # nothing left to hold, nothing to train on
            self._index, self._keys, self._marks = None, keys, marks
            return len(gone)
        if len(gone) + len(new) > REBUILD_SHARE * max(held, 1) or len(gone) == held:
            self._index = self._trained(keys, vector)
            kept = np.zeros(0, dtype=bool)
            self._keys, self._marks = self._keys[:0], self._marks[:0]
            gone, new = gone[:0], np.arange(len(keys))
        if len(gone):
            self._index.remove_ids(_faiss().IDSelectorBatch(gone.astype(np.int64)))
            self._keys, self._marks = self._keys[kept], self._marks[kept]
        for start in range(0, len(new), CHUNK):
            rows = new[start : start + CHUNK]
            found = np.ascontiguousarray(vector(keys[rows].tolist()), dtype=np.float32)
            _faiss(0)  # finding each vector's cluster, on every core
            self._index.add_with_ids(found, keys[rows].astype(np.int64))
            both = np.concatenate([self._keys, keys[rows]])
            order = np.argsort(both, kind="stable")
            self._keys, self._marks = both[order], np.concatenate([self._marks, marks[rows]])[order]
        return len(gone) + len(new)

    def _trained(self, keys: np.ndarray, vector: Callable[[Sequence[int]], np.ndarray]) -> Any:
        """A new empty index whose clusters are trained on a seeded sample of `keys`."""
        faiss = _faiss(0)
        clusters = lists(len(keys))
        sample = np.random.default_rng(29).permutation(len(keys))[: TRAIN_PER_LIST * clusters]
        vectors = np.ascontiguousarray(vector(np.sort(keys[sample]).tolist()), dtype=np.float32)
        coarse = faiss.IndexFlatIP(self.dimension)
        index = faiss.IndexIVFScalarQuantizer(
            coarse,
            self.dimension,
            clusters,
            faiss.ScalarQuantizer.QT_8bit,
            faiss.METRIC_INNER_PRODUCT,
        )
        index.cp.seed = 29
        index.cp.min_points_per_centroid = 1  # a small collection: fewer clusters, no warning
        index.train(vectors)
        index.nprobe = probes(clusters)
        return index

    def search(self, query: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """The keys of about the `count` nearest vectors and their cosines, nearest first."""
        if not len(self._keys) or count <= 0:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.float32)
        wanted = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        _faiss(1)
        cosines, found = self._index.search(wanted, min(count, len(self._keys)))
        there = found[0] >= 0  # fewer than `count` in the clusters read
        return found[0][there].astype(np.uint64), cosines[0][there].astype(np.float32)

    # On disk --------------------------------------------------------------------------

    def save(self, path: Path, name: str) -> None:
        """Write the index and its fingerprints to `path`, replacing any older copy whole."""
        if self._index is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        _faiss().write_index(self._index, str(partial))
        np.save(_keys_file(path, partial=True), np.stack([self._keys, self._marks]))
        meta = {"version": _VERSION, "name": name, "dimension": self.dimension}
        _meta_file(path).write_text(json.dumps(meta))
        _keys_file(path, partial=True).replace(_keys_file(path))
        partial.replace(path)

    @classmethod
    def load(cls, path: Path, name: str, dimension: int) -> ApproximateIndex:
        """The index saved at `path` for `name` (an embedder and text), or a new empty one
        when there is none, it was made for something else, or it cannot be read."""
        index = cls(dimension)
        try:
            meta = json.loads(_meta_file(path).read_text())
            expected = {"version": _VERSION, "name": name, "dimension": dimension}
            if any(meta.get(k) != v for k, v in expected.items()):
                return index
            keys, marks = np.load(_keys_file(path))
            index._index = _faiss().read_index(str(path))
        except (OSError, ValueError, RuntimeError):
            return cls(dimension)
        if index._index.ntotal != len(keys) or index._index.d != dimension:
            return cls(dimension)
        index._index.nprobe = probes(index._index.nlist)  # this version's
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
