import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from conftest import quiet_settings
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthqa import tokens
from healthqa.library import Library
from healthqa.web.app import create_app

ARTICLE = {
    "title": "What causes leg cramps?",
    "body": "<p>Cramps are sudden tight pains in the calf.</p><script>alert(1)</script>",
    "topic": {"name": "Leg cramps", "synonyms": ["charley horse"]},
    "question_type": "cause",
    "source_url": "https://example.org/leg-cramps",
    "last_reviewed": "2026-01-31",
    "next_review": "2029-01-31",
    "reason": "new leaflet",
}


class Site:
    """The editor app over a real SQLite file, with one editor's token."""

    def __init__(self, path: Path, **overrides: object) -> None:
        settings = quiet_settings(**overrides)
        self.library = Library(str(path / "site.db"), settings=settings)
        self.client = TestClient(create_app(self.library), raise_server_exceptions=True)
        self.token, _ = tokens.create(self.library.store, "alice", 30)

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def create(self, **changes: Any) -> httpx.Response:
        return self.client.post("/api/v1/articles", json=ARTICLE | changes, headers=self.auth())

    def put(self, key: object, etag: str | None, **changes: Any) -> httpx.Response:
        headers = self.auth() | ({"If-Match": etag} if etag else {})
        return self.client.put(f"/api/v1/articles/{key}", json=ARTICLE | changes, headers=headers)

    def revisions(self) -> int:
        return int(self.library.store.stats()["revisions"])

    def close(self) -> None:
        self.client.close()
        self.library.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    opened = Site(tmp_path)
    yield opened
    opened.close()


