"""The JSON API under /api/v1, in-process over the demo database."""

from typing import Any

import pytest
from conftest import RETIRED_SLUG

LEG_CRAMPS = "what-causes-leg-cramps-in-late-pregnancy"


def get_json(client: Any, path: str, status: int = 200) -> Any:
    response = client.get(path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def test_articles_are_listed_a_page_at_a_time(client: Any) -> None:
    first = get_json(client, "/api/v1/articles?per_page=10")
    second = get_json(client, "/api/v1/articles?per_page=10&page=2")
    assert first["total"] == 45  # 46 demo articles, one retired
    assert len(first["articles"]) == len(second["articles"]) == 10
    assert {a["id"] for a in first["articles"]}.isdisjoint(a["id"] for a in second["articles"])
    assert all(a["url"] == f"/articles/{a['slug']}" for a in first["articles"])
    assert RETIRED_SLUG not in {a["slug"] for a in first["articles"] + second["articles"]}


def test_articles_filter_by_topic_source_and_review_status(client: Any) -> None:
    topic = get_json(client, "/api/v1/articles?topic=menopause")
    assert topic["total"] == 5
    assert {a["topic"]["slug"] for a in topic["articles"]} == {"menopause"}
    source = get_json(client, "/api/v1/articles?source=healthqa%20sample%20content")
    assert source["total"] == 45
    assert get_json(client, "/api/v1/articles?source=nobody")["total"] == 0
    overdue = get_json(client, "/api/v1/articles?review=overdue")
    titles = {a["title"] for a in overdue["articles"]}
    assert "How can I ease heartburn in pregnancy?" in titles
    assert all(a["review_overdue"] for a in overdue["articles"])
    current = get_json(client, "/api/v1/articles?review=current&per_page=100")
    assert current["total"] + overdue["total"] == 45
    assert not any(a["review_overdue"] for a in current["articles"])


def test_one_article_by_slug_or_id_with_neighbours_and_related(client: Any) -> None:
    page = get_json(client, f"/api/v1/articles/{LEG_CRAMPS}")
    article = page["article"]
    assert article["title"] == "What causes leg cramps in late pregnancy?"
    assert "<ul>" in article["body_html"]
    assert article["url"] == f"/articles/{LEG_CRAMPS}"
    assert page["canonical"].endswith(f"/articles/{LEG_CRAMPS}")
    assert page["next"]["title"] == "How can I ease leg cramps in pregnancy?"
    assert 10 <= len(page["related"]) <= 12
    assert all(len(item["teaser"]) <= 53 and item["url"] for item in page["related"])
    assert page["urgency"] is None
    by_id = get_json(client, f"/api/v1/articles/{article['id']}")
    assert by_id["article"] == article


def test_related_by_article_id(client: Any) -> None:
    article_id = get_json(client, f"/api/v1/articles/{LEG_CRAMPS}")["article"]["id"]
    found = get_json(client, f"/api/v1/articles/{article_id}/related?limit=3")
    assert found["article_id"] == article_id
    assert found["related"][0]["title"] == "How can I ease leg cramps in pregnancy?"
    assert len(found["related"]) == 3
    longer = get_json(client, f"/api/v1/articles/{article_id}/related?limit=20")["related"]
    assert 12 < len(longer) <= 20
    assert [r["id"] for r in longer[:3]] == [r["id"] for r in found["related"]]


def test_an_overdue_review_is_flagged(client: Any) -> None:
    page = get_json(client, "/api/v1/articles/how-can-i-ease-heartburn-in-pregnancy")
    assert page["article"]["review_overdue"] is True
    assert page["article"]["next_review"] == "2026-03-01"


def test_topics_and_one_topic(client: Any) -> None:
    topics = get_json(client, "/api/v1/topics")["topics"]
    menopause = next(t for t in topics if t["slug"] == "menopause")
    assert menopause["synonyms"] == ["the change", "change of life"]
    assert menopause["article_count"] == 5
    page = get_json(client, "/api/v1/topics/menopause")
    assert page["topic"]["name"] == "Menopause"
    listed = [a for group in page["groups"] for a in group["articles"]]
    assert len(listed) == 5 and all(a["url"].startswith("/articles/") for a in listed)


def test_search_pages_counts_and_highlights(client: Any) -> None:
    first = get_json(client, "/api/v1/search?q=pregnancy%20pain")
    assert first["total"] > 10 and first["pages"] >= 2 and first["next_page"] == 2
    assert len(first["results"]) == 10
    assert "<mark>" in first["results"][0]["snippet_html"]
    second = get_json(client, "/api/v1/search?q=pregnancy%20pain&page=2")
    assert second["previous_page"] == 1
    ids = {r["id"] for r in first["results"]}
    assert ids.isdisjoint(r["id"] for r in second["results"])


def test_search_suggests_a_spelling_when_nothing_is_found(client: Any) -> None:
    found = get_json(client, "/api/v1/search?q=crmps")
    assert (found["total"], found["did_you_mean"]) == (0, "cramps")
    assert get_json(client, "/api/v1/search?q=qqqqzzzz")["did_you_mean"] is None


def test_ask_quotes_cited_dated_passages(client: Any) -> None:
    found = get_json(client, "/api/v1/ask?q=what%20causes%20leg%20cramps%20in%20late%20pregnancy")
    assert found["no_answer"] is False
    (best, *_) = found["answers"]
    assert best["url"] == f"/articles/{LEG_CRAMPS}"
    assert best["last_reviewed"] == "2026-11-01"
    assert best["confidence_label"] == "Good match"
    assert found["disclaimer"].startswith("These answers are quoted from our articles")


def test_ask_says_plainly_when_it_has_no_good_answer(client: Any) -> None:
    found = get_json(client, "/api/v1/ask?q=how%20do%20I%20fix%20my%20car%20gearbox")
    assert (found["no_answer"], found["answers"]) == (True, [])
    assert "pharmacist" in found["advice"]


def test_stats(client: Any) -> None:
    stats = get_json(client, "/api/v1/stats")
    assert (stats["articles"], stats["topics"]) == (45, 7)
    assert stats["review_overdue"] >= 3
    assert "database" not in stats  # no server paths in public answers
    assert stats["embedding"] is None  # keywords only: nothing to embed


ERRORS = [
    ("/api/v1/articles/no-such-article", 404, "not_found", None),
    ("/api/v1/articles/99999999999999999999999", 404, "not_found", None),
    (f"/api/v1/articles/{RETIRED_SLUG}", 404, "not_found", None),
    ("/api/v1/articles/999999/related", 404, "not_found", None),
    ("/api/v1/articles/0/related", 422, "invalid_parameter", "article_id"),
    ("/api/v1/topics/no-such-topic", 404, "not_found", None),
    ("/api/v1/no/such/endpoint", 404, "not_found", None),
    ("/api/v1/search", 422, "invalid_parameter", "q"),
    ("/api/v1/search?q=", 422, "invalid_parameter", "q"),
    ("/api/v1/search?q=x&page=0", 422, "invalid_parameter", "page"),
    ("/api/v1/ask?q=x&limit=many", 422, "invalid_parameter", "limit"),
    ("/api/v1/articles?review=sometimes", 422, "invalid_parameter", "review"),
    ("/api/v1/articles?per_page=1000", 422, "invalid_parameter", "per_page"),
]


@pytest.mark.parametrize(("path", "status", "code", "field"), ERRORS)
def test_every_error_has_the_one_envelope(
    client: Any, path: str, status: int, code: str, field: str | None
) -> None:
    body = get_json(client, path, status)
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "field"}
    assert (error["status"], error["code"], error["field"]) == (status, code, field)
    assert error["message"]


