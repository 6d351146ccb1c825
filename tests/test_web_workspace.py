"""The editors' workspace through the real app in-process: signing in, CSRF on every form,
roles, editing, conflicts, history, retiring and restoring, review dates and related articles.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from string import Formatter
from typing import Any

import httpx2 as httpx
import pytest
from conftest import RETIRED_SLUG, quiet_settings
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from lxml import html

from healthqa import accounts, tokens
from healthqa.library import Library
from healthqa.web.app import create_app

PASSWORD = "a long enough password"
SLUG = "what-causes-leg-cramps-in-late-pregnancy"
TYPO = "Leg cramps are sudden, painful tightenings"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class Desk:
    """The app over a copy of the demo site, with an admin, an editor and a reviewer."""

    def __init__(self, demo_db: Path, folder: Path, **settings: Any) -> None:
        shutil.copy(demo_db, folder / "site.db")
        self.library = Library(str(folder / "site.db"), settings=quiet_settings(**settings))
        self.app = create_app(self.library)
        self.clients: list[TestClient] = []
        for name, role in (("Ada", "admin"), ("Ed", "editor"), ("Rita", "reviewer")):
            accounts.create(self.library.store, name, role, PASSWORD)
        self.article = self.library.store.get_article(SLUG)

    def client(self) -> TestClient:
        made = TestClient(self.app, raise_server_exceptions=True, follow_redirects=False)
        self.clients.append(made)
        return made

    def signed_in(self, name: str) -> TestClient:
        client = self.client()
        page = client.get("/editor/sign-in")
        fields = form_fields(page.text, "/editor/sign-in") | {"name": name, "password": PASSWORD}
        done = client.post("/editor/sign-in", data=fields)
        assert done.status_code == 303, done.text
        return client

    def revisions(self) -> int:
        return int(self.library.store.stats()["revisions"])

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.library.close()


@pytest.fixture
def desk(demo_db: Path, tmp_path: Path) -> Iterator[Desk]:
    made = Desk(demo_db, tmp_path)
    yield made
    made.close()


def form_fields(page: str, action: str) -> dict[str, str]:
    """The fields the form posting to `action` would send as it stands (no button)."""
    root = html.fromstring(page)
    (form,) = [f for f in root.forms if f.get("action") == action]
    return dict(form.form_values())


def edit_form(client: TestClient, article_id: int) -> dict[str, str]:
    page = client.get(f"/editor/articles/{article_id}")
    assert page.status_code == 200, page.text
    return form_fields(page.text, f"/editor/articles/{article_id}")


def save(client: TestClient, article_id: int, **changes: str) -> httpx.Response:
    fields = edit_form(client, article_id) | {"reason": "test"} | changes
    return client.post(f"/editor/articles/{article_id}", data=fields | {"action": "save"})


# Signing in ------------------------------------------------------------------------------------


def test_the_workspace_sends_you_to_sign_in_and_back(desk: Desk) -> None:
    client = desk.client()
    answer = client.get("/editor/articles/3/history")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/editor/sign-in?next=/editor/articles/3/history"
    page = client.get(answer.headers["location"])
    assert page.status_code == 200 and "Sign in to edit articles" in page.text
    assert page.headers["cache-control"] == "no-store"
    fields = form_fields(page.text, "/editor/sign-in")
    assert fields["next"] == "/editor/articles/3/history" and len(fields["csrf"]) == 43
    done = client.post("/editor/sign-in", data=fields | {"name": "ed", "password": PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/editor/articles/3/history"
    cookie = next(c for c in done.headers.get_list("set-cookie") if "healthqa_session=" in c)
    words = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= words and "secure" not in words
    assert "samesite=lax" in cookie.lower() and "path=/editor" in cookie.lower()
    assert "max-age=43200" in cookie.lower()  # session_hours, 12 by default
    assert client.get("/editor/articles/3/history").status_code == 200


def test_cookies_are_secure_when_the_site_is_https(demo_db: Path, tmp_path: Path) -> None:
    secure = Desk(demo_db, tmp_path, site_url="https://health.example.org")
    try:
        client = secure.client()
        page = client.get("/editor/sign-in")
        assert "secure" in page.headers["set-cookie"].lower()
        assert "samesite=strict" in page.headers["set-cookie"].lower()
    finally:
        secure.close()


@pytest.mark.parametrize(
    ("name", "password"),
    [("Ed", "the wrong password"), ("Nobody", PASSWORD), ("", ""), ("Ed", "x" * 5000)],
)
def test_a_failed_sign_in_says_one_plain_thing(desk: Desk, name: str, password: str) -> None:
    client = desk.client()
    fields = form_fields(client.get("/editor/sign-in").text, "/editor/sign-in")
    answer = client.post("/editor/sign-in", data=fields | {"name": name, "password": password})
    assert answer.status_code == 401
    assert accounts.SIGN_IN_FAILED.replace("'", "&#39;") in answer.text
    assert "healthqa_session" not in answer.headers.get("set-cookie", "")
    assert form_fields(answer.text, "/editor/sign-in")["name"] == name  # kept to correct


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(desk: Desk) -> None:
    client = desk.signed_in("Ed")
    accounts.disable(desk.library.store, "ed")
    assert client.get("/editor/").status_code == 303
    fields = form_fields(client.get("/editor/sign-in").text, "/editor/sign-in")
    answer = client.post("/editor/sign-in", data=fields | {"name": "Ed", "password": PASSWORD})
    assert answer.status_code == 401


def test_the_sign_in_form_needs_its_own_csrf_token(desk: Desk) -> None:
    client = desk.client()
    signing = {"name": "Ed", "password": PASSWORD}
    assert client.post("/editor/sign-in", data=signing).status_code == 403  # no cookie, no token
    fields = form_fields(client.get("/editor/sign-in").text, "/editor/sign-in")
    wrong = fields | signing | {"csrf": "x" * 43}
    refused = client.post("/editor/sign-in", data=wrong)
    assert refused.status_code == 403 and "expired" in refused.text
    assert client.post("/editor/sign-in", data=fields | signing).status_code == 303


def test_sign_in_attempts_are_limited_per_client(demo_db: Path, tmp_path: Path) -> None:
    limited = Desk(demo_db, tmp_path, rate_limit_signin=2, rate_limit_loopback=True)
    try:
        client = limited.client()
        fields = form_fields(client.get("/editor/sign-in").text, "/editor/sign-in")
        tries = [
            client.post("/editor/sign-in", data=fields | {"name": "Ed", "password": "wrong one"})
            for _ in range(3)
        ]
        assert [t.status_code for t in tries] == [401, 401, 429]
        assert "Retry-After" in tries[-1].headers and "<html" in tries[-1].text
    finally:
        limited.close()


def test_signing_out_ends_the_session(desk: Desk) -> None:
    client = desk.signed_in("Ed")
    page = client.get("/editor/")
    fields = form_fields(page.text, "/editor/sign-out")
    done = client.post("/editor/sign-out", data=fields)
    assert done.status_code == 303 and done.headers["location"].startswith("/editor/sign-in")
    assert client.get("/editor/").status_code == 303
    assert "You have signed out" in client.get("/editor/sign-in?signed_out=1").text


def test_an_expired_session_is_refused(desk: Desk) -> None:
    client = desk.signed_in("Ed")
    fields = edit_form(client, desk.article.id)
    with desk.library.store._write() as db:  # type: ignore[attr-defined]
        db.execute("UPDATE sessions SET expires = '2000-01-01T00:00:00Z'")
    assert client.get("/editor/").status_code == 303
    posted = client.post(f"/editor/articles/{desk.article.id}", data=fields | {"reason": "x"})
    assert posted.status_code == 403 and "not signed in" in posted.text
    assert desk.library.store.get_article(desk.article.id).revision == desk.article.revision


# Every state-changing route: no session, no CSRF token, nothing done ----------------------------


def _writes(desk: Desk) -> list[str]:
    """Every route of the app that changes state under /editor/, from the app's route list."""
    return [
        route.path
        for route in desk.app.routes
        if isinstance(route, APIRoute)
        and route.methods & WRITES
        and route.path.startswith("/editor/")
    ]


