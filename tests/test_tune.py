"""Fine-tuning the embedding model: its training pairs, the tuned folder, and the command.

The pairs come from the invented MEDIQA fixtures. One test tunes the real all-MiniLM-L6-v2 for a
few steps with PyTorch (the `train` extra) and reads the result back with numpy; it is skipped,
with the reason, where PyTorch, sentence-transformers or the model is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from healthqa.cli import main
from healthqa.embedders import PROVENANCE, MiniLM, installed_model, readers_installed
from healthqa.tune import TuningSettings, tune, tuning_pairs

EVAL = Path(__file__).parent / "fixtures" / "eval"
RQE, QA = EVAL / "rqe-labelled.xml", EVAL / "qa-judged.xml"


def test_pairs_are_entailed_questions_and_the_titles_of_correct_answers() -> None:
    pairs = tuning_pairs(RQE, QA)
    assert pairs[:2] == [
        (
            "hiccups. I get hiccups every time I drink soda, why does that happen?",
            "Why do fizzy drinks cause hiccups?",
        ),
        ("blocked ears. how can I unblock my ears after a flight?", "How do I clear blocked ears?"),
    ]
    titles = [title for _, title in pairs[2:]]
    # Reference scores 3 and 4 are correct; "Hiccups" (2) and "Burping" (1) are not.
    assert titles == [
        "Hiccups (Treatment)",
        "Hiccups (When to see a doctor)",
        "Yawning",
        "Ear pressure",
        "Eustachian tubes",
        "Flying and ears",
    ]
    assert pairs[2][0] == "hiccups. how do i stop hiccups that won't go away?"


def test_tuning_refuses_what_it_cannot_learn_from(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least two question pairs"):
        tune(tmp_path, [("a", "b")], tmp_path / "out")
    with pytest.raises(ValueError, match="batch size must be at least 2"):
        tune(tmp_path, [("a", "b"), ("c", "d")], tmp_path / "out", TuningSettings(batch_size=1))


def test_without_pytorch_the_command_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if installed_model() is None or not readers_installed():
        pytest.skip("the semantic extra and the model are needed to reach the tuning step")
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    result = CliRunner().invoke(
        main,
        ["train", "--qa", str(QA), "--rqe", str(RQE), "--tune-model", str(tmp_path / "m")],
        env={"HEALTHQA_EMBEDDING_MODEL": ""},
    )
    assert result.exit_code == 1
    assert "pip install 'healthqa[train]'" in result.output
    assert not (tmp_path / "m").exists()


def _tuning_installed() -> bool:
    return all(importlib.util.find_spec(name) for name in ("torch", "sentence_transformers"))


@pytest.mark.skipif(
    not _tuning_installed() or installed_model() is None or not readers_installed(),
    reason="needs the train extra (PyTorch, sentence-transformers) and the semantic model",
)
def test_a_tuned_model_brings_its_pairs_closer_and_numpy_runs_it(tmp_path: Path) -> None:
    base = installed_model()
    assert base is not None
    pairs = tuning_pairs(RQE, QA)
    out = tmp_path / "tuned"
    settings = TuningSettings(epochs=3, batch_size=4, learning_rate=1e-4)
    provenance = tune(base, pairs, out, settings, sources=(QA, RQE))
    assert provenance["pairs"] == 8 and provenance["steps"] == 6
    assert json.loads((out / PROVENANCE).read_text())["trained_on"].keys() == {
        "qa-judged.xml",
        "rqe-labelled.xml",
    }
    before, after = MiniLM(base), MiniLM(out)
    assert after.model_id != before.model_id  # its vectors are stored under a key of their own

    def agreement(model: MiniLM) -> float:
        questions = model.embed([question for question, _ in pairs])
        answers = model.embed([answer for _, answer in pairs])
        return float(np.mean(np.sum(questions * answers, axis=1)))

    assert agreement(after) > agreement(before) + 0.01
