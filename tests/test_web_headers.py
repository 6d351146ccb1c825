from typing import Any

from healthqa.web.headers import DOCS_POLICY, PAGE_POLICY, policy


def test_pages_may_load_nothing_from_elsewhere_and_run_only_the_sites_own_script_files() -> None:
    assert "default-src 'self'" in PAGE_POLICY and "script-src 'self';" in PAGE_POLICY
    assert "unsafe-inline" not in PAGE_POLICY
    assert policy("/articles/x", "/api/v1/docs") == PAGE_POLICY
    assert policy("/api/v1/docs", "/api/v1/docs") == DOCS_POLICY


def test_every_response_carries_the_headers(client: Any) -> None:
    for path, status in [("/", 200), ("/api/v1/stats", 200), ("/nope", 404), ("/api/v1/x", 404)]:
        response = client.get(path)
        assert response.status_code == status
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == PAGE_POLICY
    docs = client.get("/api/v1/docs")
    assert docs.headers["content-security-policy"] == DOCS_POLICY
