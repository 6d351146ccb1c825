from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from test_store import article

from healthqa.articles import CleanArticle, Link, TopicRecord, title_key
from healthqa.imports import import_paths
from healthqa.index.lexical import LexicalIndex
from healthqa.index.sync import sync
from healthqa.recommend import (
    CONTENT_FIELDS,
    Related,
    also_about,
    content_query,
    neighbours,
    question_type_rank,
    related,
    related_teaser,
)
from healthqa.store import Store
from healthqa.text import terms

DEMO = Path(__file__).resolve().parents[1] / "healthqa" / "demo"

HICCUPS = TopicRecord("Hiccups", ("Singultus",))
YAWNING = TopicRecord("Yawning")
BABIES = TopicRecord("Baby care")
SUNBURN = TopicRecord("Sunburn")

Site = tuple[Store, LexicalIndex, dict[str, int]]

DIAPHRAGM = "The diaphragm muscle jerks and the vocal cords snap shut with a hic sound."


def hiccups_corpus() -> list[CleanArticle]:
    """A tiny corpus: four hiccups questions, a yawn, newborn hiccups and sunburn."""
    return [
        article(
            "cause",
            "What causes hiccups?",
            body=f"Eating fast or swallowing air can set off hiccups. {DIAPHRAGM}",
            topic=HICCUPS,
            question_type="causes",
            links=(Link("related", "Why do we yawn?"), Link("next", "Are hiccups serious?")),
        ),
        article(
            "info",
            "What are hiccups?",
            body=f"Hiccups are sudden jerks of the diaphragm. {DIAPHRAGM}",
            topic=HICCUPS,
            question_type="information",
        ),
        article(
            "stop",
            "How do I stop hiccups?",
            body="Hold your breath or sip cold water slowly until the hiccups stop.",
            topic=HICCUPS,
            question_type="treatment",
        ),
        article(
            "serious",
            "Are hiccups serious?",
            body="Hiccups that last more than two days need a doctor to look for a cause.",
            topic=HICCUPS,
            question_type="outlook",
        ),
        article(
            "yawn",
            "Why do we yawn?",
            body="Nobody is sure. A yawn may cool the brain when you are tired or bored.",
            topic=YAWNING,
            question_type="causes",
        ),
        article(
            "babies",
            "Hiccups in newborn babies",
            body=f"Newborn babies get hiccups after feeds. {DIAPHRAGM} They are harmless.",
            topic=BABIES,
            question_type="information",
        ),
        article(
            "sunburn",
            "How do I treat sunburn?",
            body="Cool the red skin with a damp towel, drink plenty and stay in the shade.",
            topic=SUNBURN,
            question_type="treatment",
        ),
    ]


@pytest.fixture
def site(store: Store) -> Iterator[Site]:
    batch = hiccups_corpus()
    ids = store.save_batch(batch, "t", "r").article_ids
    store.resolve_links()
    index = LexicalIndex()
    sync(store, index)
    yield store, index, {a.external_id: i for a, i in zip(batch, ids, strict=True)}


def by_id(found: list[Related]) -> dict[int, Related]:
    return {r.article_id: r for r in found}


def test_imported_related_links_come_first_with_their_reason(site: Site) -> None:
    store, index, ids = site
    found = related(store, index, ids["cause"])
    assert found[0].article_id == ids["yawn"]
    assert found[0].reason == "linked from the page"
    assert found[0].score > max(r.score for r in found[1:])


def test_same_topic_articles_show_the_topic_other_question_types_first(site: Site) -> None:
    store, index, ids = site
    found = by_id(related(store, index, ids["cause"]))
    for key in ("info", "stop", "serious"):
        assert found[ids[key]].reason == "same topic: Hiccups"
    same_type = article(
        "cause2",
        "What triggers hiccups?",
        body="Fizzy drinks.",
        topic=HICCUPS,
        question_type="causes",
    )
    store.save_batch([same_type], "t", "r")
    sync(store, index)
    found_list = related(store, index, ids["cause"])
    titles = [r.title for r in found_list]
    assert titles.index("What triggers hiccups?") > titles.index("How do I stop hiccups?")


