import math
import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthqa.articles import Topic
from healthqa.questions import Analysis, FocusFinder, analyse, answers_type
from healthqa.text import STRICT, Speller, terms


def topic(name: str, *synonyms: str) -> Topic:
    return Topic(id=0, slug="", name=name, synonyms=list(synonyms), category=None)


FINDER = FocusFinder.build(
    [
        topic("Breast cancer"),
        topic("Pregnancy"),
        topic("Hydatidiform mole", "molar pregnancy"),
        topic("Muscle cramps", "charley horse"),
        topic("Carney complex", "CAR", "disease"),
        topic("Oppositional defiant disorder", "ODD"),
    ]
)
# Rarer words weigh more, as in a collection: "pregnancy" and "disease" are common.
COMMON = {stem: 1.0 for stem in terms("pregnancy disease cancer")}


def weight(term: str) -> float:
    return COMMON.get(term, 4.0)


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


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("is cancer of the breast hereditary?", "Breast cancer"),  # any order, stop words out
        ("is conception needed for a molar pregnancy?", "Hydatidiform mole"),  # synonym, longest
        ("I keep getting a charley horse at night", "Muscle cramps"),
        ("can a heart disease be inherited", None),  # too common a word to be a focus
        ("my son has ODD, what helps?", "Oppositional defiant disorder"),  # an acronym in capitals
        ("which car seat is safest", None),  # not an acronym when written in lower case
        ("WHAT CAUSES A COLD", None),
        ("what is the weather like", None),
    ],
)
def test_focus_is_the_weightiest_topic_name_in_the_question(question: str, focus: str) -> None:
    assert FINDER.find(question, weight, min_weight=3.0) == focus


def test_analysis_carries_the_focus() -> None:
    analysis = analyse("what causes a charley horse?", FINDER)
    assert (analysis.type, analysis.focus) == ("cause", "Muscle cramps")
    assert analyse("what causes a charley horse?").focus is None


def test_analysis_carries_every_topic_the_question_names_focus_first() -> None:
    analysis = analyse("charley horse in my breast cancer treatment", FINDER, weight)
    assert analysis.subjects == ("Muscle cramps", "Breast cancer")  # the weightier name first
    assert analysis.focus == analysis.subjects[0]
    # A name too common to name a subject alone is left out with `min_weight`, as the focus is.
    assert analyse("pregnancy and a charley horse", FINDER, weight, 3.0).subjects == (
        "Muscle cramps",
    )
    assert analyse("what helps a headache?", FINDER, weight).subjects == ()
    assert analyse("what causes a charley horse?").subjects == ()  # no topics to name


@given(st.text(max_size=300))
def test_focus_never_raises(text: str) -> None:
    found = FINDER.find(text, lambda term: math.log(2 + len(term)))
    assert found is None or isinstance(found, str)


# --- The focus the way readers name it --------------------------------------------------------

READERS = FocusFinder.build(
    [
        topic("Leg cramps", "nocturnal leg cramps"),
        topic("Pregnancy"),
        topic("Gastroesophageal reflux disease", "GERD", "acid reflux"),
        topic("Pneumonia"),
        topic("Irritable bowel syndrome", "IBS"),
    ]
)
SPELLER = Speller(terms("leg cramps pregnancy pneumonia reflux bowel"), STRICT)


def readers_focus(question: str) -> Analysis:
    return analyse(question, READERS, weight, min_weight=3.0, correct=SPELLER.correct)


@pytest.mark.parametrize(
    ("question", "focus", "words"),
    [
        ("do nocturnal leg cramps run in families?", "Leg cramps", "nocturnal leg cramps"),  # alias
        ("cramps in my legs every night", "Leg cramps", "cramps legs"),  # any order
        ("heartburn at night?", "Gastroesophageal reflux disease", "heartburn"),  # everyday
        ("atypical pneumonia. will it come back?", "Pneumonia", "atypical pneumonia"),  # qualified
        ("my dad has IBS and faints", "Irritable bowel syndrome", "ibs"),  # an acronym
    ],
)
def test_focus_as_readers_name_it(question: str, focus: str, words: str) -> None:
    analysis = readers_focus(question)
    assert (analysis.focus, analysis.focus_words) == (focus, words)
    assert analysis.focus_terms == tuple(terms(words))


