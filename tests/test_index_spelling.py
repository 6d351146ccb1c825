from collections import Counter

from healthqa.index.spelling import Speller
from healthqa.text import terms

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


def test_a_word_the_articles_use_is_never_corrected() -> None:
    titles = Counter({"cush": 2, "syndrom": 2, "calv": 1, "gabapentin": 1})
    used = {"crush": 4, "calv": 3}  # article text: "crushing chest pain", "calves"
    speller = Speller(titles, lambda term: used.get(term, 0) >= 3)
    assert speller.correct("crush") is None
    assert Speller(titles).correct("crush") == "cush"  # what titles alone would do
    assert speller.correct("gabapentn") == "gabapentin"  # a real misspelling still is
