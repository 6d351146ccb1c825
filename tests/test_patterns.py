"""The urgent-symptom rules' word patterns (healthqa.patterns), on their own."""

import pytest

from healthqa.patterns import BREAK, Negation, Past, RulesError, literal_words, matcher, mend
from healthqa.text import SLIP, Speller

NO_NEGATION = Negation(frozenset(), 4, frozenset(), frozenset({BREAK}))
NEGATION = Negation(frozenset({"no", "not"}), 4, frozenset({"stop"}), frozenset({BREAK}))


def words(text: str) -> str:
    """Text as the rules read it: words joined by single spaces, with a space at each end."""
    return " " + " ".join(text.lower().replace(",", " .").replace("?", " .").split()) + " "


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        ("chest ... pain|tight*", "my chest feels really tight", True),
        ("chest ... pain|tight*", "my chest is fine but my legs are very very tight", False),
        ("chest ~ pain", "pain spreading from his chest", True),
        ("chest ~ pain", "chest pain", True),
        ("fever ... #", "fever of 39.5 since lunch", True),
        ("stroke ... #year", "stroke in 2015", True),
        ("stroke ... #year", "stroke in 3015", False),
        ("blue_lips", "his blue lips", True),
        ("blue_lips", "his lips are blue", False),
        ("lips ... blue", "her lips look blue", True),
        ("all_over rash", "an all over rash", True),
    ],
)
def test_patterns_match_words_in_order_or_either_order(
    pattern: str, text: str, found: bool
) -> None:
    assert matcher([pattern], None, "test").found(words(text), NO_NEGATION) is found


def test_unless_cancels_an_overlapping_match_only() -> None:
    bleeding = matcher(["bleed*"], ["bleed* gums"], "test")
    assert not bleeding.found(words("bleeding gums when I brush"), NO_NEGATION)
    assert bleeding.found(words("bleeding gums and bleeding that will not stop"), NO_NEGATION)


def test_a_negation_cue_in_the_same_clause_cancels_a_match() -> None:
    bleeding = matcher(["bleed*"], None, "test")
    assert not bleeding.found(words("no bleeding at all"), NEGATION)
    assert bleeding.found(words("no pain, bleeding heavily"), NEGATION)  # another clause
    assert bleeding.found(words("cannot stop the bleeding"), NEGATION)  # "stop" after the cue


def test_a_marker_of_the_past_nearby_cancels_a_match() -> None:
    past = Past(matcher(["in #year", "years ago"], None, "past"), frozenset({BREAK}))
    stroke = matcher(["stroke"], None, "test")
    assert not stroke.found(words("i had a stroke in 2015"), NO_NEGATION, past)
    assert stroke.found(words("i think he is having a stroke"), NO_NEGATION, past)
    assert stroke.found(words("i broke my arm years ago, now a stroke?"), NO_NEGATION, past)


def test_a_one_letter_slip_in_a_long_word_is_mended() -> None:
    near = Speller(["seizure", "unconscious"], SLIP)
    assert mend("siezure", {}, near) == "seizure"  # two letters swapped
    assert mend("unconcious", {}, near) == "unconscious"  # one missing
    assert mend("bleading", {"bleading": "bleeding"}, near) == "bleeding"  # listed
    assert mend("seizing", {}, near) == "seizing"  # not a slip of a rules' word
    assert mend("sezure", {}, Speller([], SLIP)) == "sezure"  # no vocabulary, nothing to mend to


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("... pain", "must start and end with a word"),
        ("chest ~ pain ~ arm", "one '~' at most"),
        ("hu* pain", "a word beginning needs 3 letters"),
        ("chest (pain)", "cannot read"),
    ],
)
def test_a_bad_pattern_is_an_error_that_names_it(pattern: str, problem: str) -> None:
    with pytest.raises(RulesError, match=problem) as error:
        matcher([pattern], None, "rules.yaml: rule 'x': patterns")
    assert "rule 'x'" in str(error.value)


def test_literal_words_are_a_patterns_words() -> None:
    assert literal_words(["chest ... pain|tight*", "all_over rash"]) == {
        "chest",
        "pain",
        "all",
        "over",
        "rash",
    }
