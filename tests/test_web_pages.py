"""The HTML pages: what a reader sees, and the handles browser and accessibility tests use."""

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import web_library
from fastapi.testclient import TestClient
from lxml import html as lxml_html
from starlette.requests import Request

from healthqa.imports import import_paths
from healthqa.safety import DISCLAIMER
from healthqa.store import open_store
from healthqa.web import create_app, pages

LEG_CRAMPS = "/articles/what-causes-leg-cramps-in-late-pregnancy"


def page(client: Any, path: str, status: int = 200) -> Any:
    response = client.get(path)
    assert response.status_code == status, response.text
    return lxml_html.fromstring(response.text)


def texts(root: Any, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in root.xpath(xpath)]


@pytest.mark.parametrize(
    "path", ["/", LEG_CRAMPS, "/topics", "/topics/menopause", "/search?q=x", "/ask?q=x"]
)
def test_every_page_has_the_accessible_frame(client: Any, path: str) -> None:
    root = page(client, path)
    assert root.get("lang") == "en"
    assert root.xpath("//a[@class='skip-link']/@href") == ["#main"]
    assert root.xpath("//main[@id='main']") and root.xpath("//nav[@aria-label='Main']")
    assert len(root.xpath("//h1")) == 1
    for control in root.xpath("//input[not(@type='hidden')] | //textarea"):
        assert root.xpath(f"//label[@for='{control.get('id')}']"), control.get("id")


def test_home_has_both_boxes_topics_a_to_z_and_featured_questions(client: Any) -> None:
    root = page(client, "/")
    assert root.xpath("//form[@id='search-form']") and root.xpath("//form[@id='ask-form']")
    assert texts(root, "//ul[@class='letters']//a") == ["A", "F", "M", "P"]
    featured = root.xpath("//section[@aria-labelledby='featured-title']//a/@href")
    assert len(featured) == 6 and all(href.startswith("/articles/") for href in featured)


def test_article_page(client: Any) -> None:
    root = page(client, LEG_CRAMPS)
    assert texts(root, "//h1") == ["What causes leg cramps in late pregnancy?"]
    causes = texts(root, "//div[@class='answer']/ul[1]/li")
    assert causes[0] == "your leg muscles are working harder to carry the extra weight of pregnancy"
    facts = dict(zip(texts(root, "//dl/dt"), texts(root, "//dl/dd"), strict=True))
    assert facts["Last reviewed"] == "1 November 2026"
    assert facts["Next review due"] == "1 November 2027"
    assert facts["Source"] == "healthqa sample content"
    assert facts["Topic"] == "Pregnancy discomforts"
    assert root.xpath("//a[@rel='next']/@href") == [
        "/articles/how-can-i-ease-leg-cramps-in-pregnancy"
    ]
    related = root.xpath("//section[@id='related']//li")
    assert 10 <= len(related) <= 12
    teasers = texts(root, "//section[@id='related']//span[@class='teaser']")
    assert all(0 < len(teaser) <= 53 for teaser in teasers)
    assert root.xpath("//p[@class='topic-link']/a/@href") == ["/topics/pregnancy-discomforts"]
    assert root.xpath("//link[@rel='canonical']/@href") == [f"http://testserver{LEG_CRAMPS}"]
    assert not root.xpath("//*[@id='urgency']")
    assert not root.xpath("//*[@class='review-overdue']")


def test_article_structured_data(client: Any) -> None:
    root = page(client, LEG_CRAMPS)
    (script,) = root.xpath("//script[@type='application/ld+json']/text()")
    data = json.loads(script)
    assert data["@type"] == "MedicalWebPage"
    assert data["name"] == "What causes leg cramps in late pregnancy?"
    assert data["url"] == f"http://testserver{LEG_CRAMPS}"
    # the demo's topic kind ("Pregnancy") names no schema.org type: a Thing
    assert data["about"] == {"@type": "Thing", "name": "Pregnancy discomforts"}
    assert data["lastReviewed"] == data["dateModified"] == "2026-11-01"  # not the import's
    assert data["publisher"] == {
        "@type": "Organization",
        "name": "healthqa",
        "url": "http://testserver/",
    }
    assert data["sourceOrganization"]["name"] == "healthqa sample content"
    assert data["description"] == root.xpath("//meta[@name='description']/@content")[0]
    assert data["description"].startswith("Leg cramps")
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    crumbs = data["breadcrumb"]["itemListElement"]
    assert [(c["position"], c["name"]) for c in crumbs] == [
        (1, "Home"),
        (2, "Pregnancy discomforts"),
        (3, "What causes leg cramps in late pregnancy?"),
    ]
    assert crumbs[2]["item"] == data["url"]