def test_a_similar_article_from_another_topic_says_what_it_is_also_about(site: Site) -> None:
    store, index, ids = site
    found = by_id(related(store, index, ids["cause"]))
    assert found[ids["babies"]].reason == "also about hiccups"
    assert ids["sunburn"] not in found
    assert ids["cause"] not in found


def test_pins_come_first_and_exclusions_never_appear(site: Site) -> None:
    store, index, ids = site
    a = ids["cause"]
    store.set_related_override(a, ids["sunburn"], "pin", "editor", "seasonal")
    store.set_related_override(a, ids["serious"], "pin", "editor", "worried readers")
    store.set_related_override(a, ids["babies"], "exclude", "editor", "different audience")
    found = related(store, index, a)
    assert [r.article_id for r in found[:2]] == [ids["sunburn"], ids["serious"]]
    assert found[0].reason == "picked by an editor"
    assert ids["babies"] not in by_id(found)
    assert len(found) == len(set(by_id(found)))


def test_editors_choices_survive_reimports(site: Site) -> None:
    store, index, ids = site
    a = ids["cause"]
    store.set_related_override(a, ids["sunburn"], "pin", "editor", "seasonal")
    store.set_related_override(a, ids["babies"], "exclude", "editor", "different audience")
    store.save_batch(hiccups_corpus(), "import", "same again")
    changed = [
        article(x.external_id, x.title, body=x.body_text + " Updated.", topic=x.topic,
                question_type=x.question_type, links=x.links)
        for x in hiccups_corpus()
    ]  # fmt: skip
    result = store.save_batch(changed, "import", "changed")
    assert result.updated == len(changed)
    store.resolve_links()
    sync(store, index)
    found = related(store, index, a)
    assert found[0].article_id == ids["sunburn"]
    assert ids["babies"] not in by_id(found)
    assert found[1].reason == "linked from the page"


def test_retired_articles_never_appear(site: Site) -> None:
    store, index, ids = site
    a = ids["cause"]
    store.set_related_override(a, ids["stop"], "pin", "editor", "useful")
    for key in ("yawn", "stop", "babies"):
        store.set_status(ids[key], "retired", "editor", "outdated")
    # The index has not seen the retirements yet: related must not trust it.
    found = by_id(related(store, index, a))
    assert not {ids["yawn"], ids["stop"], ids["babies"]} & set(found)
    sync(store, index)
    assert not {ids["yawn"], ids["stop"], ids["babies"]} & set(by_id(related(store, index, a)))


def test_related_articles_show_their_own_teasers(site: Site) -> None:
    """The teaser cleaning made (the first sentence, never a heading: tests/test_clean.py)."""
    store, index, ids = site
    for item in related(store, index, ids["cause"]):
        assert item.teaser == store.get_article(item.article_id).teaser
    assert related_teaser("Short and whole.") == "Short and whole."


def test_results_are_deterministic_and_limited(site: Site) -> None:
    store, index, ids = site
    first = related(store, index, ids["cause"])
    assert first == related(store, index, ids["cause"])
    assert related(store, index, ids["cause"], limit=2) == first[:2]
    assert related(store, index, ids["cause"], limit=0) == []


def test_content_query_weighs_title_and_distinctive_body_terms(site: Site) -> None:
    store, index, ids = site
    query = content_query(store.get_article(ids["babies"]), index)
    assert query.fields == CONTENT_FIELDS
    assert query.terms[terms("hiccups")[0]] == 1.5  # in the title and the body
    assert query.terms[terms("newborn")[0]] == 1.0  # only this article's body: no use
    assert query.terms[terms("diaphragm")[0]] == 0.5
    assert terms("harmless")[0] not in query.terms


def test_previous_and_next_follow_imported_links(site: Site) -> None:
    store, _, ids = site
    around = neighbours(store, ids["cause"])
    assert around.next is not None and around.next.article_id == ids["serious"]
    assert around.next.reason == "linked from the page"
    assert around.previous is None  # the page gave its chain: no previous means the first