def assert_error(response: httpx.Response, status: int, code: str, field: str | None = None) -> str:
    """The response is the error envelope with this status, code and field; its message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"status", "code", "message", "field"}
    assert (error["status"], error["code"], error["field"]) == (status, code, field)
    assert error["message"]
    return str(error["message"])


def test_create_answers_201_with_location_etag_and_the_cleaned_article(site: Site) -> None:
    response = site.create()
    assert response.status_code == 201, response.text
    article = response.json()
    assert response.headers["Location"] == f"/api/v1/articles/{article['id']}"
    assert response.headers["ETag"] == article["etag"] == f'"a{article["id"]}-r1"'
    assert article["body_html"] == "<p>Cramps are sudden tight pains in the calf.</p>"
    assert article["topic"]["synonyms"] == ["charley horse"]
    assert (article["source"], article["status"], article["revision"]) == ("editor", "published", 1)
    assert article["next_review"] == "2029-01-31"
    (revision,) = site.library.store.revisions(article["id"])
    assert (revision.author, revision.reason) == ("alice", "new leaflet")


def test_update_needs_if_match_and_a_stale_one_gets_412(site: Site) -> None:
    created = site.create().json()
    etag = created["etag"]
    assert_error(site.put(created["id"], None, title="Why?"), 428, "precondition_required")
    updated = site.put(created["id"], etag, title="Why do legs cramp?", reason="clearer")
    assert updated.status_code == 200, updated.text
    assert updated.headers["ETag"] == updated.json()["etag"] == f'"a{created["id"]}-r2"'
    message = assert_error(
        site.put(created["id"], etag, title="Stale?"), 412, "precondition_failed"
    )
    assert "at revision 2, not 1" in message
    assert site.library.store.get_article(created["id"]).title == "Why do legs cramp?"
    by_slug = site.put(created["slug"], updated.headers["ETag"], title="By slug?")
    assert by_slug.json()["revision"] == 3
    assert_error(site.put(999, '"a999-r1"'), 404, "not_found")


def test_of_two_updates_with_one_etag_exactly_one_lands(site: Site) -> None:
    created = site.create().json()
    start = threading.Barrier(4)
    statuses: list[int] = []

    def edit(number: int) -> None:
        start.wait()
        statuses.append(
            site.put(created["id"], created["etag"], title=f"Edit {number}?").status_code
        )

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412, 412, 412]
    assert site.revisions() == 2


def test_retire_and_restore_need_a_reason_and_repeat_idempotently(site: Site) -> None:
    created = site.create().json()
    url = f"/api/v1/articles/{created['id']}"
    retired = site.client.post(f"{url}/retire", json={"reason": "superseded"}, headers=site.auth())
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    assert retired.headers["ETag"] == f'"a{created["id"]}-r2"'
    again = site.client.post(f"{url}/retire", json={"reason": "again"}, headers=site.auth())
    assert again.status_code == 200 and again.json()["revision"] == 2
    missing = site.client.post(f"{url}/restore", json={}, headers=site.auth())
    assert_error(missing, 422, "missing_field", "reason")
    restored = site.client.post(f"{url}/restore", json={"reason": "back"}, headers=site.auth())
    assert restored.json()["status"] == "published" and restored.json()["revision"] == 3
    gone = site.client.post(
        "/api/v1/articles/999/retire", json={"reason": "x"}, headers=site.auth()
    )
    assert_error(gone, 404, "not_found")


def test_revisions_are_public_with_author_reason_time_and_number(site: Site) -> None:
    created = site.create().json()
    site.put(created["id"], created["etag"], title="Why do legs cramp?", reason="clearer")
    response = site.client.get(f"/api/v1/articles/{created['slug']}/revisions")
    assert response.status_code == 200
    body = response.json()
    assert body["article_id"] == created["id"]
    assert [(r["number"], r["author"], r["reason"], r["title"]) for r in body["revisions"]] == [
        (1, "alice", "new leaflet", "What causes leg cramps?"),
        (2, "alice", "clearer", "Why do legs cramp?"),
    ]
    assert all(r["created"].endswith("Z") for r in body["revisions"])
    assert_error(site.client.get("/api/v1/articles/999/revisions"), 404, "not_found")


def test_every_write_is_refused_without_a_valid_token(site: Site) -> None:
    created = site.create().json()
    expired, _ = tokens.create(
        site.library.store, "old", 1, now=datetime.now(UTC) - timedelta(days=2)
    )
    revoked, _ = tokens.create(site.library.store, "bob", 30)
    tokens.revoke(site.library.store, "bob")
    url = f"/api/v1/articles/{created['id']}"
    writes = [
        ("POST", "/api/v1/articles", ARTICLE),
        ("PUT", url, ARTICLE),
        ("POST", f"{url}/retire", {"reason": "x"}),
        ("POST", f"{url}/restore", {"reason": "x"}),
    ]
    credentials: list[dict[str, str]] = [
        {},
        {"Authorization": "Basic YWxpY2U6c2VjcmV0"},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Bearer hqa_" + "x" * 43},
        site.auth(expired),
        site.auth(revoked),
    ]
    before = site.revisions()
    for method, path, body in writes:
        for headers in credentials:
            response = site.client.request(method, path, json=body, headers=headers)
            assert_error(response, 401, "unauthorized")
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert site.revisions() == before


def test_a_body_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    site = Site(tmp_path, max_request_bytes=2_000)
    big = ARTICLE | {"body": "<p>" + "word " * 500 + "</p>"}
    assert_error(site.create(**big), 413, "payload_too_large")
    chunks = (json.dumps(big).encode()[n : n + 100] for n in range(0, 4000, 100))
    streamed = site.client.post(  # chunked: no Content-Length, counted while read
        "/api/v1/articles",
        content=chunks,
        headers=site.auth() | {"Content-Type": "application/json"},
    )
    assert "content-length" not in streamed.request.headers
    assert_error(streamed, 413, "payload_too_large")
    assert site.create().status_code == 201
    assert site.revisions() == 1
    site.close()


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code", "words"),
    [
        (b'{"title": "x",', "application/json", 400, "invalid_json", "not valid JSON"),
        (b"[1, 2]", "application/json", 400, "invalid_body", "must be a JSON object"),
        (b"", "application/json", 400, "invalid_body", "is missing"),
        (b"title=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type", "JSON"),
        (b'{"title": "x"}', "", 415, "unsupported_media_type", "JSON"),
    ],
)
def test_a_body_that_is_not_a_json_object_gets_a_clear_4xx(
    site: Site, content: bytes, content_type: str, status: int, code: str, words: str
) -> None:
    headers = site.auth() | ({"Content-Type": content_type} if content_type else {})
    response = site.client.post("/api/v1/articles", content=content, headers=headers)
    assert words in assert_error(response, status, code)


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"title": None}, "title", "invalid_field"),
        ({"title": "x" * 501}, "title", "invalid_field"),
        ({"title": "   "}, "title", "invalid_field"),
        ({"body": "<script>only()</script>"}, "body", "invalid_field"),
        ({"body": 42}, "body", "invalid_field"),
        ({"body_format": "pdf"}, "body_format", "invalid_field"),
        ({"topic": {"name": "x" * 201}}, "topic.name", "invalid_field"),
        ({"topic": {"name": "Cramps", "synonyms": [""]}}, "topic.synonyms.0", "invalid_field"),
        ({"source_url": "javascript:alert(1)"}, "source_url", "invalid_field"),
        ({"source_url": "data:text/html,<script>x()</script>"}, "source_url", "invalid_field"),
        ({"source_url": "vbscript:msgbox(1)"}, "source_url", "invalid_field"),
        ({"last_reviewed": "last week"}, "last_reviewed", "invalid_field"),
        ({"reason": ""}, "reason", "invalid_field"),
        ({"reason": "x" * 1001}, "reason", "invalid_field"),
        ({"colour": "red"}, "colour", "invalid_field"),
    ],
)
def test_a_bad_field_gets_422_naming_it_and_nothing_is_written(
    site: Site, changes: dict[str, Any], field: str, code: str
) -> None:
    assert_error(site.create(**changes), 422, code, field)
    assert site.library.store.stats()["articles"] == 0


def test_missing_fields_are_named(site: Site) -> None:
    response = site.client.post(
        "/api/v1/articles", json={"title": "x?", "reason": "r"}, headers=site.auth()
    )
    assert "body" in assert_error(response, 422, "missing_field", "body")


def test_an_update_that_fails_leaves_the_article_as_it_was(site: Site) -> None:
    created = site.create().json()
    assert_error(site.put(created["id"], created["etag"], body=""), 422, "invalid_field", "body")
    assert_error(
        site.put(created["id"], created["etag"], source="cdc"), 422, "invalid_field", "source"
    )
    current = site.library.store.get_article(created["id"])
    assert (current.revision, current.title) == (1, ARTICLE["title"])


def test_an_external_id_taken_in_its_source_is_409(site: Site) -> None:
    assert site.create(source="nhs", external_id="cramps").status_code == 201
    assert_error(site.create(source="nhs", external_id="cramps"), 409, "conflict")


def test_unknown_routes_and_methods_use_the_envelope(site: Site) -> None:
    assert_error(site.client.get("/api/v1/nowhere"), 404, "not_found")
    assert_error(site.client.delete("/api/v1/articles/1/revisions"), 405, "method_not_allowed")


def test_the_openapi_document_describes_the_editor_api(site: Site) -> None:
    document = site.client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    assert set(paths) >= {
        "/api/v1/articles",
        "/api/v1/articles/{key}",
        "/api/v1/articles/{key}/retire",
        "/api/v1/articles/{key}/restore",
        "/api/v1/articles/{key}/revisions",
    }
    create = paths["/api/v1/articles"]["post"]
    assert create["security"] == [{"HTTPBearer": []}]
    assert {"201", "401", "409", "413", "422"} <= set(create["responses"])
    update = paths["/api/v1/articles/{key}"]["put"]
    assert {"412", "428"} <= set(update["responses"])
    assert any(p["name"] == "if-match" for p in update["parameters"])
    assert "security" not in paths["/api/v1/articles/{key}/revisions"]["get"]
    schemas = document["components"]["schemas"]
    assert {"title", "body", "reason"} <= set(schemas["ArticleCreate"]["required"])
    assert schemas["ErrorResponse"]["properties"]["error"]["$ref"].endswith("ErrorBody")
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_checks_run_in_the_documented_order(tmp_path: Path) -> None:
    site = Site(tmp_path, max_request_bytes=100)
    no_token = {"Content-Type": "text/plain"}
    big = b"x" * 101
    assert_error(
        site.client.post("/api/v1/articles", content=big, headers=no_token),
        413,
        "payload_too_large",
    )
    small = b'{"title": '
    assert_error(
        site.client.post("/api/v1/articles", content=small, headers=no_token),
        415,
        "unsupported_media_type",
    )
    as_json = {"Content-Type": "application/json"}
    assert_error(
        site.client.post("/api/v1/articles", content=small, headers=as_json), 400, "invalid_json"
    )
    fields = b'{"title": 1}'
    assert_error(
        site.client.post("/api/v1/articles", content=fields, headers=as_json), 401, "unauthorized"
    )
    with_token = as_json | site.auth()
    response = site.client.post("/api/v1/articles", content=fields, headers=with_token)
    assert_error(response, 422, "invalid_field", "title")
    site.close()


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = st.sampled_from([*ARTICLE, "body_format", "source", "external_id", "licence", "language"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.dictionaries(FIELDS, JSON_VALUES, max_size=4), drop=st.sets(FIELDS, max_size=2))
def test_hostile_bodies_get_a_clear_4xx_never_a_500(
    site: Site, changes: dict[str, Any], drop: set[str]
) -> None:
    body = {k: v for k, v in (ARTICLE | changes).items() if k not in drop}
    response = site.client.post("/api/v1/articles", json=body, headers=site.auth())
    if response.status_code != 201:
        error = response.json()["error"]
        assert error["status"] == response.status_code in (400, 409, 422)
        assert error["message"]


def test_a_retired_articles_revisions_are_404_to_readers_and_shown_to_editors(site: Site) -> None:
    created = site.create().json()
    url = f"/api/v1/articles/{created['id']}"
    site.client.post(f"{url}/retire", json={"reason": "superseded"}, headers=site.auth())
    assert_error(site.client.get(f"{url}/revisions"), 404, "not_found")
    assert_error(site.client.get(f"/api/v1/articles/{created['slug']}/revisions"), 404, "not_found")
    bad = site.client.get(f"{url}/revisions", headers=site.auth("not-a-token"))
    assert_error(bad, 401, "unauthorized")
    shown = site.client.get(f"{url}/revisions", headers=site.auth())
    assert [r["status"] for r in shown.json()["revisions"]] == ["published", "retired"]
    site.client.post(f"{url}/restore", json={"reason": "back"}, headers=site.auth())
    assert site.client.get(f"{url}/revisions").status_code == 200


def test_the_read_apis_etag_is_the_if_match_an_update_needs(site: Site) -> None:
    """docs/editor-api.md: fetch the article, edit, send its ETag back as If-Match."""
    created = site.create().json()
    read = site.client.get(f"/api/v1/articles/{created['id']}")
    assert read.status_code == 200 and read.json()["article"]["title"] == created["title"]
    tag = read.headers["ETag"]
    assert tag.startswith(f'"a{created["id"]}-r1-')
    unchanged = site.client.get(f"/api/v1/articles/{created['id']}", headers={"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == tag
    updated = site.put(created["id"], tag, title="Why do legs cramp?", reason="clearer")
    assert updated.status_code == 200, updated.text
    assert_error(site.put(created["id"], tag, title="Stale?"), 412, "precondition_failed")


def test_the_schema_refuses_what_the_server_refuses(site: Site) -> None:
    """Text fields the server refuses when empty or blank say so in the OpenAPI document."""
    schemas = site.client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for model in ("ArticleCreate", "ArticleIn", "StatusChange"):
        for name, field in schemas[model]["properties"].items():
            if name in ("title", "body", "reason"):
                assert field["minLength"] == 1 and field["pattern"] == r"\S", (model, name)
                assert not re.search(field["pattern"], " \t\n")
    for field in ("title", "body", "reason"):
        assert_error(site.create(**{field: " \n "}), 422, "invalid_field", field)
    assert_error(site.create(body=""), 422, "invalid_field", "body")
    url = site.create().json()["id"]
    retire = f"/api/v1/articles/{url}/retire"
    response = site.client.post(retire, json={"reason": "   "}, headers=site.auth())
    assert_error(response, 422, "invalid_field", "reason")
    source_url = schemas["ArticleIn"]["properties"]["source_url"]["anyOf"][0]
    assert re.search(source_url["pattern"], "https://example.org/a")
    assert not re.search(source_url["pattern"], "javascript:alert(1)")


def test_a_405_names_every_method_the_address_takes(site: Site) -> None:
    for path, allowed in [
        ("/api/v1/articles/1", "GET, PUT"),
        ("/api/v1/articles", "GET, POST"),
        ("/api/v1/articles/1/retire", "POST"),
        ("/api/v1/articles/1/revisions", "GET"),
        ("/articles/some-slug", "GET, HEAD"),
        ("/static/site.css", "GET, HEAD"),
    ]:
        for method in ("OPTIONS", "DELETE"):
            response = site.client.request(method, path)
            assert response.status_code == 405, (method, path)
            assert response.headers["Allow"] == allowed, (method, path)


def test_an_edited_article_is_the_read_apis_article_and_what_an_editor_needs(site: Site) -> None:
    created = site.create().json()
    read = site.client.get(f"/api/v1/articles/{created['id']}").json()["article"]
    extra = {"body_text", "external_id", "status", "created", "etag"}
    assert set(created) == set(read) | extra
    assert {k: v for k, v in created.items() if k not in extra} == read
    assert created["topic"]["url"] == f"/topics/{created['topic']['slug']}"
    assert created["etag"] == '"a{}-r1"'.format(created["id"])


def test_the_node_that_wrote_a_change_finds_it_at_once(site: Site) -> None:
    """Read your writes: the worker that answered a write has applied it to its own index,
    though its own look at the change log is not due for an hour."""
    site.client.app.state.site.sync_seconds = 3600  # type: ignore[attr-defined]

    def found(words: str) -> set[int]:
        response = site.client.get("/api/v1/search", params={"q": words})
        assert response.status_code == 200, response.text
        return {result["id"] for result in response.json()["results"]}

    assert found("cramps") == set()  # the worker has looked at the change log: not again soon
    created = site.create().json()
    assert found("cramps") == {created["id"]}
    body = "<p>Night cramps often ease with a calf stretch.</p>"
    response = site.put(created["id"], created["etag"], body=body)
    assert response.status_code == 200, response.text
    assert found("stretch") == {created["id"]}
    reason = {"reason": "merged"}
    retired = site.client.post(
        f"/api/v1/articles/{created['id']}/retire", json=reason, headers=site.auth()
    )
    assert retired.status_code == 200, retired.text
    assert found("stretch") == set()
