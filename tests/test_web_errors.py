"""One error model: every JSON error of every router is `ErrorResponse`, and the OpenAPI
document says so for every error status of every route."""

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import web_library
from fastapi.testclient import TestClient
from pydantic import ConfigDict

from healthqa import tokens
from healthqa.web import create_app
from healthqa.web.errors import ErrorBody, ErrorResponse


class StrictBody(ErrorBody):
    model_config = ConfigDict(extra="forbid", strict=True)


class StrictResponse(ErrorResponse):
    model_config = ConfigDict(extra="forbid", strict=True)
    error: StrictBody


@pytest.fixture(scope="module")
def app_client(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = tmp_path_factory.mktemp("errors") / "site.db"
    shutil.copy(demo_db, db)
    library = web_library(db)
    secret, _ = tokens.create(library.store, "alice", 1)
    with TestClient(create_app(library), raise_server_exceptions=False) as client:
        yield client, {"Authorization": f"Bearer {secret}"}


READ = [
    ("GET", "/api/v1/articles/no-such-article", 404),
    ("GET", "/api/v1/search?q=x&page=0", 422),
    ("GET", "/api/v1/topics?letter=ab&x=1", None),  # extra parameters are ignored: 200
    ("DELETE", "/api/v1/stats", 405),
    ("GET", "/api/v1/no/such/endpoint", 404),
]
EDITOR = [
    ("POST", "/api/v1/articles", 401, {}),
    ("POST", "/api/v1/articles", 400, {"content": b"{", "auth": True}),
    ("POST", "/api/v1/articles", 422, {"json": {"title": "x"}, "auth": True}),
    ("PUT", "/api/v1/articles/1", 428, {"json": {"title": "x", "body": "y", "reason": "z"}}),
    ("POST", "/api/v1/articles/999999/retire", 404, {"json": {"reason": "gone"}}),
    ("GET", "/api/v1/articles/999999/revisions", 404, {}),
    ("GET", "/api/v1/feedback", 401, {}),
    ("GET", "/api/v1/articles/999999/feedback", 404, {"auth": True}),
]


@pytest.mark.parametrize(("method", "path", "status"), READ)
def test_read_api_errors_are_the_one_model(
    app_client: Any, method: str, path: str, status: int | None
) -> None:
    client, _ = app_client
    response = client.request(method, path)
    if status is None:
        assert response.status_code == 200
        return
    assert response.status_code == status
    error = StrictResponse.model_validate(response.json()).error
    assert error.status == status and error.message


@pytest.mark.parametrize(("method", "path", "status", "options"), EDITOR)
def test_editor_and_feedback_errors_are_the_one_model(
    app_client: Any, method: str, path: str, status: int, options: dict[str, Any]
) -> None:
    client, auth = app_client
    headers = {"Content-Type": "application/json"}
    if options.get("auth", method != "GET" and status != 401):
        headers |= auth
    response = client.request(
        method, path, headers=headers, json=options.get("json"), content=options.get("content")
    )
    assert response.status_code == status, response.text
    error = StrictResponse.model_validate(response.json()).error
    assert error.status == status and error.message


def test_every_documented_error_names_the_one_model(app_client: Any) -> None:
    client, _ = app_client
    document = client.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert not {"ErrorOut", "ErrorDetail"} & set(schemas)  # the editor's old second envelope
    errors = [
        (path, method, status, answer)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
        if status[0] in "45"
    ]
    assert len({path for path, *_ in errors}) == len(document["paths"])  # every route has some
    for path, method, status, answer in errors:
        if status == "422" and "HTTPValidationError" in str(answer):
            pytest.fail(f"{method} {path}: FastAPI's own 422 shape is documented")
        schema = answer["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (path, method, status)
    assert set(schemas["ErrorBody"]["required"]) == {"status", "code", "message", "field"}
