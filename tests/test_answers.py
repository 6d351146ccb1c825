import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthqa.answers import (
    MIN_CONFIDENCE,
    UNNAMED_CEILING,
    Passage,
    ask,
    best_passage,
    blocks_of,
    confidence_label,
    leads_on,
)
from healthqa.articles import Article
from healthqa.imports import import_paths
from healthqa.index.lexical import LexicalIndex
from healthqa.index.sync import sync
from healthqa.search import Search, choose_ranking
from healthqa.store import Store, open_store

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
    assert {"answers", "no_answer", "advice", "urgency", "disclaimer"} <= set(data)
    assert {"article_id", "title", "passages", "confidence", "source_url", "url"} <= set(
        data["answers"][0]
    )
    assert data["answers"][0]["confidence_label"] in ("Good match", "Possible match")


def test_the_focus_is_found_among_the_topics(search: Search) -> None:
    assert ask(search, "is pharyngitis catching?").analysis.focus == "Throat problems"
    # An everyday name for a topic's "also called" name (healthqa/data/consumer-terms.tsv).
    assert ask(search, "what causes a sore throat?").analysis.focus == "Throat problems"
    assert ask(search, "what causes a hoarse voice?").analysis.focus is None  # nothing says so


def test_confidence_in_plain_words() -> None:
    assert confidence_label(1.0) == "Good match"
    assert confidence_label(0.5) == "Possible match"
    assert confidence_label(0.1) == "Weak match"


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


def _article(store: Store, body: str) -> Article:
    from test_store import article

    (article_id,) = store.save_batch(
        [article("a", "About asthma", body_html=body)], "t", "r"
    ).article_ids
    return store.get_article(article_id)


def test_a_list_travels_with_an_introduction_that_ends_mid_sentence(store: Store) -> None:
    body = (
        "<p>Asthma is common in children.</p>"
        "<p>Many things can cause asthma, including</p>"
        "<ul><li>pollen</li><li>cold air</li><li>smoke</li></ul>"
    )
    cause = {"caus": 1.0, "asthma": 1.0}
    passage, _ = best_passage(_article(store, body), cause)
    assert passage == Passage(
        "Many things can cause asthma, including", ("pollen", "cold air", "smoke")
    )
    passage, _ = best_passage(_article(store, body), {"pollen": 1.0})  # the list brings its intro
    assert passage.text == "Many things can cause asthma, including"


def test_an_introduction_brings_the_paragraphs_it_leads_into(store: Store) -> None:
    body = (
        "<p>Wheezing can have many other causes, such as</p>"
        "<p>a cold, a chest infection or hay fever.</p>"
        "<p>See a GP if it keeps coming back.</p>"
    )
    passage, _ = best_passage(_article(store, body), {"caus": 1.0, "wheez": 1.0})
    assert passage == Passage(
        "Wheezing can have many other causes, such as a cold, a chest infection or hay fever."
    )


def test_a_list_first_in_its_section_is_introduced_by_the_heading(store: Store) -> None:
    body = "<p>Asthma affects the airways.</p><h2>Symptoms of asthma</h2><ul><li>a wheeze</li></ul>"
    passage, _ = best_passage(_article(store, body), {"wheez": 1.0})
    assert passage == Passage("Symptoms of asthma", ("a wheeze",))


def test_a_passage_that_cannot_end_whole_is_never_quoted(store: Store) -> None:
    body = "<p>Inhalers help most people.</p><h2>Causes</h2><p>The causes of asthma include</p>"
    passage, _ = best_passage(_article(store, body), {"caus": 1.0, "asthma": 1.0})
    assert passage == Passage("Inhalers help most people.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Symptoms include:", True),
        ("many other causes, including", True),
        ("such as", True),
        ("Drink plenty of water.", False),
        ("Call 999 (emergency)", False),
        ("Ask your midwife", False),
        ("", False),
    ],
)
def test_leads_on(text: str, expected: bool) -> None:
    assert leads_on(text) is expected


_WORDS = st.sampled_from(["asthma", "causes", "include", "including", "pollen", "such", "as", "a"])
_ENDS = st.sampled_from([".", ":", ",", "", "!"])
_PARAGRAPH = st.builds(
    lambda w, e: f"<p>{' '.join(w)}{e}</p>", st.lists(_WORDS, min_size=1, max_size=6), _ENDS
)
_LIST = st.builds(
    lambda items: "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>",
    st.lists(_WORDS, min_size=1, max_size=3),
)
_HEADING = st.builds(lambda w: f"<h2>{w}</h2>", _WORDS)


@given(st.lists(st.one_of(_PARAGRAPH, _LIST, _HEADING), min_size=1, max_size=8))
def test_a_quoted_passage_never_ends_mid_sentence(blocks: list[str]) -> None:
    from test_store import article

    store = open_store(":memory:")
    try:
        (article_id,) = store.save_batch(
            [article("p", "About asthma", body_html="".join(blocks))], "t", "r"
        ).article_ids
        found = store.get_article(article_id)
    finally:
        store.close()
    passage, _ = best_passage(found, {"asthma": 1.0, "caus": 1.0, "pollen": 1.0})
    quotable = [b for b in blocks_of(found.body_html) if b.items or not leads_on(b.text)]
    if quotable:  # only an article made of unfinished sentences has nothing whole to quote
        assert passage.items or not leads_on(passage.text)