def test_every_editor_write_refuses_requests_without_a_session_or_a_csrf_token(
    desk: Desk,
) -> None:
    paths = _writes(desk)
    assert len(paths) >= 15, paths  # sign-in, sign-out, save, review, retire, ..., accounts
    assert {"/editor/admin/accounts", "/editor/admin/tokens/{token_id}/revoke"} <= set(paths)
    signed = desk.signed_in("Ada")
    other = desk.signed_in("Ed")
    theirs = form_fields(other.get("/editor/").text, "/editor/sign-out")["csrf"]
    tokens.create(desk.library.store, "robot", 30)
    before = _state(desk)
    for template in paths:
        path = _path(desk, template)
        fields = {"reason": "x", "status_reason": "x", "next_review": "2030-01-01"}
        fields |= {"revision": str(desk.article.revision), "title": "Hacked", "body": "Hacked"}
        fields |= {"name": "Mallory", "role": "admin", "password": "x" * 12, "days": "9"}
        anonymous = desk.client().post(path, data=fields)
        assert anonymous.status_code == 403, (path, anonymous.status_code)
        no_token = signed.post(path, data=fields)
        assert no_token.status_code == 403, (path, no_token.status_code)
        another_sessions = signed.post(path, data=fields | {"csrf": theirs})
        assert another_sessions.status_code == 403, (path, another_sessions.status_code)
    assert _state(desk) == before
    assert signed.get("/editor/").status_code == 200  # still signed in: nothing was undone


