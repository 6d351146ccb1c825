from pathlib import Path

import pytest
from conftest import web_library

from healthqa.store import NotFound
from healthqa.web import views
from healthqa.web.pages import long_date
from healthqa.web.site import Site


def test_confidence_in_plain_words() -> None:
    assert views.confidence_label(1.0) == "Good match"
    assert views.confidence_label(0.5) == "Possible match"
    assert views.confidence_label(0.1) == "Weak match"


def test_labels_and_dates_read_well() -> None:
    assert views.question_type_label("when-to-see-a-doctor") == "When to see a doctor"
    assert views.question_type_label(None) == "Other questions"
    assert long_date("2026-11-01") == "1 November 2026"
    assert long_date(None) == "not stated"
    assert long_date("soon") == "soon"


def test_the_page_and_the_api_render_one_dict(demo_db: Path) -> None:
    site = Site(web_library(demo_db))
    page = views.article_page(site, "what-causes-leg-cramps-in-late-pregnancy", "https://x.org")
    assert page["canonical"] == "https://x.org/articles/what-causes-leg-cramps-in-late-pregnancy"
    keys = {"article", "description", "urgency", "previous", "next", "related", "canonical"}
    assert set(page) == keys | {"jsonld"}
    assert "</script" not in page["jsonld"]
    with pytest.raises(NotFound):
        views.article_page(site, "9" * 30)
    with pytest.raises(views.BadInput):
        views.topics_index(site, "ab")
    site.close()


def test_empty_questions_get_empty_answers(demo_db: Path) -> None:
    site = Site(web_library(demo_db))
    assert views.search_page(site, "   ")["results"] == []
    assert views.ask_page(site, " ")["no_answer"] is True
    site.close()