def test_the_same_question_from_two_sources_is_one_card(store: Store) -> None:
    from test_store import article

    body = "Hiccups are caused by a sudden tightening of the diaphragm."
    store.save_batch(
        [
            article("a", "What causes hiccups?", body=body),
            article("b", "What causes Hiccups ?", body=body, source="Other"),
            article("c", "What causes hiccups in babies?", body=f"In babies too: {body}"),
        ],
        "t",
        "r",
    )
    index = LexicalIndex()
    sync(store, index)
    result = ask(Search(store, index), "what causes hiccups", limit=3)
    assert len(result.answers) == 3  # the ranking keeps both: evaluation scores every article
    titles = [answer.title for answer in result.shown]
    assert len({t.casefold().rstrip(" ?") for t in titles}) == len(titles) == 2


def test_an_answer_about_a_topic_the_question_does_not_name_claims_less(
    store: Store,
) -> None:
    from test_store import article

    from healthqa.articles import TopicRecord

    store.save_batch(
        [
            article(
                "feeding",
                "Why do babies bring up milk after feeding?",
                body="Babies often bring up milk after feeding; hiccups after feeding are common.",
                topic=TopicRecord("Infant reflux"),
            ),
            article("hiccups", "What causes hiccups?", body="The diaphragm tightens suddenly."),
            article("plain", "Baby feeding and hiccups", body="Hiccups after feeding.", topic=None),
        ]
        + [  # others, so that "hiccups" is as rare a word as in a collection
            article(f"other{n}", f"How is {name} treated?", body=f"Rest helps {name}.", topic=None)
            for n, name in enumerate(("gout", "a sprain", "a cold", "acne", "a rash", "a stye"))
        ],
        "t",
        "r",
    )
    from healthqa.embedders import WordEmbedder
    from healthqa.index.vectors import VectorIndex

    index = LexicalIndex()
    sync(store, index)
    vectors = VectorIndex(store, WordEmbedder(), "title")
    vectors.sync()
    question = "my baby gets hiccups after feeding"
    for ranking in ("keywords", "hybrid"):
        search = Search(store, index, vectors)
        choose_ranking(search, ranking)
        result = ask(search, question, limit=3)
        assert result.analysis.subjects == ("Hiccups",)
        by_title = {answer.title: answer for answer in result.answers}
        reflux = by_title["Why do babies bring up milk after feeding?"]
        assert MIN_CONFIDENCE <= reflux.confidence <= UNNAMED_CEILING  # not named: "Possible"
        assert by_title["Baby feeding and hiccups"].confidence > UNNAMED_CEILING  # no topic


def _calibrated(search: Search) -> Search:
    """The same collection with a re-ranker whose retrieval model trusts an article whose title
    covers the question (a hand-set model through the real interface)."""
    from healthqa.embedders import WordEmbedder
    from healthqa.index.vectors import VectorIndex
    from healthqa.rerank import RETRIEVAL_FEATURES, Model, Reranker

    weights = [6.0 if name == "question_in_title" else 0.0 for name in RETRIEVAL_FEATURES]
    n = len(RETRIEVAL_FEATURES)
    retrieval = Model(RETRIEVAL_FEATURES, [0.0] * n, [1.0] * n, weights, -3.0)
    embedder = WordEmbedder()
    reranker = Reranker(
        retrieval, retrieval, embedder.model_id, "title", {}, retrieval, (1.0, 0.0), 0.45, 0.8
    )
    reranker.embedder = embedder
    vectors = VectorIndex(search.store, embedder, "title")
    vectors.sync()
    made = Search(search.store, search.index, vectors, reranker)
    choose_ranking(made, "reranked")  # chosen by setting: it is not the default
    return made


def test_with_a_trained_re_ranker_confidence_is_its_probability_and_orders_the_cards(
    search: Search,
) -> None:
    calibrated = _calibrated(search)
    assert calibrated.ranking == "reranked" and calibrated.calibrated
    question = "what causes a sore throat?"
    result = ask(calibrated, question)
    scores = {r.article.id: r.score for r in calibrated.results(question, 3)}
    assert [a.confidence for a in result.answers] == sorted(
        (a.confidence for a in result.answers), reverse=True
    )
    assert all(a.confidence == round(scores[a.article_id], 3) for a in result.answers)
    assert result.answers[0].title == "What causes a sore throat?"
    for card in result.to_dict()["answers"]:  # the re-ranker's own lines label the cards
        assert card["confidence"] >= 0.45
        good = card["confidence"] >= 0.8
        assert card["confidence_label"] == ("Good match" if good else "Possible match")
    declined = ask(calibrated, "how do I replace a car gearbox")
    assert declined.no_answer and declined.to_dict()["answers"] == []


def test_the_lines_of_a_label_can_be_given() -> None:
    assert confidence_label(0.5, 0.45, 0.8) == "Possible match"
    assert confidence_label(0.85, 0.45, 0.8) == "Good match"
    assert confidence_label(0.4, 0.45, 0.8) == "Weak match"
