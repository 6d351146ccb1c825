from healthqa.text import terms, words


def test_analysis_stems_folds_and_drops_question_phrasing() -> None:
    assert words("Café—CRAMPS! naïve über") == ["cafe", "cramps", "naive", "uber"]
    assert terms("Hello, I would like to know why my legs are cramping at night") == [
        "leg",
        "cramp",
        "night",
    ]
