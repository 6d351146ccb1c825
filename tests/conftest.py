"""Shared fixtures: tiny corpora written by the team, and paths to the real data in ../shared."""

from __future__ import annotations

import io
import json
import os
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from healthqa.store import Store, open_store

# CI runs the same examples every time (a failure there is reproducible); developers' runs
# explore new ones. Neither times an example: speed is for benchmarks, and a deadline fails on
# a loaded machine for no fault of the code.
settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
settings.register_profile("local", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "local")

# Tests rank by keywords unless they ask for embeddings (a fake embedder, or the real model in
# tests that skip when the semantic extra is absent): results must not depend on what is
# installed.
os.environ["HEALTHQA_EMBEDDING_MODEL"] = "none"

FIXTURES = Path(__file__).parent / "fixtures"
# A PostgreSQL server for the PostgreSQL backend's tests; each test gets its own schema.
POSTGRES = os.environ.get("HEALTHQA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def store() -> Iterator[Store]:
    db = open_store(":memory:")
    yield db
    db.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a new, empty schema on the test PostgreSQL server, dropped afterwards.

    Skipped when no server answers, unless HEALTHQA_REQUIRE_POSTGRES=1 (CI) makes it a failure.
    """
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("HEALTHQA_REQUIRE_POSTGRES"):
            pytest.fail(f"no PostgreSQL server at {POSTGRES}: {exc}")
        pytest.skip(f"no PostgreSQL server at {POSTGRES} (set HEALTHQA_TEST_POSTGRES)")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in POSTGRES else "?"
    try:
        yield f"{POSTGRES}{separator}options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def shared_path(*parts: str) -> Path:
    """A file of the real data beside the repository; the test is skipped when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here (the real data lives beside the repository)")
    return path


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def make_tar(path: Path, members: dict[str, bytes], mode: str = "w:gz") -> Path:
    """A tar archive with exactly these member names and contents (names are not checked)."""
    with tarfile.open(path, mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def beir_row(_id: str, title: str, text: str, **metadata: object) -> dict[str, object]:
    return {"_id": _id, "title": title, "text": text, "metadata": metadata}


# The web app over a real SQLite file of the bundled demo articles (tests/test_web_*.py) -------

RETIRED_SLUG = "how-soon-can-i-get-pregnant-again-after-giving-birth"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file of the 46 demo articles, one of them retired; built once, read only."""
    from healthqa.cli import demo_path
    from healthqa.imports import import_paths

    path = tmp_path_factory.mktemp("web") / "demo.db"
    db = open_store(str(path))
    import_paths(db, [str(demo_path())], workers=0)
    db.set_status(RETIRED_SLUG, "retired", "test", "retired for the web tests")
    db.close()
    return path


def quiet_settings(**overrides: Any) -> dict[str, Any]:
    """Default settings, read from neither the environment nor a file, with keyword ranking
    (so results do not depend on whether the semantic extra is installed) and `overrides`."""
    from healthqa import config

    defaults = config.load({}, Path("/nonexistent/healthqa.toml"))
    return defaults | {"embedding_model": "none"} | overrides


def web_library(db: Path) -> Any:
    """A Library on `db` with the test settings."""
    from healthqa.library import Library

    return Library(str(db), settings=quiet_settings())


@pytest.fixture(scope="session")
def client(demo_db: Path) -> Iterator[Any]:
    """An in-process HTTP client of the real app over the demo database."""
    from fastapi.testclient import TestClient

    from healthqa.web import create_app

    with TestClient(create_app(web_library(demo_db)), raise_server_exceptions=False) as made:
        yield made
