"""The app as a whole: its routes, docs, static files, ETags, errors and `healthqa serve`."""

import logging
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from conftest import web_library
from fastapi.testclient import TestClient

from healthqa.cli import main
from healthqa.web import api, create_app, editor, feedback, pages

PAGES = [
    "/",
    "/articles/what-causes-leg-cramps-in-late-pregnancy",
    "/topics",
    "/topics?letter=m",
    "/topics/menopause",
    "/search",
    "/search?q=leg+cramps",
    "/ask",
    "/ask?q=why+do+I+get+leg+cramps",
    "/about",
    "/editorial-policy",
    "/sitemap.xml",
    "/robots.txt",
    "/api/v1/docs",
    "/api/v1/openapi.json",
    "/static/site.css",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_with_an_etag(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["etag"]
    assert response.headers["cache-control"].startswith("public, max-age=")


def test_the_openapi_document_lists_exactly_the_api_routes(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").json()
    editor_paths = {route.path for route in editor.router.routes}  # type: ignore[attr-defined]
    editor_paths |= {route.path for route in feedback.router().routes}  # type: ignore[attr-defined]
    expected = {api.PREFIX + path for path, *_ in api.ROUTES} | {
        api.PREFIX + path for path in editor_paths
    }
    assert set(document["paths"]) == expected
    assert {path.split("?")[0] for path in PAGES} >= {path for path, *_ in pages.ROUTES} - {
        "/articles/{slug}",
        "/topics/{slug}",
    }


def test_a_matching_etag_gets_304_without_a_body(client: Any) -> None:
    first = client.get("/api/v1/topics")
    again = client.get("/api/v1/topics", headers={"If-None-Match": first.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == first.headers["etag"]
    other = client.get("/api/v1/topics", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_the_api_docs_are_served_by_the_app_itself(client: Any) -> None:
    html = client.get("/api/v1/docs").text
    assert "swagger-ui" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    for asset in re.findall(r"""(?:src|href)=["']([^"']+)""", html):
        assert client.get(asset).status_code == 200, asset
    assert "url: '/api/v1/openapi.json'" in html


def test_no_page_loads_an_asset_from_the_internet(client: Any) -> None:
    for path in ("/", "/articles/what-causes-leg-cramps-in-late-pregnancy", "/ask?q=cramps"):
        html = client.get(path).text
        assets = re.findall(r"<(?:script|img)[^>]*\ssrc=\"([^\"]+)", html)
        assets += re.findall(r"<link rel=\"(?:stylesheet|icon)\"[^>]*\shref=\"([^\"]+)", html)
        assert assets and all(asset.startswith("/static/") for asset in assets), assets


def test_sitemap_lists_published_articles_and_topics(client: Any) -> None:
    root = ElementTree.fromstring(client.get("/sitemap.xml").content)
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    locations = [loc.text or "" for loc in root.iter(f"{ns}loc")]
    assert len(locations) == 1 + 7 + 45  # home, topics, published articles
    assert "http://testserver/articles/what-causes-leg-cramps-in-late-pregnancy" in locations
    assert not any("how-soon-can-i-get-pregnant-again" in loc for loc in locations)
    robots = client.get("/robots.txt").text
    assert "Sitemap: http://testserver/sitemap.xml" in robots
    dates = {
        (url.findtext(f"{ns}loc") or "").rsplit("/", 1)[-1]: url.findtext(f"{ns}lastmod")
        for url in root.iter(f"{ns}url")
    }
    # an article's own review date, never the day it was imported
    assert dates["what-causes-leg-cramps-in-late-pregnancy"] == "2026-11-01"


def test_the_site_url_setting_makes_links_absolute(demo_db: Path) -> None:
    library = web_library(demo_db)
    library.settings["site_url"] = "https://health.example.org/"
    with TestClient(create_app(library)) as client:
        assert "Sitemap: https://health.example.org/sitemap.xml" in client.get("/robots.txt").text
        html = client.get("/articles/what-causes-leg-cramps-in-late-pregnancy").text
    canonical = '<link rel="canonical" href="https://health.example.org/articles/what-causes'
    assert canonical in html
    found = client.get("/api/v1/articles/what-causes-leg-cramps-in-late-pregnancy").json()
    assert found["canonical"].startswith("https://health.example.org/articles/")  # one base


def test_about_and_editorial_policy_pages_say_the_publishers_words(demo_db: Path) -> None:
    library = web_library(demo_db)
    with TestClient(create_app(library)) as client:
        home = client.get("/").text
        assert '<a href="/about">About us</a>' in home
        assert '<a href="/editorial-policy">Editorial policy</a>' in home
        about = client.get("/about").text
        policy = client.get("/editorial-policy").text
    assert "<h1>About healthqa</h1>" in about and "quoted word for word" in about
    assert "<h1>Our editorial policy</h1>" in policy and "last reviewed" in policy
    library.settings["about_text"] = "Run by the Example Health Trust.\n\nWrite to us."
    with TestClient(create_app(library)) as client:
        about = client.get("/about").text
    assert "<p>Run by the Example Health Trust.</p>" in about and "<p>Write to us.</p>" in about


def test_a_broken_database_gives_a_500_page_and_envelope_not_a_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    app = create_app(web_library(broken))
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/articles/anything")
        api_error = client.get("/api/v1/stats")
    assert page.status_code == 500 and "Traceback" not in page.text
    assert "Something went wrong on our side" in page.text
    assert api_error.status_code == 500
    assert api_error.json() == {
        "error": {
            "status": 500,
            "code": "server_error",
            "message": "the server could not answer this request",
            "field": None,
        }
    }


def test_html_errors_are_pages_in_the_site_style(client: Any) -> None:
    for path, status in [
        ("/articles/no-such-article", 404),
        ("/topics/no-such-topic", 404),
        ("/no/such/page", 404),
        ("/search?page=zero", 400),
        ("/topics?letter=1", 400),
    ]:
        response = client.get(path)
        assert response.status_code == status, path
        assert response.headers["content-type"].startswith("text/html")
        assert '<html lang="en">' in response.text and 'class="skip-link"' in response.text
        assert response.headers["cache-control"] == "no-store"
    assert client.post("/search").status_code == 405


def test_the_editor_api_is_mounted_with_the_one_envelope(client: Any) -> None:
    response = client.post("/api/v1/articles", json={"title": "x"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    bad = client.post(
        "/api/v1/articles", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert bad.status_code in (400, 401)  # the token is checked before the body
    assert set(bad.json()["error"]) == {"status", "code", "message", "field"}


def test_serve_get_prints_one_response(demo_db: Path) -> None:
    result = CliRunner().invoke(
        main, ["--db", str(demo_db), "serve", "--get", "/api/v1/ask?q=leg cramps"]
    )
    assert result.exit_code == 0, result.output
    head, body = result.output.split("\n\n", 1)
    assert head.startswith("HTTP/1.1 200 OK")
    assert "etag:" in head
    assert '"no_answer":false' in body


def test_serve_get_exits_1_on_an_error_status(demo_db: Path) -> None:
    result = CliRunner().invoke(main, ["--db", str(demo_db), "serve", "--get", "/api/v1/nope"])
    assert result.exit_code == 1
    assert result.output.startswith("HTTP/1.1 404 Not Found")
    bad = CliRunner().invoke(main, ["--db", str(demo_db), "serve", "--get", "api/v1/nope"])
    assert bad.exit_code == 1 and "must start with '/'" in bad.output


def test_pages_answer_head_requests_without_a_body(client: Any) -> None:
    response = client.head("/articles/what-causes-leg-cramps-in-late-pregnancy")
    assert (response.status_code, response.content) == (200, b"")
    assert (
        response.headers["etag"]
        == client.get("/articles/what-causes-leg-cramps-in-late-pregnancy").headers["etag"]
    )


def test_a_500_is_logged_once_and_not_raised_on_to_the_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The server logs what the app raises: the app answers the 500 and logs it itself, once."""
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)
    caplog.set_level(logging.ERROR)
    with TestClient(create_app(web_library(broken)), raise_server_exceptions=True) as client:
        for path in ("/articles/anything", "/api/v1/stats"):
            caplog.clear()
            response = client.get(path)
            assert response.status_code == 500
            assert response.headers["x-content-type-options"] == "nosniff"
            assert [r.getMessage() for r in caplog.records] == [f"error answering GET {path}"]


@pytest.mark.parametrize(
    "path",
    ["/articles/³", "/articles/①", "/articles/9223372036854775808", "/articles/" + "9" * 20,
     "/api/v1/articles/²", "/api/v1/articles/①", "/api/v1/articles/9223372036854775808",
     "/api/v1/articles/9223372036854775808/revisions", "/api/v1/articles/²/revisions"],
)  # fmt: skip
def test_ids_that_are_not_ascii_or_too_large_for_the_database_are_404(
    client: Any, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 404, response.text
    if path.startswith("/api/"):
        assert response.json()["error"]["code"] == "not_found"
