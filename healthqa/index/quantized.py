"""Exact vector search, four times lighter: int8 scores choose the candidates, float32 ranks them.

Scoring every article against a question reads all their float32 vectors, 1.5 kB a text: at
17,942 articles with two texts each, 55 MB a question, which costs more in memory traffic than
in arithmetic (about 2 ms of one core when idle, twice that with two web workers competing for
the memory bus). `Int8Scores` keeps a copy of the vectors as int8 (a quarter of the bytes) and
scores them with ONNX Runtime's integer matrix product (MatMulInteger): about 0.6 ms, each score
within a few thousandths of the float32 cosine. The vector index takes the best of those as
candidates, more than it needs (`CANDIDATES`), and ranks them by their float32 cosines, so the
order it returns is the exact one unless an article's int8 score was off by more than the gap
between the last candidate and the tenth (decision 31 says how often: never, in its check).

Needs onnxruntime and onnx (the semantic extra); `available()` says whether they are there.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

LEVELS = 127  # int8 values run from -127 to 127; the question's uint8 ones are offset by 128
_OFFSET = 128


def available() -> bool:
    return all(importlib.util.find_spec(name) for name in ("onnx", "onnxruntime"))


class Int8Scores:
    """Approximate inner products of a question with the rows of `matrix` (rows x dimension,
    float32), from an int8 copy of it."""

    def __init__(self, matrix: np.ndarray) -> None:
        import onnxruntime as ort
        from onnx import TensorProto, helper, numpy_helper

        rows, dimension = matrix.shape
        peak = float(np.abs(matrix).max()) if matrix.size else 1.0
        self._scale = LEVELS / (peak or 1.0)
        quantized = np.clip(np.rint(matrix * self._scale), -LEVELS, LEVELS).astype(np.int8)
        columns = np.ascontiguousarray(quantized.T)  # dimension x rows: one product a question
        # The question is uint8 (value + 128), as MatMulInteger's fast kernels want; what the
        # offset adds to each row's score is taken off again.
        self._offset = columns.astype(np.int32).sum(axis=0) * _OFFSET
        graph = helper.make_graph(
            [helper.make_node("MatMulInteger", ["question", "vectors"], ["scores"])],
            "int8-scores",
            [helper.make_tensor_value_info("question", TensorProto.UINT8, [1, dimension])],
            [helper.make_tensor_value_info("scores", TensorProto.INT32, [1, rows])],
            [numpy_helper.from_array(columns, "vectors")],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session: Any = ort.InferenceSession(
            model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )

    def scores(self, query: np.ndarray) -> np.ndarray:
        """One approximate score per row (float32)."""
        peak = float(np.abs(query).max()) or 1.0
        scale = LEVELS / peak
        question = (np.clip(np.rint(query * scale), -LEVELS, LEVELS) + _OFFSET).astype(np.uint8)
        (raw,) = self._session.run(None, {"question": question[None]})
        return np.asarray((raw[0] - self._offset) / (self._scale * scale), dtype=np.float32)
