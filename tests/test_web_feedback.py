"""'Was this page helpful?': the form without JavaScript, its safety, and the editors' reports."""

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import web_library
from fastapi.testclient import TestClient
from lxml import html as lxml_html

from healthqa import tokens
from healthqa.cli import main
from healthqa.web import create_app
from healthqa.web.feedback import RateLimit

LEG_CRAMPS = "/articles/what-causes-leg-cramps-in-late-pregnancy"
FORM = f"{LEG_CRAMPS}/feedback"


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "site.db"
    shutil.copy(demo_db, copy)
    return copy


@pytest.fixture
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(web_library(db)), raise_server_exceptions=False) as made:
        yield made


def test_the_form_posts_without_javascript_and_the_page_says_thank_you(client: Any) -> None:
    root = lxml_html.fromstring(client.get(LEG_CRAMPS).text)
    (form,) = root.xpath("//section[@id='feedback']//form")
    assert (form.get("method"), form.get("action")) == ("post", FORM)
    assert form.xpath(".//button[@name='helpful']/@value") == ["yes", "no"]
    sent = client.post(
        FORM, data={"helpful": "no", "comment": "  Too  short. "}, follow_redirects=False
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"{LEG_CRAMPS}?feedback=thanks#feedback"
    thanked = lxml_html.fromstring(client.get(sent.headers["location"]).text)
    assert "Thank you for telling us" in thanked.xpath("string(//section[@id='feedback'])")
    assert not thanked.xpath("//section[@id='feedback']//form")
    store = client.app.state.site.library.store
    (said,) = store.feedback()
    assert (said.helpful, said.comment) == (False, "Too short.")


def test_cross_site_posts_and_bad_answers_are_refused(client: Any) -> None:
    for headers in (
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Referer": "https://evil.example/page"},
    ):
        refused = client.post(FORM, data={"helpful": "yes"}, headers=headers)
        assert refused.status_code == 403, headers
    ours = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert client.post(FORM, data={"helpful": "yes"}, headers=ours).status_code == 200
    assert client.post(FORM, data={"helpful": "maybe"}).status_code == 400
    assert (
        client.post("/articles/no-such-article/feedback", data={"helpful": "yes"}).status_code
        == 404
    )
    assert client.app.state.site.library.store.feedback_counts()[0].yes == 1


def test_each_client_is_limited(client: Any) -> None:
    for _ in range(10):
        assert client.post(FORM, data={"helpful": "yes"}).status_code == 200
    limited = client.post(FORM, data={"helpful": "yes"}, follow_redirects=False)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3600"
    assert "Please wait a moment and try again" in limited.text  # the site's one 429 page


def test_the_limit_is_a_sliding_window_per_client() -> None:
    limit = RateLimit(2, 60)
    assert limit.allow("a", 0) and limit.allow("a", 1) and not limit.allow("a", 2)
    assert limit.allow("b", 2)
    assert limit.allow("a", 60.5) and not limit.allow("a", 60.6)


def test_editors_read_feedback_with_a_token_and_from_the_cli(client: Any, db: Path) -> None:
    client.post(FORM, data={"helpful": "no", "comment": "Say more about magnesium."})
    store = client.app.state.site.library.store
    secret, _ = tokens.create(store, "alice", 30)
    assert client.get("/api/v1/feedback").status_code == 401
    report = client.get("/api/v1/feedback", headers={"Authorization": f"Bearer {secret}"}).json()
    (count,) = report["articles"]
    assert (count["yes"], count["no"], count["comments"]) == (0, 1, 1)
    one = client.get(
        f"/api/v1/articles/{count['article_id']}/feedback",
        headers={"Authorization": f"Bearer {secret}"},
    ).json()
    assert one["comments"][0]["comment"] == "Say more about magnesium."
    missing = client.get(
        "/api/v1/articles/999999/feedback", headers={"Authorization": f"Bearer {secret}"}
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    shown = CliRunner().invoke(main, ["--db", str(db), "feedback", "report"])
    assert shown.exit_code == 0, shown.output
    assert "what-causes-leg-cramps-in-late-pregnancy" in shown.stdout
    assert "Say more about magnesium." in shown.stdout