def test_an_overdue_article_says_so(client: Any) -> None:
    root = page(client, "/articles/how-can-i-ease-heartburn-in-pregnancy")
    (notice,) = texts(root, "//p[@class='review-overdue']")
    assert notice.startswith("Review overdue:") and "1 March 2026" in notice


def test_topic_page_groups_by_question_type_with_also_called(client: Any) -> None:
    root = page(client, "/topics/menopause")
    assert texts(root, "//p[@class='also-called']") == ["Also called: the change, change of life"]
    headings = texts(root, "//h2")
    assert len(headings) == len(set(headings)) >= 2
    assert len(root.xpath("//main//section//li/a")) == 5


def test_topics_a_to_z_by_letter(client: Any) -> None:
    root = page(client, "/topics?letter=p")
    assert texts(root, "//h1") == ["Topics A to Z: P"]
    assert root.xpath("//a[@aria-current='page']/text()") == ["P"]
    assert texts(root, "//main//section//li/a") == [
        "Periods",
        "Pregnancy discomforts",
        "Pregnancy health",
        "Pregnancy warning signs",
    ]


def test_search_results_are_highlighted_counted_and_paged(client: Any) -> None:
    root = page(client, "/search?q=pregnancy+pain")
    (count,) = texts(root, "//p[@class='result-count']")
    assert re.fullmatch(r"\d+ articles found; page 1 of \d+\.", count)
    assert len(root.xpath("//ol[@class='results']/li")) == 10
    assert root.xpath("//p[@class='snippet']/mark")
    assert root.xpath("//nav[@class='pager']//a[@rel='next']/@href") == [
        "/search?q=pregnancy%20pain&page=2"
    ]
    second = page(client, "/search?q=pregnancy+pain&page=2")
    assert second.xpath("//ol[@class='results']/@start") == ["11"]
    past = page(client, "/search?q=pregnancy+pain&page=99")
    assert texts(past, "//p[@class='past-the-end']/a") == ["Back to the first page"]
    assert not past.xpath("//section[@class='empty']")


def test_search_escapes_what_it_shows(client: Any) -> None:
    response = client.get("/search", params={"q": "<script>alert(1)</script> cramps"})
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)" in response.text


def test_search_with_nothing_found_offers_a_spelling_and_asking(client: Any) -> None:
    root = page(client, "/search?q=crmps")
    assert texts(root, "//p[@class='did-you-mean']") == ["Did you mean cramps?"]
    assert root.xpath("//p[@class='did-you-mean']/a/@href") == ["/search?q=cramps"]
    assert root.xpath("//section[@class='empty']//form[@id='ask-form']")
    assert root.xpath("//textarea[@id='ask-q']/text()") == ["crmps"]


def test_ask_shows_answer_cards(client: Any) -> None:
    root = page(client, "/ask?q=what+causes+leg+cramps+in+late+pregnancy")
    cards = root.xpath("//article[@class='answer-card']")
    assert 1 <= len(cards) <= 3
    first = cards[0]
    assert first.xpath(".//h3/a/@href") == [LEG_CRAMPS]
    assert first.xpath(".//blockquote")
    facts = dict(zip(texts(first, ".//dt"), texts(first, ".//dd"), strict=True))
    assert facts["Last reviewed"] == "1 November 2026"
    assert facts["Next review due"] == "1 November 2027"
    assert facts["How well it matches"] == "Good match"
    assert facts["Topic"] == "Pregnancy discomforts"
    (disclaimer,) = texts(root, "//p[@class='disclaimer']")
    assert disclaimer == DISCLAIMER