@pytest.mark.parametrize("path", ["/api/v1/search?q=x", "/api/v1/articles", "/api/v1/stats"])
def test_wrong_method_gets_the_envelope(client: Any, path: str) -> None:
    response = client.delete(path)  # nothing is ever deleted: articles are retired
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_hostile_input_never_breaks_the_api(client: Any) -> None:
    for q in [
        '"unclosed',
        "a AND (b OR NOT) title:x",
        "🤰🦵💥",
        "<script>x</script>",
        "%00",
        "x" * 2000,
    ]:
        for endpoint in ("search", "ask"):
            response = client.get(f"/api/v1/{endpoint}", params={"q": q})
            assert response.status_code == 200, (endpoint, q, response.text)


def test_an_old_slug_moves_permanently_in_the_api_too(fixtures: Any, tmp_path: Any) -> None:
    from conftest import web_library
    from fastapi.testclient import TestClient

    from healthqa.imports import import_paths
    from healthqa.store import open_store
    from healthqa.web import create_app

    db = open_store(str(tmp_path / "tidy.db"))
    import_paths(db, [str(fixtures / "medquad")], workers=0)
    db.close()
    with TestClient(create_app(web_library(tmp_path / "tidy.db"))) as made:
        moved = made.get("/api/v1/articles/what-is-are-hiccups", follow_redirects=False)
        assert moved.status_code == 301
        assert moved.headers["location"] == "/api/v1/articles/what-are-hiccups"
        assert made.get("/api/v1/articles/what-is-are-hiccups").json()["article"]["title"] == (
            "What are Hiccups?"
        )
        assert made.get("/api/v1/articles/what-is-are-nothing").status_code == 404


def test_suggestions_offer_topics_then_titles_for_each_word_typed(client: Any) -> None:
    found = client.get("/api/v1/suggest", params={"q": "leg cra"}).json()
    texts = [s["text"] for s in found["suggestions"]]
    assert "What causes leg cramps in late pregnancy?" in texts
    assert all(s["url"].startswith(("/articles/", "/topics/")) for s in found["suggestions"])
    topics = client.get("/api/v1/suggest", params={"q": "meno"}).json()["suggestions"]
    assert topics[0] == {"text": "Menopause", "kind": "topic", "url": "/topics/menopause"}
    assert len(topics) <= 8
    assert client.get("/api/v1/suggest", params={"q": "m"}).json()["suggestions"] == []
    assert client.get("/api/v1/suggest", params={"q": "zzzq"}).json()["suggestions"] == []


def test_the_suggestion_script_is_the_sites_own_and_pages_work_without_it(client: Any) -> None:
    script = client.get("/static/suggest.js")
    assert script.status_code == 200 and "/api/v1/suggest" in script.text
    page = client.get("/")
    assert '<script src="/static/suggest.js" defer></script>' in page.text
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert 'action="/search"' in page.text  # the form works on its own
