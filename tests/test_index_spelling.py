from collections import Counter

from healthqa.index.analysis import terms
from healthqa.index.spelling import Speller

SPELLER = Speller.from_texts(
    terms(title)
    for title in (
        "How should Gabapentin be used?",
        "What are the side effects of Ciprofloxacin?",
        "How is Hydralazine taken?",
        "What is diabetes?",
    )
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
    speller = Speller(Counter({"pain": 3, "rain": 1, "migraine": 2}))
    assert speller.correct("nigraine") is None
    assert speller.correct("migrane") == "migraine"