def test_ask_quotes_lists_as_lists(client: Any) -> None:
    root = page(client, "/ask?q=What+causes+leg+cramps+in+late+pregnancy%3F")
    items = root.xpath("//article[@class='answer-card'][1]//blockquote/ul/li")
    assert len(items) >= 3


def test_ask_without_a_good_answer_says_what_to_do(client: Any) -> None:
    root = page(client, "/ask?q=how+do+I+fix+my+car+gearbox")
    assert not root.xpath("//article[@class='answer-card']")
    (section,) = root.xpath("//section[@class='no-answer']")
    assert texts(section, ".//h2") == ["We have no good answer to this question"]
    assert "pharmacist" in section.text_content() and "emergency" in section.text_content()


URGENCY = {
    "level": "emergency",
    "title": "Call 999 now",
    "advice": "Chest pain with a swollen leg can be a blood clot in the lung.",
    "call": "999",
    "rule": "dvt-chest-pain",
    "source_url": "https://www.nhs.uk/conditions/pulmonary-embolism/",
}


@pytest.mark.parametrize("template", ["ask.html", "article.html"])
def test_an_urgent_notice_comes_first_on_the_page(template: str) -> None:
    context: dict[str, Any] = {
        "urgency": URGENCY,
        "question": "chest pain and a swollen calf",
        "no_answer": True,
        "answers": [],
        "advice": "x",
        "disclaimer": "x",
        "article": {
            "title": "T",
            "body_html": "<p>b</p>",
            "topic": None,
            "source": "S",
            "source_url": None,
            "last_reviewed": None,
            "next_review": None,
            "review_overdue": False,
            "url": "/articles/t",
            "teaser": "t",
            "attribution": {"source": "S", "source_url": None, "site": None, "licence": None},
        },
        "description": "d",
        "canonical": "/articles/t",
        "jsonld": "{}",
        "previous": None,
        "next": None,
        "related": [],
    }
    request = Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": [],
            "query_string": b"",
            "app": None,
        }
    )
    body = pages.templates.get_template(template).render(context | {"request": request})
    root = lxml_html.fromstring(body)
    main = root.xpath("//main")[0]
    first = next(child for child in main if isinstance(child.tag, str))
    assert first.get("id") == "urgency" and first.get("role") == "alert"
    assert "urgency-emergency" in first.get("class")
    assert texts(first, ".//h2") == ["Call 999 now"]
    assert first.xpath(".//a[@href='tel:999']")


def test_urgent_questions_get_the_notice_first_on_ask_and_search(client: Any) -> None:
    question = "34+weeks+pregnant+and+bleeding+heavily"
    for path in (f"/ask?q={question}", f"/search?q={question}"):
        root = page(client, path)
        (notice,) = root.xpath("//section[@id='urgency']")
        main = root.xpath("//main")[0]
        assert main.xpath("./*")[0] is notice  # before anything else on the page
        assert "999" in notice.text_content()  # the emergency_number setting's default
        # how soon is said in words, not by colour alone
        assert texts(notice, ".//p[@class='urgency-heading']") == ["Emergency: call 999 now"]
    calf = page(client, "/ask?q=34+weeks+pregnant+my+calf+is+swollen+red+and+hurts")
    assert texts(calf, "//p[@class='urgency-heading']") == ["Urgent: get help today"]
    calm = page(client, "/ask?q=no+bleeding+just+mild+cramps")
    assert not calm.xpath("//section[@id='urgency']")


def test_an_article_about_a_warning_sign_carries_the_notice(client: Any) -> None:
    root = page(client, "/articles/what-should-i-do-if-my-baby-is-moving-less")
    assert root.xpath("//section[@id='urgency']")
    calm = page(client, "/articles/what-causes-leg-cramps-in-late-pregnancy")
    assert not calm.xpath("//section[@id='urgency']")


def test_an_answer_past_its_review_date_says_so(client: Any) -> None:
    # The demo's heartburn article was due for review on 1 March 2026.
    root = page(client, "/ask?q=how+can+I+ease+heartburn+in+pregnancy")
    first = root.xpath("//article[@class='answer-card']")[0]
    assert "heartburn" in first.xpath(".//h3")[0].text_content().casefold()
    facts = dict(zip(texts(first, ".//dt"), texts(first, ".//dd"), strict=True))
    assert facts["Next review due"] == "1 March 2026 (review overdue)"


