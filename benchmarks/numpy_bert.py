"""The numpy BERT that embedded articles before ONNX Runtime (decisions 14 and 20, replaced by
decision 30): kept here, outside the package, as the baseline that bench_runtimes.py measures
the serving runtime against. Never imported by healthqa.

`NumpyMiniLM(folder)` embeds as healthqa's MiniLM does (the same tokenizer, batches by length
and mean pooling) with the encoder written in numpy, on `threads` BLAS threads.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy

from healthqa.embedders import _BATCH, MiniLM, _mean, _normalise, _padded, blas_threads


class NumpyMiniLM:
    def __init__(self, folder: Path, threads: int = 1) -> None:
        reference = MiniLM(folder)
        self._tokenizer = reference._tokenizer
        self.model_id = reference.model_id
        self.threads = threads
        self._bert = NumpyBert(folder)
        self.dimension = self._bert.dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch([text or " " for text in texts])
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        with blas_threads(self.threads):
            for start in range(0, len(order), _BATCH):
                rows = order[start : start + _BATCH]
                ids, mask = _padded([encodings[i].ids for i in rows])
                out[rows] = self._bert.pooled(ids, mask)
        return _normalise(out)

    def tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text).ids)


class NumpyBert:
    """The encoder in numpy, from model.safetensors: one forward pass a batch."""

    def __init__(self, folder: Path) -> None:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.dimension = int(config["hidden_size"])
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        self._w = {
            # Dense weights are stored transposed and contiguous, so every product is one BLAS
            # call (a transposed view falls off numpy's fast path: 15 times slower).
            name: np.ascontiguousarray(array.T if name.endswith("dense.weight") else array)
            for name, array in self._load(safetensors.numpy, folder).items()
        }
        for layer in range(self._layers):
            self._w.update(self._fused_qkv(f"encoder.layer.{layer}.attention.self."))

    def pooled(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        x = self._embeddings(ids)
        bias = (1.0 - mask.astype(np.float32))[:, None, None, :] * -1e9
        for layer in range(self._layers):
            x = self._layer(x, bias, f"encoder.layer.{layer}.")
        return _mean(x, mask)

    def _embeddings(self, ids: np.ndarray) -> np.ndarray:
        w = self._w
        x = w["embeddings.word_embeddings.weight"][ids]
        x = x + w["embeddings.position_embeddings.weight"][: ids.shape[1]][None]
        x = x + w["embeddings.token_type_embeddings.weight"][0]
        return self._norm(x, "embeddings.LayerNorm.")

    def _layer(self, x: np.ndarray, bias: np.ndarray, p: str) -> np.ndarray:
        attended = self._attention(x, bias, p + "attention.self.")
        x = self._norm(
            x + self._dense(attended, p + "attention.output.dense."),
            p + "attention.output.LayerNorm.",
        )
        inner = _gelu(self._dense(x, p + "intermediate.dense."))
        return self._norm(x + self._dense(inner, p + "output.dense."), p + "output.LayerNorm.")

    def _attention(self, x: np.ndarray, bias: np.ndarray, p: str) -> np.ndarray:
        batch, length, width = x.shape
        size = width // self._heads

        qkv = self._dense(x, p + "qkv.").reshape(batch, length, 3, self._heads, size)
        # Contiguous (batch, head, position, size) arrays keep each product on BLAS.
        q, k, v = np.ascontiguousarray(qkv.transpose(2, 0, 3, 1, 4))
        q *= 1.0 / math.sqrt(size)
        scores = q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2))
        scores += bias
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        return np.asarray((scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, width))

    def _dense(self, x: np.ndarray, p: str) -> np.ndarray:
        weight = self._w[p + "weight"]
        flat = x.reshape(-1, x.shape[-1]) @ weight + self._w[p + "bias"]
        return np.asarray(flat.reshape(*x.shape[:-1], weight.shape[1]))

    @staticmethod
    def _load(reader: Any, folder: Path) -> dict[str, np.ndarray]:
        weights: dict[str, np.ndarray] = reader.load_file(str(folder / "model.safetensors"))
        return {
            name.replace(".self.query.", ".self.query.dense.")
            .replace(".self.key.", ".self.key.dense.")
            .replace(".self.value.", ".self.value.dense."): array.astype(np.float32)
            for name, array in weights.items()
            if array.dtype != np.int64
        }

    def _fused_qkv(self, p: str) -> dict[str, np.ndarray]:
        """Query, key and value projections as one (width, 3 x width) product."""
        parts = ("query", "key", "value")
        return {
            p + "qkv.weight": np.hstack([self._w[f"{p}{part}.dense.weight"] for part in parts]),
            p + "qkv.bias": np.concatenate([self._w[f"{p}{part}.dense.bias"] for part in parts]),
        }

    def _norm(self, x: np.ndarray, p: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        scaled = (x - mean) / np.sqrt(var + self._eps)
        return np.asarray(scaled * self._w[p + "weight"] + self._w[p + "bias"])


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x), with erf by Abramowitz and Stegun 7.1.26 (error < 2e-7)."""
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return np.asarray(0.5 * x * (1.0 + erf))
