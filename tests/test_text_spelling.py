from collections import Counter

from healthqa.text import SLIP, STRICT, Speller, WrittenWords, terms

SPELLER = Speller(
    (
        term
        for title in (
            "How should Gabapentin be used?",
            "What are the side effects of Ciprofloxacin?",
            "How is Hydralazine taken?",
            "What is diabetes?",
        )
        for term in terms(title)
    ),
    STRICT,
)


def test_misspelt_medicine_names_are_corrected() -> None:
    assert SPELLER.correct(terms("Gabamentine")[0]) == "gabapentin"
    assert SPELLER.correct(terms("Hydrslazine")[0]) == "hydralazin"


def test_known_short_and_distant_words_are_left_alone() -> None:
    assert SPELLER.correct("diabet") is None  # known
    assert SPELLER.correct("gaba") is None  # too short to guess
    assert SPELLER.correct("zebra") is None  # nothing close
    assert SPELLER.correct("12345") is None


def test_corrections_keep_the_first_letter() -> None:
    speller = Speller(Counter({"pain": 3, "rain": 1, "migraine": 2}), STRICT)
    assert speller.correct("nigraine") is None
    assert speller.correct("migrane") == "migraine"


def test_a_word_the_articles_use_is_never_corrected() -> None:
    titles = Counter({"cush": 2, "syndrom": 2, "calv": 1, "gabapentin": 1})
    used = {"crush": 4, "calv": 3}  # article text: "crushing chest pain", "calves"
    speller = Speller(titles, STRICT, lambda term: used.get(term, 0) >= 3)
    assert speller.correct("crush") is None
    assert Speller(titles, STRICT).correct("crush") == "cush"  # what titles alone would do
    assert speller.correct("gabapentn") == "gabapentin"  # a real misspelling still is


def test_the_closest_written_word_is_suggested() -> None:
    words = WrittenWords(["What causes leg cramps?", "Mastitis", "Heartburn in pregnancy"])
    assert words.closest("crmps") == "cramps"
    assert words.closest("hartburn") == "heartburn"
    assert words.closest("zzzzzz") is None
    assert "mastitis" in words.known


def test_a_slip_is_one_letter_missing_added_or_swapped_never_changed() -> None:
    speller = Speller(["choking", "seizure", "seizures", "spasms", "unconscious"], SLIP)
    assert speller.correct("siezure") == "seizure"  # two letters swapped
    assert speller.correct("unconcious") == "unconscious"  # one missing
    assert speller.correct("seizuure") == "seizure"  # one added
    assert speller.correct("cooking") is None  # a changed letter: another real word
    assert speller.correct("seizures") is None  # a word of the vocabulary
    assert speller.correct("siezur") is None  # swapped and missing: two slips
    assert speller.correct("spams") is None  # too short to mend


def test_of_words_equally_near_the_first_is_taken() -> None:
    assert Speller(["fainted", "fainter"], SLIP).correct("fainte") == "fainted"
    assert Speller(["fainter", "fainted"], SLIP).correct("fainte") == "fainter"
