"""Shared fixtures: tiny corpora written by the team, and paths to the real data in ../shared."""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from healthqa.store import Store, open_store

# CI runs the same examples every time (a failure there is reproducible); developers' runs
# explore new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Tests rank by keywords unless they ask for embeddings (a fake embedder, or the real model in
# tests that skip when the semantic extra is absent): results must not depend on what is
# installed.
os.environ["HEALTHQA_EMBEDDING_MODEL"] = "none"

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def store() -> Iterator[Store]:
    db = open_store(":memory:")
    yield db
    db.close()


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
