"""schemathesis against the API's own OpenAPI document: no server error, no schema violation.

Every operation of the document gets `EXAMPLES` valid and `EXAMPLES` invalid requests, each
checked by all of schemathesis's checks. A short run keeps CI under a minute; docs/web.md
gives the command for a longer one. (schemathesis's pytest plugin does not run on this
pytest, so the operations are driven through Hypothesis directly.)
"""

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from conftest import web_library
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.generation.modes import GenerationMode

from healthqa import tokens
from healthqa.web import api, create_app, editor, feedback

EXAMPLES = int(os.environ.get("HEALTHQA_SCHEMATHESIS_EXAMPLES", "15"))


@pytest.fixture(scope="module")
def site(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str]:
    """The API's document, over a copy of the demo database (the editor routes write to it),
    and an editor's token."""
    db = tmp_path_factory.mktemp("schemathesis") / "site.db"
    shutil.copy(demo_db, db)
    library = web_library(db)
    secret, _ = tokens.create(library.store, "schemathesis", 1)
    app = create_app(library)
    return schemathesis.openapi.from_asgi(f"{api.PREFIX}/openapi.json", app), secret


def operations(schema: Any) -> dict[str, Any]:
    found = [result.ok() for result in schema.get_all_operations()]
    return {operation.label: operation for operation in found}


READS = [f"GET {api.PREFIX}{path}" for path, *_ in api.ROUTES]
WRITES = sorted(
    f"{method} {api.PREFIX}{route.path}"
    for route in editor.router.routes
    for method in route.methods  # type: ignore[attr-defined]
)

EDITOR_READS = [f"GET {api.PREFIX}{route.path}" for route in feedback.router().routes]  # type: ignore[attr-defined]


def test_every_api_route_is_in_the_document(site: tuple[Any, str]) -> None:
    assert set(operations(site[0])) == set(READS) | set(WRITES) | set(EDITOR_READS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("label", READS + WRITES + EDITOR_READS)
def test_api_answers_as_its_document_says(
    site: tuple[Any, str], label: str, mode: GenerationMode
) -> None:
    schema, secret = site
    operation = operations(schema)[label]
    if mode == GenerationMode.NEGATIVE and not list(operation.iter_parameters()):
        pytest.skip("no parameters to make invalid")
    # Writes carry a valid token, so generated bodies reach the editor's own checks.
    needs_token = label in WRITES or label in EDITOR_READS
    headers = {"Authorization": f"Bearer {secret}"} if needs_token else {}
    # A write can be refused for what no schema says (a body that is empty once sanitised, an
    # If-Match of another revision), so "a schema-valid request is accepted" is not checked for
    # writes; every other check is (no server error, responses as documented, ...).
    excluded = [positive_data_acceptance] if label in WRITES else []
    # An editor's read gets the valid token even when schemathesis broke the header on purpose
    # and then expects a refusal: only the other checks apply to its invalid requests.
    if label in EDITOR_READS and mode == GenerationMode.NEGATIVE:
        excluded.append(negative_data_rejection)

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    try:
        run()
    except Unsatisfiable:  # e.g. a path's free-text key: no value breaks its schema
        assert mode == GenerationMode.NEGATIVE
        pytest.skip("no request breaking this operation's schema can be made")