def _path(desk: Desk, template: str) -> str:
    """A route's path with each {name} filled: the article, else the first of its kind (the
    admin's account, the token)."""
    names = {name for _, name, _, _ in Formatter().parse(template) if name}
    return template.format(
        **{name: desk.article.id if name == "article_id" else 1 for name in names}
    )


def _state(desk: Desk) -> tuple[Any, ...]:
    """Everything a write under /editor/ could change."""
    store = desk.library.store
    return (desk.revisions(), store.last_change(), store.accounts(), store.tokens())


def test_the_api_tokens_keep_working_with_the_editor_role(desk: Desk) -> None:
    secret, _ = tokens.create(desk.library.store, "robot", 30)
    client = desk.client()
    answer = client.post(
        f"/api/v1/articles/{desk.article.id}/retire",
        json={"reason": "by the API"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert answer.status_code == 200 and answer.json()["status"] == "retired"


# Roles ------------------------------------------------------------------------------------------


def test_roles_are_enforced_on_the_server(desk: Desk) -> None:
    article_id = desk.article.id
    reviewer, editor = desk.signed_in("Rita"), desk.signed_in("Ed")
    base = f"/editor/articles/{article_id}"
    csrf = edit_form(reviewer, article_id)["csrf"]
    revision = str(desk.article.revision)
    edit = {"csrf": csrf, "revision": revision, "title": "X", "body": "Y", "reason": "z"}
    refused = reviewer.post(base, data=edit)
    assert refused.status_code == 403 and "cannot do this" in refused.text
    assert (
        reviewer.post(f"{base}/retire", data={"csrf": csrf, "status_reason": "x"}).status_code
        == 403
    )
    review = {"csrf": csrf, "revision": revision, "next_review": "2031-06-30"}
    assert reviewer.post(f"{base}/review", data=review).status_code == 303
    assert desk.library.store.get_article(article_id).next_review.isoformat() == "2031-06-30"
    ed_csrf = edit_form(editor, article_id)["csrf"]
    review = review | {"csrf": ed_csrf, "revision": str(desk.article.revision + 1)}
    assert editor.post(f"{base}/review", data=review).status_code == 403
    page = editor.get(base).text
    assert "Mark as reviewed" not in page and 'name="next_review"' not in page
    assert "Mark as reviewed" in reviewer.get(base).text
    assert "<fieldset disabled>" in reviewer.get(base).text  # reviewers read the text only


def test_an_editor_cannot_move_the_review_dates_through_the_edit_form(desk: Desk) -> None:
    client = desk.signed_in("Ed")
    fields = edit_form(client, desk.article.id)
    answer = client.post(
        f"/editor/articles/{desk.article.id}",
        data=fields | {"reason": "sneaky", "next_review": "2099-01-01", "title": "Leg cramps?"},
    )
    assert answer.status_code == 303
    after = desk.library.store.get_article(desk.article.id)
    assert after.title == "Leg cramps?" and after.next_review == desk.article.next_review


# Editing ----------------------------------------------------------------------------------------


def test_fix_a_typo_then_see_it_on_the_site_and_in_the_history(desk: Desk) -> None:
    client = desk.signed_in("Ed")
    fields = edit_form(client, desk.article.id)
    assert fields["body_format"] == "markdown" and fields["body"].startswith(TYPO)
    fixed = fields["body"].replace("tightenings", "tightening", 1)
    saved = client.post(
        f"/editor/articles/{desk.article.id}",
        data=fields | {"body": fixed, "reason": "Fixed a typo", "action": "save"},
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/editor/articles/{desk.article.id}?saved=saved"
    assert "Saved." in client.get(saved.headers["location"]).text
    article = desk.library.store.get_article(desk.article.id)
    assert "painful tightening of a muscle" in article.body_html
    assert article.revision == desk.article.revision + 1
    latest = desk.library.store.revisions(article.id)[-1]
    assert (latest.author, latest.reason) == ("Ed", "Fixed a typo")
    public = client.get(f"/articles/{SLUG}")
    assert "painful tightening of a muscle" in public.text
    history = client.get(f"/editor/articles/{article.id}/history").text
    assert "Fixed a typo" in history and "By <strong>Ed</strong>" in history
    assert 'class="diff-removed"' in history and 'class="diff-added"' in history


def test_restore_an_old_version_from_the_history(desk: Desk) -> None:
    client = desk.signed_in("Ed")
    first = desk.article.revision
    assert save(client, desk.article.id, title="A worse title?").status_code == 303
    history = client.get(f"/editor/articles/{desk.article.id}/history").text
    action = f"/editor/articles/{desk.article.id}/versions/{first}/restore"
    answer = client.post(action, data=form_fields(history, action))
    assert answer.status_code == 303
    article = desk.library.store.get_article(desk.article.id)
    assert article.title == desk.article.title and article.revision == first + 2
    assert desk.library.store.revisions(article.id)[-1].reason == f"Restored revision {first}"


def test_two_editors_saving_the_same_article_the_second_sees_the_conflict(desk: Desk) -> None:
    ada, ed = desk.signed_in("Ada"), desk.signed_in("Ed")
    hers, his = edit_form(ada, desk.article.id), edit_form(ed, desk.article.id)
    url = f"/editor/articles/{desk.article.id}"
    first = ada.post(url, data=hers | {"title": "Her title?", "reason": "hers", "action": "save"})
    assert first.status_code == 303
    his_body = his["body"] + "\nHis new last sentence.\n"
    second = ed.post(
        url, data=his | {"title": "His title?", "body": his_body, "reason": "his", "action": "save"}
    )
    assert second.status_code == 409
    page = second.text
    assert "Someone else saved this article first" in page
    assert "by <strong>Ada</strong>" in page and "“hers”" in page
    kept = form_fields(page, url)
    assert kept["title"] == "His title?" and kept["body"] == his_body  # nothing lost
    assert kept["reason"] == "his" and kept["revision"] == str(desk.article.revision + 1)
    assert "Her title?" in page  # their version is shown, and what differs
    assert '<li class="diff-added"><span class="visually-hidden">Added: </span>His new' in page
    assert desk.library.store.get_article(desk.article.id).title == "Her title?"
    again = ed.post(url, data=kept | {"action": "save"})  # knowingly, over hers
    assert again.status_code == 303
    assert desk.library.store.get_article(desk.article.id).title == "His title?"


def test_preview_shows_the_answer_as_it_will_be_saved_and_saves_nothing(desk: Desk) -> None:
    client = desk.signed_in("Ed")
    fields = edit_form(client, desk.article.id)
    body = "## Causes\n\n- **Cramp** <script>alert(1)</script>\n"
    answer = client.post(
        f"/editor/articles/{desk.article.id}", data=fields | {"body": body, "action": "preview"}
    )
    assert answer.status_code == 200
    assert "<h2>Causes</h2>" in answer.text and "<strong>Cramp</strong>" in answer.text
    assert "<script>alert" not in answer.text
    assert form_fields(answer.text, f"/editor/articles/{desk.article.id}")["body"] == body
    assert desk.library.store.get_article(desk.article.id).revision == desk.article.revision
    live = client.post(
        "/editor/preview", data={"csrf": fields["csrf"], "body": body, "body_format": "markdown"}
    )
    assert live.status_code == 200 and "<h2>Causes</h2>" in live.text
    assert "<script" not in live.text


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"reason": ""}, "say why you make this change"),
        ({"title": " "}, "title"),
        ({"next_review": "31/12/2030"}, "year-month-day"),
        ({"source_url": "javascript:alert(1)"}, "source_url"),
        ({"pins": "no-such-article"}, "there is no article"),
        ({"pins": SLUG}, "related to itself"),
    ],
)
def test_bad_input_gets_a_clear_message_and_nothing_is_saved(
    desk: Desk, changes: dict[str, str], said: str
) -> None:
    client = desk.signed_in("Ada")
    answer = save(client, desk.article.id, **changes)
    assert answer.status_code == 422, answer.text
    assert said in answer.text and "Nothing was saved" in answer.text
    assert desk.library.store.get_article(desk.article.id).revision == desk.article.revision


