from pathlib import Path

import pytest

from healthqa.articles import Topic
from healthqa.index.vocabulary import CONSUMER_TERMS, EXPANSION_WEIGHT, Vocabulary, read_pairs
from healthqa.text import terms

MOLE = Topic(1, "hydatidiform-mole", "Hydatidiform mole", ["Molar pregnancy", "HM"], None)


def test_the_bundled_file_is_well_formed() -> None:
    pairs = read_pairs(CONSUMER_TERMS)
    assert len(pairs) >= 50
    assert ("charley horse", "muscle cramp") in pairs


def test_a_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "terms.tsv"
    path.write_text("# comment\nheartburn\tacid reflux\nno tab here\n")
    with pytest.raises(ValueError, match=r"terms.tsv:3: expected two phrases"):
        read_pairs(path)


def test_synonyms_and_everyday_words_expand_at_half_weight() -> None:
    vocabulary = Vocabulary.build([MOLE])
    added = vocabulary.expand(terms("is conception needed for a molar pregnancy"))
    assert added == dict.fromkeys(terms("hydatidiform mole"), EXPANSION_WEIGHT)
    added = vocabulary.expand(terms("I keep getting a charley horse"))
    assert set(added) == set(terms("muscle cramp"))


def test_loose_keys_are_not_used() -> None:
    vocabulary = Vocabulary.build([MOLE])
    assert vocabulary.expand(terms("HM")) == {}  # a 2-letter synonym is too loose a key


def test_a_reviewed_short_word_is_a_key_but_a_phrase_shrunk_to_one_is_not(tmp_path: Path) -> None:
    reviewed = tmp_path / "terms.tsv"
    reviewed.write_text("hives\turticaria\npassing out\tsyncope\n")
    synonyms = Topic(2, "urticaria", "Urticaria", ["Hives"], None)
    vocabulary = Vocabulary.build([], reviewed)
    assert vocabulary.expand(terms("itchy hives")) == {"urticaria": EXPANSION_WEIGHT}
    assert vocabulary.expand(terms("I pass my exams")) == {}  # "passing out" is not "pass"
    # The same short word harvested from a collection's synonyms is too loose a key.
    (tmp_path / "empty.tsv").write_text("")
    assert Vocabulary.build([synonyms], tmp_path / "empty.tsv").expand(terms("hives")) == {}


def test_alternatives_map_each_phrase_word() -> None:
    found = Vocabulary.build([]).alternatives(terms("a charley horse at night"))
    assert found == {term: set(terms("muscle cramp")) for term in terms("charley horse")}


def test_meanings_are_the_reviewed_medical_phrases_as_written_longest_phrase_first() -> None:
    vocabulary = Vocabulary.build([MOLE])
    assert vocabulary.meanings(terms("a charley horse in my calves and a sore throat")) == [
        "muscle cramp",
        "pharyngitis",
        "calf leg",
    ]
    # A topic's synonym widens the keywords, but is not what the semantic ranking needs.
    assert vocabulary.meanings(terms("a molar pregnancy")) == []
    assert vocabulary.expand(terms("a molar pregnancy"))
    assert vocabulary.meanings(terms("what is a yawn")) == []


def test_a_synonym_of_common_words_is_no_key() -> None:
    odd = Topic(3, "gsd6", "Glycogen storage disease type 6", ["Disease", "GSD 6"], None)
    vocabulary = Vocabulary.build([odd], common=lambda term: term == terms("disease")[0])
    assert vocabulary.expand(terms("is this disease serious")) == {}
    assert set(vocabulary.expand(terms("what is gsd 6"))) >= set(terms("glycogen storage"))
