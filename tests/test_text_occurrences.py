from healthqa.text import Occurrence, occurrences, terms


def test_words_are_found_by_their_index_term() -> None:
    text = "Leg cramps at night; the legs cramped again."
    found = occurrences(text, set(terms("cramping legs")))
    assert [text[o.start : o.end] for o in found] == ["Leg", "cramps", "legs", "cramped"]
    assert found[0] == Occurrence(0, 3, "leg")


def test_stop_words_and_nothing_wanted_find_nothing() -> None:
    assert occurrences("The leg.", {"leg"}) == [Occurrence(4, 7, "leg")]
    assert occurrences("The leg.", set()) == []
