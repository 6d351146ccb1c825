import pytest
from test_store import article

from healthqa.index.lexical import LexicalIndex
from healthqa.index.sync import sync
from healthqa.search import Search, baseline_query, question_query
from healthqa.store import Store


@pytest.fixture
def search(store: Store) -> Search:
    store.save_batch(
        [
            article("a", "What are the side effects of ciprofloxacin?", body="Nausea and rash."),
            article("b", "How are leg cramps treated?", body="Stretch the calf muscle gently."),
            article("c", "What is a yawn?", body="A deep breath in, often when tired."),
        ],
        "t",
        "r",
    )
    index = LexicalIndex()
    sync(store, index)
    return Search(store, index)


def test_misspelt_medicine_names_still_match(search: Search) -> None:
    (result,) = search.results("does ciprofaxin cause rash")[:1]
    assert result.article.external_id == "a"


def test_question_phrasing_is_not_searched(search: Search) -> None:
    query = question_query("Hello, I would like to know about leg cramps please", search.speller)
    assert set(query.terms) == {"leg", "cramp"}
    assert set(baseline_query("I would like to know about leg cramps").terms) >= {"like", "know"}


def test_repeated_words_count_a_little_more(search: Search) -> None:
    query = question_query("cramps cramps cramps cramps legs", search.speller)
    assert query.terms == {"cramp": 1.5, "leg": 1.0}


@pytest.mark.parametrize(
    "text",
    [
        "",
        '"unclosed quote',
        "leg AND (cramps OR NOT) title:x +y -z ~2 ^3 * ? [1 TO 5]",
        "🤰🦵💥 cramps",
        "!?.,;:" * 1700,  # about 10 kB of punctuation
        "cramp " * 5000,
        "\x00\x1f\ud800",
    ],
)
def test_no_input_raises(search: Search, text: str) -> None:
    results = search.results(text)
    assert isinstance(results, list)
    assert search.hits(text, baseline=True) is not None


def test_everyday_words_find_the_medical_article(search: Search) -> None:
    (first, *_) = search.results("what do I do about a charley horse")
    assert first.article.external_id == "b"


def test_a_page_of_results_comes_with_the_total(search: Search) -> None:
    first, total = search.page("cramps ciprofloxacin yawn", limit=2)
    second, again = search.page("cramps ciprofloxacin yawn", limit=2, offset=2)
    assert (total, again, len(first), len(second)) == (3, 3, 2, 1)
    found = {r.article.external_id for r in first + second}
    assert found == {"a", "b", "c"}
    assert search.page("", limit=2) == ([], 0)


def test_a_word_of_the_articles_text_is_not_taken_for_a_misspelt_title(store: Store) -> None:
    chest = "Crushing chest pain that spreads to the arm can be a heart attack."
    store.save_batch(
        [
            article("h", "What are the symptoms of a heart attack?", body=chest),
            article("p", "When is chest pain serious?", body=f"Sudden {chest}"),
            article("e", "What should I do if I have chest pain?", body=chest),
            article("c", "What is Cushing's syndrome?", body="Too much cortisol."),
        ],
        "t",
        "r",
    )
    index = LexicalIndex()
    sync(store, index)
    found = Search(store, index).results("crushing chest pain, left arm numb")
    assert "c" not in {result.article.external_id for result in found}