def test_a_misspelt_focus_is_read_as_the_speller_corrects_it() -> None:
    analysis = readers_focus("how long does pnuemonia last?")
    assert (analysis.focus, analysis.focus_words) == ("Pneumonia", "pnuemonia")
    assert analysis.focus_terms == ("pneumonia",)
    assert analyse("how long does pnuemonia last?", READERS).focus is None  # without a speller


def test_the_subject_wins_over_what_is_merely_mentioned() -> None:
    # Pregnancy is who the question is about (its population), leg cramps what it asks about.
    asked = readers_focus("I'm 34 weeks pregnant, why do my legs cramp at night? pregnancy")
    assert (asked.focus, asked.population, asked.type) == ("Leg cramps", "pregnancy", "cause")
    # The subject line names the subject; a later sentence mentions something else.
    assert readers_focus("pneumonia. I also get heartburn").focus == "Pneumonia"
    assert readers_focus("heartburn. I had pneumonia last year").focus == (
        "Gastroesophageal reflux disease"
    )


def test_without_a_topic_the_focus_is_the_subject_line() -> None:
    analysis = readers_focus("Letrozole. Why am I prescribed it?")
    assert (analysis.focus, analysis.focus_words) == (None, "letrozole")
    assert analysis.terms == tuple(terms("Letrozole. Why am I prescribed it?"))


def test_a_short_common_word_is_not_spelt_into_a_topic() -> None:
    speller = Speller(terms("senile dementia"), STRICT)
    finder = FocusFinder.build([topic("Senile dementia")], everyday=None)
    found = analyse("i am sunil from india", finder, correct=speller.correct)
    assert found.focus is None


@pytest.mark.parametrize(
    ("question", "types"),
    [
        # a sentence that asks comes before the story around it
        ("I was diagnosed with gout last year. How is it treated?", ("treatment",)),
        ("A scan showed a cyst. Why does it hurt?", ("cause", "diagnosis")),
        ("how can I get my white blood cell count higher", ("treatment",)),
        ("please send me literature on osteoporosis", ("information",)),
        ("what is lupus?", ("information",)),
        ("is yawning contagious?", ()),
    ],
)
def test_type_labels(question: str, types: tuple[str, ...]) -> None:
    assert analyse(question).types == types


def test_serving_code_loads_no_evaluation_or_training_code() -> None:
    serving = (
        "healthqa.questions healthqa.answers healthqa.search healthqa.rerank healthqa.library "
        "healthqa.web.app"
    )
    script = (
        f"import sys, importlib; [importlib.import_module(m) for m in {serving.split()!r}]; "
        "print(sorted(m for m in sys.modules if m.startswith(('healthqa.evaluate', "
        "'healthqa.tune', 'healthqa.training'))))"
    )
    env = {**os.environ, "HEALTHQA_EMBEDDING_MODEL": "none"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@given(st.text(max_size=300))
def test_the_analysis_never_raises_and_keeps_the_questions_terms(text: str) -> None:
    analysis = readers_focus(text)
    assert analysis.terms == tuple(terms(text))
    assert analysis.focus is None or isinstance(analysis.focus, str)
    assert len(analysis.focus_terms) == len(analysis.focus_words.split())


def test_a_long_subject_line_without_a_topic_is_narrowed_to_its_rarest_words() -> None:
    question = "I have been battling anal fissure for two years now and it refused to heal"
    rare = {stem: 4.0 for stem in terms("anal fissure")}
    analysis = analyse(question, READERS, lambda term: rare.get(term, 0.1), 0.0)
    assert (analysis.focus, analysis.focus_words) == (None, "anal fissure")
    assert analyse(question).focus_words == "battling anal fissure two years refused"  # no weights
