"""MEDIQA 2019 Task 3 (QA) and Task 2 (RQE): readers, scorers and run files, on invented fixtures
in tests/fixtures/eval (a Task 3 file in the judged and the test layout, Task 2 files with and
without labels); the slow tests read the real sets beside the repository, in ../shared."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import shared_path

from healthqa.evaluate import (
    EvaluationError,
    QAQuestion,
    load_mediqa_qa,
    load_rqe,
    mediqa_reference_run,
    mediqa_system_run,
    read_mediqa_qa_run,
    read_rqe_run,
    score_mediqa_qa,
    score_rqe,
    write_mediqa_qa_run,
    write_rqe_run,
)

EVAL = Path(__file__).parent / "fixtures" / "eval"


# --- MEDIQA 2019 Task 3 (QA) ------------------------------------------------------------------


@pytest.fixture
def tiny_qa() -> list[QAQuestion]:
    return load_mediqa_qa(EVAL / "qa-judged.xml")


def test_load_mediqa_qa_reads_the_judged_layout(tiny_qa: list[QAQuestion]) -> None:
    assert [q.id for q in tiny_qa] == ["1", "2", "3"]
    first = tiny_qa[0]
    assert first.text == "hiccups. how do i stop hiccups that won't go away?"
    assert [a.id for a in first.answers] == ["1_Answer1", "1_Answer2", "1_Answer3", "1_Answer4"]
    answer = first.answers[1]
    assert (answer.system_rank, answer.reference_rank, answer.reference_score) == (2, 1, 4)
    assert answer.url == "https://example.org/hiccups/stopping"
    assert answer.text.startswith("Hiccups (Treatment): sipping cold water")
    assert [a.correct for a in first.answers] == [False, True, True, False]  # scores 2, 4, 3, 1


def test_load_mediqa_qa_reads_the_test_layout() -> None:
    [question] = load_mediqa_qa(EVAL / "qa-test-layout.xml")
    assert [a.id for a in question.answers] == ["7_Answer2", "7_Answer1"]  # file order: CHiQA's
    assert all(
        (a.system_rank, a.reference_rank, a.reference_score, a.correct) == (None, None, None, None)
        for a in question.answers
    )
    assert mediqa_system_run([question]) == {"7": [("7_Answer2", 1), ("7_Answer1", 1)]}
    with pytest.raises(EvaluationError, match="no ReferenceScore"):
        score_mediqa_qa([question], {"7": [("7_Answer1", 1)]})


# Gold (ReferenceScore >= 3), in CHiQA's order, with the reference ranks:
#   Q1: A1 no (ref 3), A2 yes (ref 1), A3 yes (ref 2), A4 no (ref 4)
#   Q2: A1 yes (ref 1), A2 no (ref 2)
#   Q3: A1 yes (ref 2), A2 yes (ref 3), A3 yes (ref 1)
# 9 answers, 6 correct.


def test_chiqa_order_everything_correct(tiny_qa: list[QAQuestion]) -> None:
    # Accuracy = precision = 6/9. MRR: Q1 first correct at 2, Q2 and Q3 at 1 -> (1/2 + 1 + 1) / 3.
    # Spearman over the correct answers labelled 1: Q1 A2, A3 at positions 1, 2 vs ranks 1, 2 -> 1;
    # Q2 has one (undefined, left out); Q3 positions 1, 2, 3 vs ranks 2, 3, 1: d = -1, -1, 2,
    # rho = 1 - 6 * 6 / (3 * 8) = -0.5. Mean of 1 and -0.5 = 0.25.
    scores = score_mediqa_qa(tiny_qa, mediqa_system_run(tiny_qa))
    assert scores.accuracy == pytest.approx(6 / 9)
    assert scores.precision == pytest.approx(6 / 9)
    assert scores.mrr == pytest.approx(5 / 6)
    assert scores.spearman == pytest.approx(0.25)
    assert (scores.questions, scores.answers, scores.spearman_questions) == (3, 9, 2)
    assert scores.per_question["3"].spearman == pytest.approx(-0.5)
    assert scores.per_question["2"].spearman is None


def test_reference_order_with_gold_labels_is_perfect(tiny_qa: list[QAQuestion]) -> None:
    run = mediqa_reference_run(tiny_qa)
    assert run["1"] == [("1_Answer2", 1), ("1_Answer3", 1), ("1_Answer1", 0), ("1_Answer4", 0)]
    assert run["3"] == [("3_Answer3", 1), ("3_Answer1", 1), ("3_Answer2", 1)]
    scores = score_mediqa_qa(tiny_qa, run)
    assert (scores.accuracy, scores.precision, scores.mrr, scores.spearman) == (1, 1, 1, 1)
    assert scores.no_correct == 0


def test_partial_predictions_by_hand(tiny_qa: list[QAQuestion]) -> None:
    predictions = {
        "1": [("1_Answer3", 1), ("1_Answer1", 1), ("1_Answer2", 0)],  # 1_Answer4 missing
        "3": [("3_Answer2", 1), ("3_Answer3", 0), ("3_Answer1", 1), ("3_Answer2", 0)],
    }  # Q2 missing; the repeated 3_Answer2 counts where it first appears
    # Right labels: Q1 A3 only (A1 wrongly 1, A2 wrongly 0, A4 missing); Q2 none; Q3 A2 and A1.
    #   accuracy = 3 / 9
    # Labelled 1: Q1 A3 (yes), A1 (no); Q3 A2 (yes), A1 (yes) -> precision 3 / 4.
    # MRR: Q1 A3 first -> 1; Q2 -> 0; Q3 A2 first -> 1: 2 / 3.
    # Spearman: Q1 one correct labelled 1 (left out); Q2 none (0); Q3 A2, A1 at 1, 2 vs ranks
    # 3, 2 -> -1. Mean of 0 and -1 = -0.5.
    scores = score_mediqa_qa(tiny_qa, predictions)
    assert scores.accuracy == pytest.approx(3 / 9)
    assert scores.precision == pytest.approx(3 / 4)
    assert scores.mrr == pytest.approx(2 / 3)
    assert scores.spearman == pytest.approx(-0.5)
    assert scores.spearman_questions == 2
    assert scores.per_question["2"].mrr == 0 and scores.per_question["2"].spearman == 0
    totals = scores.to_dict()
    assert totals["mrr"] == pytest.approx(2 / 3) and "per_question" not in totals


def test_predictions_must_name_known_questions_and_answers(tiny_qa: list[QAQuestion]) -> None:
    with pytest.raises(EvaluationError, match="question '9'"):
        score_mediqa_qa(tiny_qa, {"9": [("9_Answer1", 1)]})
    with pytest.raises(EvaluationError, match="no answer '2_Answer7'"):
        score_mediqa_qa(tiny_qa, {"2": [("2_Answer7", 1)]})
    with pytest.raises(EvaluationError, match="not 0 or 1"):
        score_mediqa_qa(tiny_qa, {"2": [("2_Answer1", 2)]})


def test_mediqa_qa_csv_round_trip(tmp_path: Path, tiny_qa: list[QAQuestion]) -> None:
    predictions = {"1": [("1_Answer2", 1), ("1_Answer1", 0), ("1_Answer3", 1)], "2": []}
    out = io.StringIO()
    write_mediqa_qa_run(predictions, out)
    # The official layout: the answers labelled 1 first, in rank order, then those labelled 0.
    assert out.getvalue() == "1,1_Answer2,1\n1,1_Answer3,1\n1,1_Answer1,0\n"
    path = tmp_path / "run.csv"
    path.write_text(out.getvalue())
    back = read_mediqa_qa_run(path)
    assert back == {"1": [("1_Answer2", 1), ("1_Answer3", 1), ("1_Answer1", 0)]}
    assert score_mediqa_qa(tiny_qa, back) == score_mediqa_qa(tiny_qa, predictions)
    path.write_text("question_id,answer_id,label\n2,2_Answer1,1\n")  # the official gold files
    assert read_mediqa_qa_run(path) == {"2": [("2_Answer1", 1)]}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1,1_Answer1,1\n1,1_Answer2\n", "run.csv:2: expected question_id,answer_id,label"),
        ("1,1_Answer1,yes\n", "run.csv:1: the label must be 0 or 1"),
        ("1,1_Answer1,1\n\n1,1_Answer1,0\n", "run.csv:3: 1,1_Answer1 is listed twice"),
        (",1_Answer1,1\n", "run.csv:1: expected"),
    ],
)
def test_malformed_mediqa_qa_runs_name_the_line(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "run.csv"
    path.write_text(text)
    with pytest.raises(EvaluationError, match=says):
        read_mediqa_qa_run(path)


_QUESTION = (
    '<Question QID="1"><QuestionText>q</QuestionText><AnswerList>\n'
    '<Answer AID="1_Answer1" {attributes}><AnswerText>a</AnswerText></Answer>\n'
    "</AnswerList></Question>"
)


@pytest.mark.parametrize(
    ("xml", "says"),
    [
        ("<Set>\n" + _QUESTION.format(attributes='ReferenceScore="high"') + "</Set>", ":3: Ref"),
        ("<Set>\n" + _QUESTION.format(attributes='SystemRank="1"') + "\n", ":5: broken XML"),
        (
            "<Set>\n" + _QUESTION.format(attributes="").replace('AID="1_Answer1"', "") + "</Set>",
            ":3:",
        ),
        ("<Set>\n" + (_QUESTION.format(attributes="") + "\n") * 2 + "</Set>", ":5: QID '1'"),
        ("<Set><Other/></Set>", "no <Question> elements"),
        ('<?xml version="1.0"?>\n<!DOCTYPE Set SYSTEM "file:///etc/passwd">\n<Set/>', "unsafe"),
        (
            '<!DOCTYPE Set [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
            "<Set>&b;</Set>",
            "unsafe XML",
        ),
    ],
)
def test_malformed_mediqa_xml_is_an_error_with_a_line(tmp_path: Path, xml: str, says: str) -> None:
    path = tmp_path / "qa.xml"
    path.write_text(xml)
    with pytest.raises(EvaluationError, match=says) as caught:
        load_mediqa_qa(path)
    assert str(caught.value).startswith(str(path))


# --- MEDIQA 2019 Task 2 (RQE) -----------------------------------------------------------------


def test_load_rqe_reads_labels_and_strips_the_text() -> None:
    pairs = load_rqe(EVAL / "rqe-labelled.xml")
    assert [(p.id, p.label) for p in pairs] == [
        ("1", True),
        ("2", False),
        ("3", False),
        ("4", True),
    ]
    assert pairs[0].chq == "hiccups. I get hiccups every time I drink soda, why does that happen?"
    assert pairs[0].faq == "Why do fizzy drinks cause hiccups?"


def test_load_rqe_reads_the_test_layout_without_labels() -> None:
    pairs = load_rqe(EVAL / "rqe-test-layout.xml")
    assert [(p.id, p.label) for p in pairs] == [("11", None), ("12", None)]
    with pytest.raises(EvaluationError, match="without a gold label"):
        score_rqe(pairs, {"11": True})


def test_score_rqe_by_hand() -> None:
    pairs = load_rqe(EVAL / "rqe-labelled.xml")  # gold: true, false, false, true
    # 1 right, 2 wrong, 3 right, 4 missing (wrong): 2 of 4.
    assert score_rqe(pairs, {"1": True, "2": True, "3": False}) == 0.5
    assert score_rqe(pairs, {p.id: False for p in pairs}) == 0.5  # the majority-class baseline
    with pytest.raises(EvaluationError, match="not in the set"):
        score_rqe(pairs, {"99": True})


def test_rqe_run_round_trip(tmp_path: Path) -> None:
    out = io.StringIO()
    write_rqe_run({"1": True, "2": False}, out)
    assert out.getvalue() == "1,true\n2,false\n"
    path = tmp_path / "rqe.csv"
    path.write_text(out.getvalue())
    assert read_rqe_run(path) == {"1": True, "2": False}
    path.write_text("pair_id,label\n1,1\n2,0\n")  # the official ground-truth layout
    assert read_rqe_run(path) == {"1": True, "2": False}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1,true\n2,yes\n", "rqe.csv:2: expected pair_id,true|false"),
        ("1,true,extra\n", "rqe.csv:1: expected"),
        ("1,true\n1,false\n", "rqe.csv:2: pair '1' is listed twice"),
    ],
)
def test_malformed_rqe_runs_name_the_line(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "rqe.csv"
    path.write_text(text)
    with pytest.raises(EvaluationError, match=says):
        read_rqe_run(path)


def test_a_bad_rqe_value_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rqe.xml"
    path.write_text('<Set>\n<pair pid="1" value="maybe">\n<chq>a</chq><faq>b</faq></pair>\n</Set>')
    with pytest.raises(EvaluationError, match=r'rqe\.xml:2: value must be "true" or "false"'):
        load_rqe(path)
    path.write_text('<Set>\n<pair pid="1" value="true">\n<chq>a</chq></pair>\n</Set>')
    with pytest.raises(EvaluationError, match=r"rqe\.xml:2: <pair> has no <faq>"):
        load_rqe(path)


# --- The real sets in ../shared ---------------------------------------------------------------

MEDIQA = ("data", "mediqa2019")


@pytest.mark.slow
def test_mediqa_task3_validation_set_and_baselines() -> None:
    questions = load_mediqa_qa(shared_path(*MEDIQA, "MEDIQA2019-Task3-QA-ValidationSet.xml"))
    answers = [answer for question in questions for answer in question.answers]
    assert (len(questions), len(answers)) == (25, 234)
    assert all(a.reference_score is not None and a.reference_rank is not None for a in answers)
    assert all(a.system_rank is not None for a in answers)
    correct = sum(bool(a.correct) for a in answers)
    chiqa = score_mediqa_qa(questions, mediqa_system_run(questions))
    # Labelling every answer correct in CHiQA's order scores the share of correct answers:
    # 94 / 234 = 0.402 here. The 0.517 quoted in the issue cannot be reached on this set by any
    # labelling of CHiQA's order (see the report); it is most likely the official test-set figure.
    assert correct == 94
    assert chiqa.accuracy == pytest.approx(correct / len(answers))
    assert chiqa.accuracy == pytest.approx(0.402, abs=0.001)
    assert chiqa.precision == pytest.approx(chiqa.accuracy)
    assert chiqa.mrr == pytest.approx(0.9433, abs=1e-4)
    assert chiqa.spearman == pytest.approx(0.2657, abs=1e-4)
    perfect = score_mediqa_qa(questions, mediqa_reference_run(questions))
    assert (perfect.accuracy, perfect.precision, perfect.mrr, perfect.spearman) == (1, 1, 1, 1)


@pytest.mark.slow
def test_mediqa_task3_training_set_parses() -> None:
    questions = load_mediqa_qa(shared_path(*MEDIQA, "MEDIQA2019-Task3-QA-TrainingSet2-Alexa.xml"))
    assert len(questions) == 104
    assert all(a.correct is not None for q in questions for a in q.answers)
    assert score_mediqa_qa(questions, mediqa_reference_run(questions)).no_correct == 2


@pytest.mark.slow
def test_mediqa_task2_validation_set_and_majority_baseline() -> None:
    pairs = load_rqe(shared_path(*MEDIQA, "MEDIQA2019-Task2-RQE-ValidationSet-AMIA2016.xml"))
    assert len(pairs) == 302
    assert all(pair.label is not None and pair.chq and pair.faq for pair in pairs)
    entailed = sum(bool(pair.label) for pair in pairs)
    assert entailed == 129
    majority = score_rqe(pairs, {pair.id: False for pair in pairs})
    assert majority == pytest.approx(173 / 302)  # 0.573
