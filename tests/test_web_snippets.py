from healthqa.web.snippets import snippet

TEXT = (
    "Leg cramps are sudden, painful tightenings of a muscle. They often happen at night. "
    + "Filler words that say nothing about the question at all. " * 10
    + "Pregnancy raises the risk of a blood clot in the leg, called a deep vein thrombosis."
)


def test_the_window_with_most_searched_words_is_chosen_and_marked() -> None:
    found = snippet(TEXT, "blood clots in my legs")
    assert found.startswith("...") and not found.startswith("...Leg")
    assert "<mark>blood</mark> <mark>clot</mark>" in found
    assert "<mark>leg</mark>" in found


def test_words_match_by_their_analysis() -> None:
    assert "<mark>cramps</mark>" in snippet(TEXT, "cramping")
    assert "<mark>The</mark>" not in snippet("The leg.", "the leg")


def test_text_is_escaped_and_only_marks_are_markup() -> None:
    found = snippet('<b onclick="x">cramps</b> & more', "cramps")
    assert found == "&lt;b onclick=&quot;x&quot;&gt;<mark>cramps</mark>&lt;/b&gt; &amp; more"


def test_long_text_is_cut_at_a_word_and_short_text_is_whole() -> None:
    found = snippet(TEXT, "")
    assert found.endswith("...") and len(found) <= 230
    assert snippet("Short text.", "nothing") == "Short text."
