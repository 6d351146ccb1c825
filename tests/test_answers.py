import pytest

from healthqa.answers import MIN_CONFIDENCE, Passage, ask, best_passage, blocks_of
from healthqa.imports import import_paths
from healthqa.index.lexical import LexicalIndex
from healthqa.index.sync import sync
from healthqa.search import Search
from healthqa.store import Store

BODY = (
    "<p>Hiccups are sudden tightenings of the diaphragm.</p>"
    "<h2>Why they happen</h2>"
    "<p>Several things can cause them:</p>"
    "<ol><li>eating too fast</li><li>fizzy drinks</li><li>sudden excitement</li></ol>"
    "<h2>What helps</h2><p>Sipping cold water helps many people.</p>"
)


def test_blocks_keep_their_section_heading() -> None:
    blocks = blocks_of(BODY)
    assert [(b.kind, b.heading) for b in blocks] == [
        ("p", ""),
        ("p", "Why they happen"),
        ("ol", "Why they happen"),
        ("p", "What helps"),
    ]
    assert blocks[2].items == ("eating too fast", "fizzy drinks", "sudden excitement")


def test_a_cause_question_quotes_the_list_of_causes_with_its_introduction(
    store: Store,
) -> None:
    from test_store import article

    (article_id,) = store.save_batch(
        [article("h", "What causes hiccups?", body_html=BODY)], "t", "r"
    ).article_ids
    weights = {"caus": 1.0, "hiccup": 1.0}
    passage, _ = best_passage(store.get_article(article_id), weights, ("cause",))
    assert passage == Passage(
        "Several things can cause them:",
        ("eating too fast", "fizzy drinks", "sudden excitement"),
    )
    passage, _ = best_passage(store.get_article(article_id), {"water": 1.0}, ("treatment",))
    assert passage == Passage("Sipping cold water helps many people.")


@pytest.fixture
def search(store: Store, fixtures) -> Search:  # type: ignore[no-untyped-def]
    import_paths(store, [str(fixtures / "markdown")])
    index = LexicalIndex()
    sync(store, index)
    return Search(store, index)


def test_ask_quotes_cites_and_dates(search: Search) -> None:
    result = ask(search, "what causes a sore throat?")
    assert not result.no_answer
    best = result.answers[0]
    assert best.title == "What causes a sore throat?"
    assert best.source == "Tiny Clinic" and best.last_reviewed == "2026-01-10"
    assert best.confidence >= MIN_CONFIDENCE
    article_text = search.store.get_article(best.article_id).body_text
    for passage in best.passages:  # quoted verbatim, never written by healthqa
        for piece in (passage.text, *passage.items):
            assert piece in article_text
    assert result.analysis.type == "cause"
    data = result.to_dict()
    assert {"answers", "no_answer", "analysis"} <= set(data)
    assert {"article_id", "title", "passages", "confidence", "source_url"} <= set(
        data["answers"][0]
    )


def test_the_focus_is_found_among_the_topics(search: Search) -> None:
    assert ask(search, "is pharyngitis catching?").analysis.focus == "Throat problems"
    assert ask(search, "what causes a sore throat?").analysis.focus is None  # no topic says so


def test_no_good_answer_is_said_plainly(search: Search) -> None:
    result = ask(search, "how do I replace a car gearbox")
    assert result.no_answer
    assert ask(search, "").no_answer


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        '"unclosed quote sore throat',
        "throat AND (sore OR NOT) title:x +y -z ~2 ^3 * ? [1 TO 5]",
        "🤒🤒 sore throat?",
        "!?.,;:" * 1700,
        "throat " * 5000,
        "\x00\x1f\ud800",
        "<script>alert(1)</script> sore throat",
    ],
)
def test_ask_never_raises(search: Search, text: str) -> None:
    result = ask(search, text)
    assert isinstance(result.no_answer, bool)
    assert result.to_dict()["question"] == text