@pytest.mark.parametrize("stored", ["javascript:alert(document.cookie)", "http://a]b/"])
def test_pages_never_link_to_a_stored_address_that_is_not_http(tmp_path: Path, stored: str) -> None:
    """An article stored before importers checked links keeps its text but loses the link;
    an address no URL parser reads ("http://a]b/") is no 500 either."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text(
        "---\ntitle: What helps hiccups?\nurl: https://example.org/h\n---\n"
        "Hiccups stop on their own. Sipping cold water helps hiccups.\n"
    )
    db = tmp_path / "site.db"
    store = open_store(str(db))
    import_paths(store, [str(tmp_path / "in")], workers=0)
    store.close()
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE articles SET source_url = ?", (stored,))
    with TestClient(create_app(web_library(db)), raise_server_exceptions=False) as client:
        for path in ("/articles/what-helps-hiccups", "/ask?q=what+helps+hiccups"):
            assert client.get(path).status_code == 200
            assert client.get("/api/v1/articles/what-helps-hiccups").status_code == 200
            root = page(client, path)
            assert "markdown" in " ".join(texts(root, "//dd"))  # the source is still named
            hrefs = [a.get("href") for a in root.xpath("//a[@href]")]
            assert hrefs and all(h.startswith(("/", "#", "http", "tel:")) for h in hrefs), hrefs


def test_an_address_from_before_titles_were_tidied_moves_permanently(
    fixtures: Any, tmp_path: Any
) -> None:
    from conftest import web_library
    from fastapi.testclient import TestClient

    from healthqa.imports import import_paths
    from healthqa.store import open_store
    from healthqa.web import create_app

    db = open_store(str(tmp_path / "tidy.db"))
    import_paths(db, [str(fixtures / "medquad")], workers=0)
    db.close()
    with TestClient(create_app(web_library(tmp_path / "tidy.db"))) as made:
        moved = made.get("/articles/what-is-are-hiccups", follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (301, "/articles/what-are-hiccups")
        root = page(made, "/articles/what-are-hiccups")
        assert texts(root, "//h1") == ["What are Hiccups?"]
        (script,) = root.xpath("//script[@type='application/ld+json']/text()")
        data = json.loads(script)
        assert data["about"] == {"@type": "MedicalCondition", "name": "Hiccups"}  # "Disease"
        assert "dateModified" not in data and "lastReviewed" not in data  # no content date
        assert data["isBasedOn"] == "https://example.org/hiccups"
        assert data["sourceOrganization"] == {
            "@type": "Organization",
            "name": "TinyHealth",
            "url": "https://example.org/",
        }
        page(made, "/articles/what-is-are-yawning", 404)


def test_an_article_credits_its_source_and_licence(
    client: Any, fixtures: Any, tmp_path: Any
) -> None:
    root = page(client, LEG_CRAMPS)
    facts = dict(zip(texts(root, "//dl/dt"), texts(root, "//dl/dd"), strict=True))
    assert facts["Licence"].startswith("CC BY 4.0. Sample content written by the healthqa team")
    assert root.xpath("//dd[@class='licence']/a[@rel='license']/@href") == [
        "https://creativecommons.org/licenses/by/4.0/"
    ]
    data = client.get("/api/v1/articles/" + LEG_CRAMPS.rsplit("/", 1)[1]).json()
    assert data["article"]["attribution"]["licence_url"] == (
        "https://creativecommons.org/licenses/by/4.0/"
    )


def test_a_medquad_article_names_its_source_in_full_and_links_its_site() -> None:
    from healthqa.articles import Article
    from healthqa.ingest.medquad import LICENCE
    from healthqa.web.models import ArticleFull

    found = Article(
        id=1, slug="s", source="CancerGov", external_id="x", title="t", body_html="", body_text="",
        teaser="", source_url="https://www.cancer.gov/types/breast/patient/breast-treatment-pdq",
        licence=LICENCE, language="en", topic=None, question_type=None, created="", updated="",
        last_reviewed=None, next_review=None, status="published", revision=1, content_hash="",
        meta={},
    )  # fmt: skip
    assert ArticleFull.of(found).attribution.model_dump() == {
        "source": "National Cancer Institute",
        "source_url": "https://www.cancer.gov/types/breast/patient/breast-treatment-pdq",
        "site": {"name": "cancer.gov", "url": "https://www.cancer.gov/"},
        "licence": LICENCE,
        "licence_url": "https://creativecommons.org/licenses/by/4.0/",
    }


def test_an_article_page_has_a_breadcrumb(client: Any) -> None:
    root = page(client, LEG_CRAMPS)
    (crumbs,) = root.xpath("//nav[@aria-label='Breadcrumb']")
    assert texts(crumbs, ".//li") == [
        "Home",
        "Pregnancy discomforts",
        "What causes leg cramps in late pregnancy?",
    ]
    assert crumbs.xpath(".//a/@href") == ["/", "/topics/pregnancy-discomforts", LEG_CRAMPS]
    assert crumbs.xpath(".//a[@aria-current='page']/@href") == [LEG_CRAMPS]


@pytest.mark.parametrize("path", ["/search?q=cramps", "/ask?q=leg+cramps", "/search", "/ask"])
def test_search_and_ask_pages_are_not_indexed(client: Any, path: str) -> None:
    assert page(client, path).xpath("//meta[@name='robots']/@content") == ["noindex"]


@pytest.mark.parametrize("path", ["/", LEG_CRAMPS, "/topics"])
def test_other_pages_may_be_indexed(client: Any, path: str) -> None:
    assert not page(client, path).xpath("//meta[@name='robots']")


def test_the_stylesheet_prints_the_answer_without_navigation_and_with_addresses(
    client: Any,
) -> None:
    css = client.get("/static/site.css").text
    printed = css[css.index("@media print") :]
    for hidden in (".site-header nav", ".breadcrumb", "form", ".prev-next"):
        assert hidden in printed.split("display: none")[0]
    assert 'a[href^="http"]::after { content: " (" attr(href) ")"' in printed


def test_a_long_topic_list_shows_one_letter_at_a_time(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from healthqa.web import views

    monkeypatch.setattr(views, "TOPICS_ON_ONE_PAGE", 3)  # the demo has 7 topics
    root = page(client, "/topics")
    assert texts(root, "//h1") == ["Topics A to Z: A"]
    assert root.xpath("//a[@aria-current='page']/text()") == ["A"]
    assert texts(root, "//main//section//li/a") == ["After the birth"]
    assert texts(root, "//ul[@class='letters']//a") == ["A", "F", "M", "P"]
    monkeypatch.setattr(views, "TOPICS_ON_ONE_PAGE", 300)
    assert len(page(client, "/topics").xpath("//main//section//li/a")) == 7


def _glaucoma_site(tmp_path: Path) -> Path:
    """Four answers to "What is glaucoma?" from three sources, and two other questions."""
    folder = tmp_path / "in"
    folder.mkdir()
    made = [
        ("g1", "What is glaucoma?", "NIHSeniorHealth", "information", "Glaucoma harms the eye."),
        ("g2", "What is Glaucoma ?", "NIHSeniorHealth", "information", "Glaucoma, more."),
        ("g3", "What is glaucoma", "MPlusHealthTopics", "information", "An eye disease."),
        ("g4", "What is glaucoma?", "NEI", "information", "Glaucoma harms the optic nerve."),
        ("g5", "What causes glaucoma?", "NEI", "causes", "Pressure in the eye, often."),
        ("g6", "How is glaucoma treated?", "NEI", "treatment", "Glaucoma eye drops."),
    ]
    for key, title, source, kind, body in made:
        (folder / f"{key}.md").write_text(
            f'---\nid: {key}\ntitle: "{title}"\ntopic: Glaucoma\nsource: {source}\n'
            f"question_type: {kind}\n---\n{body}\n"
        )
    db = tmp_path / "glaucoma.db"
    store = open_store(str(db))
    import_paths(store, [str(folder)], workers=0)
    store.close()
    return db


def test_every_list_shows_a_question_once_and_the_article_links_the_others(
    tmp_path: Path,
) -> None:
    db = _glaucoma_site(tmp_path)
    with TestClient(create_app(web_library(db)), raise_server_exceptions=False) as client:
        topic = texts(page(client, "/topics/glaucoma"), "//main//ul[@class='link-list']//a")
        assert [t.casefold().rstrip(" ?") for t in topic].count("what is glaucoma") == 1
        assert len(topic) == 3
        listed = texts(page(client, "/topics"), "//main//li[a[text()='Glaucoma']]")
        assert listed == ["Glaucoma (3)"]  # questions, not articles
        counted = client.get("/api/v1/topics/glaucoma").json()["topic"]
        assert (counted["article_count"], counted["question_count"]) == (6, 3)
        first = page(client, "/articles/what-is-glaucoma")
        also = texts(first, "//section[@id='also']//a")
        assert also == [  # each says which answer it is: one source may answer twice
            "Also from NIHSeniorHealth Glaucoma, more.",
            "Also from MedlinePlus An eye disease.",
            "Also from NEI Glaucoma harms the optic nerve.",
        ]
        (mplus,) = first.xpath("//section[@id='also']//a[contains(., 'MedlinePlus')]/@href")
        assert texts(page(client, mplus), "//section[@id='also']//a")[:2] == [
            "Also from NIHSeniorHealth (1 of 2) Glaucoma harms the eye.",  # one source, twice
            "Also from NIHSeniorHealth (2 of 2) Glaucoma, more.",
        ]
        for other in first.xpath("//section[@id='also']//a/@href"):
            back = texts(page(client, other), "//section[@id='also']//a")
            assert len(back) == 3  # each of the four reaches the other three
        others = first.xpath("//section[@id='also']//a/@href")
        for path in [*others, "/articles/what-is-glaucoma"]:
            root = page(client, path)
            neighbours = texts(root, "//nav[@class='prev-next']//a")
            related = texts(root, "//section[@id='related']//a")
            assert not [t for t in neighbours + related if "what is glaucoma" in t.casefold()]
            assert len(related) == len(set(related))
        found = client.get("/api/v1/search?q=glaucoma").json()
        titles = [r["title"].casefold().rstrip(" ?") for r in found["results"]]
        assert titles.count("what is glaucoma") == 1 and found["total"] == len(titles)


def test_a_corrected_search_says_so_and_links_the_words_as_typed(client: Any) -> None:
    root = page(client, "/search?q=pregnancy+crampz")
    (said,) = texts(root, "//p[@class='corrected']")
    assert said == "Showing results for pregnancy cramps. Search instead for pregnancy crampz"
    (href,) = root.xpath("//p[@class='corrected']/a/@href")
    assert href == "/search?q=pregnancy%20crampz&correct=0"
    as_typed = page(client, href)
    assert not as_typed.xpath("//p[@class='corrected']")
    assert not page(client, "/search?q=pregnancy+cramps").xpath("//p[@class='corrected']")
    api = client.get("/api/v1/search?q=pregnancy+crampz").json()
    assert api["corrected"] == "pregnancy cramps"


def test_a_merged_topics_old_address_moves_to_the_topic_it_joined(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for key, topic in (("t1", "Kidney Stones"), ("t2", "kidney stone")):
        (folder / f"{key}.md").write_text(
            f'---\nid: {key}\ntitle: "About {key}"\ntopic: {topic}\n---\nStones form.\n'
        )
    db = tmp_path / "merged.db"
    store = open_store(str(db))
    import_paths(store, [str(folder)], workers=0)
    store.close()
    with TestClient(create_app(web_library(db)), raise_server_exceptions=False) as client:
        root = page(client, "/topics/kidney-stones")
        assert texts(root, "//p[@class='also-called']") == ["Also called: kidney stone"]
        moved = client.get("/topics/kidney-stone", follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (301, "/topics/kidney-stones")
        assert client.get("/topics/no-such-topic").status_code == 404
