"""The LiveQA 2017 reader, its fixed split, focus matching and the `eval questions` command, on
two tiny invented files in tests/fixtures/liveqa that imitate the two training layouts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from healthqa.cli import main
from healthqa.evaluate import EvaluationError
from healthqa.evaluate.liveqa import (
    TYPE_MAP,
    Guess,
    LiveQAQuestion,
    focus_matches,
    healthqa_types,
    load_liveqa,
    score_analysis,
)
from healthqa.questions import TYPES

LIVEQA = Path(__file__).parent / "fixtures" / "liveqa"
MEDQUAD = Path(__file__).parent / "fixtures" / "medquad"


def test_both_layouts_are_read_with_every_sub_questions_annotations() -> None:
    cramps, hiccups, sunburn = load_liveqa(LIVEQA)
    assert cramps.id == "liveqa-tiny-1:Q1"
    assert (
        cramps.text
        == "calf cramps. I'm 34 weeks pregnant. Why do my legs cramp at night, and what helps?"
    )
    assert cramps.focuses == ("leg cramps", "Leg Cramps")  # kept as written; matching folds case
    assert cramps.types == ("cause", "treatment")
    assert cramps.asked == (("leg cramps", "cause"), ("Leg Cramps", "treatment"))
    assert cramps.answers == ("Invented answer.",)  # the reference answers, each text once
    assert hiccups.text == "Is hiccups hereditary? My dad had them too."  # no subject line
    assert (sunburn.id, sunburn.text) == (
        "liveqa-tiny-2:1.0",
        "Sunburn? How long does a sunburn take to heal",
    )
    assert healthqa_types(sunburn) == {"outlook"}
    assert load_liveqa(LIVEQA / "liveqa-tiny-2.xml") == [sunburn]


def test_a_file_without_questions_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_text("<NLM-QUESTIONS/>")
    with pytest.raises(EvaluationError, match="no <NLM-QUESTION>"):
        load_liveqa(empty)
    (tmp_path / "folder").mkdir()
    with pytest.raises(EvaluationError, match=r"no \.xml files"):
        load_liveqa(tmp_path / "folder")


def test_the_split_is_fixed_by_the_question_id() -> None:
    def question(qid: str) -> LiveQAQuestion:
        return LiveQAQuestion(qid, "text", (), ())

    halves = [question(f"file:{n}").held_out for n in range(200)]
    assert 70 < sum(halves) < 130  # about half each
    assert halves == [question(f"file:{n}").held_out for n in range(200)]


def test_every_liveqa_type_maps_onto_a_healthqa_type() -> None:
    assert len({kind for kind in TYPE_MAP if kind != "diagnose_me"}) == 23
    assert set(TYPE_MAP.values()) <= {*TYPES, "information"}


@pytest.mark.parametrize(
    ("gold", "names", "matches"),
    [
        ("leg cramps", ["Leg cramp"], (True, True)),  # case and plural
        ("Cysts, Arachnoid", ["arachnoid cysts"], (True, True)),  # word order
        ("Parkinson", ["Parkinson's disease", "Paralysis agitans"], (False, True)),
        ("cardiac amyloidosis", ["Amyloidosis"], (False, True)),
        ("charley horse", ["Muscle cramps", "charley horse"], (True, True)),  # an alias
        ("shingles", ["Chickenpox"], (False, False)),
        ("shingles", [], (False, False)),
    ],
)
def test_focus_matches(gold: str, names: list[str], matches: tuple[bool, bool]) -> None:
    assert focus_matches(gold, names) == matches


def test_scores_per_half() -> None:
    questions = load_liveqa(LIVEQA)

    def guess(text: str) -> Guess:
        if "cramp" in text:
            return Guess(("Leg cramps",), ("treatment", "cause"))
        return Guess((), ("information",))

    scores = score_analysis(questions, guess)["all"]
    assert (scores.questions, scores.with_focus) == (3, 3)
    assert scores.focus_exact == scores.focus_found == round(1 / 3, 4)
    assert scores.type_main == scores.type_any == round(1 / 3, 4)
    halves = score_analysis(questions, guess)
    assert halves["held-in"].questions + halves["held-out"].questions == 3


def test_eval_questions_command(tmp_path: Path) -> None:
    args = ["--db", str(tmp_path / "x.db"), "eval", "questions", str(LIVEQA)]
    result = CliRunner().invoke(main, [*args, "--topics", str(MEDQUAD), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"held-in", "held-out", "all"}
    assert report["all"]["questions"] == 3
    assert report["all"]["type_any"] > 0
    table = CliRunner().invoke(main, args)
    assert "held-out" in table.output and "focus_exact" in table.output
