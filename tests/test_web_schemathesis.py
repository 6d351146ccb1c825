"""schemathesis against the API's own OpenAPI document: no server error, no schema violation.

Every operation of the document gets `EXAMPLES` valid and `EXAMPLES` invalid requests, each
checked by all of schemathesis's checks. A short run keeps CI under a minute; docs/web.md
gives the command for a longer one. (schemathesis's pytest plugin does not run on this
pytest, so the operations are driven through Hypothesis directly.)
"""

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from conftest import web_library
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode

from healthqa.web import api, create_app

EXAMPLES = int(os.environ.get("HEALTHQA_SCHEMATHESIS_EXAMPLES", "15"))


@pytest.fixture(scope="module")
def api_schema(demo_db: Path) -> Any:
    app = create_app(web_library(demo_db))
    return schemathesis.openapi.from_asgi(f"{api.PREFIX}/openapi.json", app)


def operations(schema: Any) -> dict[str, Any]:
    found = [result.ok() for result in schema.get_all_operations()]
    return {operation.label: operation for operation in found}


def test_every_api_route_is_in_the_document(api_schema: Any) -> None:
    expected = {f"GET {api.PREFIX}{path}" for path, *_ in api.ROUTES}
    assert set(operations(api_schema)) == expected


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("path", [path for path, *_ in api.ROUTES])
def test_api_answers_as_its_document_says(api_schema: Any, path: str, mode: GenerationMode) -> None:
    operation = operations(api_schema)[f"GET {api.PREFIX}{path}"]
    if mode == GenerationMode.NEGATIVE and not list(operation.iter_parameters()):
        pytest.skip("no parameters to make invalid")

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case: Any) -> None:
        case.call_and_validate()

    run()