def test_retire_and_restore_keep_the_reason(desk: Desk) -> None:
    client = desk.signed_in("Ed")
    url = f"/editor/articles/{desk.article.id}"
    csrf = edit_form(client, desk.article.id)["csrf"]
    refused = client.post(f"{url}/retire", data={"csrf": csrf, "status_reason": " "})
    assert refused.status_code == 422 and "Say why you retire" in refused.text
    retired = client.post(f"{url}/retire", data={"csrf": csrf, "status_reason": "Out of date"})
    assert retired.status_code == 303
    assert client.get(f"/articles/{SLUG}").status_code == 404
    assert "Restore this article" in client.get(url).text
    restored = client.post(f"{url}/restore", data={"csrf": csrf, "status_reason": "Checked"})
    assert restored.status_code == 303
    reasons = [r.reason for r in desk.library.store.revisions(desk.article.id)[-2:]]
    assert reasons == ["Out of date", "Checked"]
    assert client.get(f"/articles/{SLUG}").status_code == 200


def test_pins_are_revisions_that_the_site_shows_at_once(desk: Desk) -> None:
    client = desk.signed_in("Ed")
    target = desk.library.store.get_article("how-long-does-it-usually-take-to-get-pregnant")
    assert target.title not in client.get(f"/articles/{SLUG}").text  # cached now
    answer = save(client, desk.article.id, pins=f"/articles/{target.slug}", reason="Asked")
    assert answer.status_code == 303
    latest = desk.library.store.revisions(desk.article.id)[-1]
    assert latest.content["related"] == [["pin", target.id]] and latest.author == "Ed"
    assert desk.library.store.changes_since(0)[-1].kind == "related"
    page = client.get(f"/articles/{SLUG}").text
    related = page[page.index('id="related"') :]
    assert target.title in related  # no wait for the cache to expire
    assert edit_form(client, desk.article.id)["pins"] == target.slug


def test_the_lists_and_the_search_within_them(desk: Desk) -> None:
    store = desk.library.store
    store.add_feedback(desk.article.id, False, "unclear", "2026-12-01T10:00:00Z")
    client = desk.signed_in("Ed")
    page = client.get("/editor/").text
    for heading in ("Review overdue or due", "Recently changed", "not helpful", "Retired ("):
        assert heading in page
    retired = store.get_article(RETIRED_SLUG)
    assert f"/editor/articles/{retired.id}" in page
    assert f"/editor/articles/{desk.article.id}" in page
    found = client.get("/editor/?q=cramps").text
    assert f"/editor/articles/{desk.article.id}" in found
    assert f'/editor/articles/{retired.id}"' not in found
    assert "Showing only articles that match" in found
    assert client.get("/editor/?q=" + "x" * 300).status_code == 400


def test_unknown_articles_and_bad_addresses_get_plain_pages(desk: Desk) -> None:
    client = desk.signed_in("Ed")
    for path in ("/editor/articles/999999", "/editor/articles/0", "/editor/articles/abc"):
        answer = client.get(path)
        assert answer.status_code in (400, 404) and "<html" in answer.text
        assert "Traceback" not in answer.text
