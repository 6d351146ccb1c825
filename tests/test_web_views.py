import json
from pathlib import Path
from typing import Any

import pytest
from conftest import web_library
from lxml import html as lxml_html

from healthqa.answers import MIN_CONFIDENCE
from healthqa.store import NotFound
from healthqa.web import models, views
from healthqa.web.pages import long_date
from healthqa.web.site import Site


def test_labels_and_dates_read_well() -> None:
    assert views.question_type_label("when-to-see-a-doctor") == "When to see a doctor"
    assert views.question_type_label(None) == "Other questions"
    assert long_date("2026-11-01") == "1 November 2026"
    assert long_date(None) == "not stated"
    assert long_date("soon") == "soon"


def test_the_page_and_the_api_render_one_model(client: Any, demo_db: Path) -> None:
    site = Site(web_library(demo_db))
    page = views.article_page(site, "what-causes-leg-cramps-in-late-pregnancy", "https://x.org")
    assert isinstance(page, models.ArticlePage)
    assert page.canonical == "https://x.org/articles/what-causes-leg-cramps-in-late-pregnancy"
    assert "</script" not in views.jsonld(page, "https://x.org")
    api = client.get("/api/v1/articles/what-causes-leg-cramps-in-late-pregnancy").json()
    assert api == page.model_dump(mode="json") | {"canonical": api["canonical"]}
    html = lxml_html.fromstring(client.get(page.article.url).text)
    assert html.xpath("string(//h1)") == page.article.title
    assert html.xpath("//li[@class='next']/a/@href") == [page.next.url if page.next else None]
    with pytest.raises(NotFound):
        views.article_page(site, "9" * 30)
    with pytest.raises(views.BadInput):
        views.topics_index(site, "ab")
    site.close()


def test_empty_questions_get_empty_answers(demo_db: Path) -> None:
    site = Site(web_library(demo_db))
    assert views.search_page(site, "   ").results == []
    assert views.ask_page(site, " ").no_answer is True
    site.close()


@pytest.mark.parametrize(
    "question",
    [
        "What causes leg cramps in late pregnancy?",
        "how can I ease heartburn when I'm pregnant",
        "is it safe to dye my hair while pregnant",
        "how do I fix my car gearbox",
        "34 weeks pregnant, my calf is swollen and red and really hurts",
    ],
)
def test_the_page_the_api_and_the_cli_give_the_same_answers(
    client: Any, demo_db: Path, question: str
) -> None:
    """One answer, three renderings: same cards, order, labels and confidence everywhere."""
    from click.testing import CliRunner

    from healthqa.cli import main

    api = client.get("/api/v1/ask", params={"q": question}).json()
    cli = CliRunner().invoke(main, ["--db", str(demo_db), "ask", question, "--json"])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output) == api
    page = lxml_html.fromstring(client.get("/ask", params={"q": question}).text)
    cards = page.xpath("//article[@class='answer-card']")
    assert [
        (c.xpath("string(.//h3)"), c.xpath("string(.//dd[@class='confidence'])")) for c in cards
    ] == [(a["title"], a["confidence_label"]) for a in api["answers"]]
    text = CliRunner().invoke(main, ["--db", str(demo_db), "ask", question]).output
    shown = [line for line in text.splitlines() if line[:2].rstrip(".").isdigit()]
    assert shown == [
        f"{n}. {a['title']}  ({a['confidence_label']}, confidence {a['confidence']:.0%})"
        for n, a in enumerate(api["answers"], start=1)
    ]
    assert all(a["confidence"] >= MIN_CONFIDENCE for a in api["answers"])  # no weak cards
    assert api["no_answer"] is (not api["answers"])


def test_search_counts_what_it_shows_and_says_when_there_is_more(demo_db: Path) -> None:
    site = Site(web_library(demo_db))
    found = views.search_page(site, "pregnancy pain")
    best = found.results[0].score
    assert found.total <= views.SCAN and not found.more
    shown = [
        r
        for p in range(1, found.pages + 1)
        for r in views.search_page(site, "pregnancy pain", p).results
    ]
    assert len(shown) == found.total
    assert all(r.score >= views.RELEVANCE_FLOOR * best for r in shown)
    assert len({r.title for r in shown}) == len(shown)


def test_the_cli_and_the_api_give_one_related_list(client: Any, demo_db: Path) -> None:
    from click.testing import CliRunner

    from healthqa.cli import main

    slug = "what-causes-leg-cramps-in-late-pregnancy"
    article_id = client.get(f"/api/v1/articles/{slug}").json()["article"]["id"]
    api = client.get(f"/api/v1/articles/{article_id}/related").json()
    cli = CliRunner().invoke(main, ["--db", str(demo_db), "related", slug, "--json"])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output) == api
    assert api["previous"] or api["next"]  # the topic has neighbours


def test_the_cli_and_the_api_give_one_topic_shape(client: Any, demo_db: Path) -> None:
    from click.testing import CliRunner

    from healthqa.cli import main

    api = client.get("/api/v1/topics").json()["topics"]
    cli = CliRunner().invoke(main, ["--db", str(demo_db), "topics", "--json"])
    assert cli.exit_code == 0, cli.output
    assert sorted(json.loads(cli.output), key=lambda t: t["id"]) == sorted(
        api, key=lambda t: t["id"]
    )