def test_previous_and_next_follow_the_topic_order_without_links(site: Site) -> None:
    store, _, ids = site
    # information, causes, treatment, outlook
    first = neighbours(store, ids["info"])
    assert first.previous is None
    assert first.next is not None and first.next.article_id == ids["cause"]
    assert first.next.reason == "same topic: Hiccups"
    middle = neighbours(store, ids["stop"])
    assert middle.previous is not None and middle.previous.article_id == ids["cause"]
    assert middle.next is not None and middle.next.article_id == ids["serious"]
    assert neighbours(store, ids["serious"]).next is None
    assert neighbours(store, ids["yawn"]) == neighbours(store, ids["yawn"])
    assert neighbours(store, ids["yawn"]).previous is None


def test_retired_link_targets_give_way_to_the_topic_order(site: Site) -> None:
    store, _, ids = site
    store.set_status(ids["serious"], "retired", "editor", "outdated")
    around = neighbours(store, ids["cause"])
    assert around.next is not None and around.next.article_id == ids["stop"]


def test_question_types_order_what_is_causes_symptoms_then_others() -> None:
    names = ["outlook", "information", "something else", "Exams and Tests", "cause", "symptoms"]
    ordered = sorted(names, key=question_type_rank)
    assert ordered == [
        "information", "cause", "symptoms", "Exams and Tests", "outlook", "something else",
    ]  # fmt: skip
    assert question_type_rank(None) == question_type_rank("self-care")


def test_also_about_names_the_longest_shared_run_of_words() -> None:
    late = "What causes leg cramps in late pregnancy?"
    assert also_about(late, "How can I ease leg cramps in pregnancy?") == "leg cramps"
    assert also_about(late, "Is it safe to exercise in pregnancy?") == "pregnancy"
    assert also_about(late, "What causes hiccups?") == ""


@pytest.mark.slow
def test_demo_content_has_neighbours_and_a_full_related_list(store: Store) -> None:
    import_paths(store, [str(DEMO)], workers=0)
    index = LexicalIndex()
    sync(store, index)
    (cramps,) = [
        a for a in store.iter_articles() if a.title == "What causes leg cramps in late pregnancy?"
    ]
    around = neighbours(store, cramps.id)
    assert around.previous is None  # first of its topic's chain on the page
    assert around.next is not None
    assert around.next.title == "How can I ease leg cramps in pregnancy?"
    back = neighbours(store, around.next.article_id).previous
    assert back is not None and back.article_id == cramps.id
    found = related(store, index, cramps.id)
    assert len(found) >= 10
    assert found[0].title == "How can I ease leg cramps in pregnancy?"
    assert all(0 < len(r.teaser) <= 53 for r in found)


def test_the_same_question_is_related_once_and_never_to_itself(site: Site) -> None:
    store, index, ids = site
    copies = [
        article(f"info-{n}", "What are Hiccups ?", body=f"Hiccups, part {n}.", topic=HICCUPS)
        for n in (2, 3)
    ]
    copies.append(article("serious-2", "Are hiccups serious", body="Rarely.", topic=HICCUPS))
    store.save_batch(copies, "t", "r")
    sync(store, index)
    titles = [r.title.casefold().rstrip(" ?") for r in related(store, index, ids["info"])]
    assert "what are hiccups" not in titles  # its own question: "also from", not related
    assert titles.count("are hiccups serious") == 1
    others = store.same_question(ids["info"])
    assert [o.title for o in others] == ["What are Hiccups ?", "What are Hiccups ?"]
    assert {o.source for o in others} == {"Tiny"}


def test_next_never_leads_to_the_same_question(site: Site) -> None:
    store, _, ids = site
    copy = article("cause-2", "What causes hiccups", body="Air.", topic=HICCUPS)
    (copy_id,) = store.save_batch([replace(copy, question_type="causes")], "t", "r").article_ids
    after_info, after_copy = neighbours(store, ids["info"]).next, neighbours(store, copy_id).next
    assert after_info is not None and after_info.article_id == copy_id  # one of the two, first
    assert after_copy is not None and after_copy.title == "How do I stop hiccups?"
    for each in store.list_articles():
        around = neighbours(store, each.id)
        for side in (around.previous, around.next):
            assert side is None or title_key(side.title) != title_key(each.title)
