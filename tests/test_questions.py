import pytest

from healthqa.questions import analyse, answers_type


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What causes leg cramps in late pregnancy?", "cause"),
        ("why do my legs cramp at night", "cause"),
        ("what are the signs of pre-eclampsia", "symptoms"),
        ("how is sleep apnea treated", "treatment"),
        ("what can I do about heartburn", "treatment"),
        ("how do I prevent shingles", "prevention"),
        ("how is gestational diabetes diagnosed", "diagnosis"),
        ("what is the prognosis for MTHFR", "outlook"),
        ("is a headache at 30 weeks serious", "when to see a doctor"),
        ("what is the dosage of ciprofloxacin", "medicine use"),
        ("side effects of carvedilol", "side effects"),
        ("taking dicyclomine with phentermine together", "side effects"),
        ("tell me about ODD", "information"),
    ],
)
def test_question_types(question: str, kind: str) -> None:
    assert analyse(question).type == kind


def test_several_types_are_listed_in_order() -> None:
    assert analyse("what causes gout and how is it treated?").types == ("cause", "treatment")


@pytest.mark.parametrize(
    ("question", "population"),
    [
        ("leg cramps, I'm 34 weeks pregnant", "pregnancy"),
        ("my 3-year-old has a fever", "child"),
        ("my elderly mother keeps falling", "older adult"),
        ("what is gout", None),
    ],
)
def test_population(question: str, population: str | None) -> None:
    assert analyse(question).population == population


def test_passage_cues() -> None:
    assert answers_type("Nobody knows the exact cause.", "cause")
    assert not answers_type("Leg cramps are common at night.", "cause")
    assert not answers_type("anything", "information")
