from healthqa.web.spelling import Words


def test_the_closest_title_word_is_suggested() -> None:
    words = Words(["What causes leg cramps?", "Mastitis", "Heartburn in pregnancy"])
    assert words.closest("crmps") == "cramps"
    assert words.closest("hartburn") == "heartburn"
    assert words.closest("zzzzzz") is None
    assert "mastitis" in words.known
