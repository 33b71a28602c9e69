"""Property-based: every documented GET, with generated parameters, answers as its OpenAPI says.

Catches 5xx from our code and responses whose status, content type or body the schema does not
describe. The one check left out is "a schema-valid request is accepted": a cursor is an opaque
string, so a made-up one is schema-valid and is still (rightly) refused with 422.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from nceflow.devstack.processes import free_port, start_service


@pytest.fixture(scope="module")
def catalog_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    state = tmp_path_factory.mktemp("catalog-openapi")
    proc = start_service(
        "nceflow.catalog",
        free_port(),
        {"NCEFLOW_CATALOG_CATALOGUE_FILE": str(state / "catalogue.json")},
        port_variable="NCEFLOW_CATALOG_PORT",
        log_path=state / "catalog.log",
    )
    try:
        yield schemathesis.openapi.from_url(f"{proc.url}/openapi.json")
    finally:
        proc.stop()


@pytest.mark.integration  # a real server on loopback
def test_every_get_conforms_to_the_openapi_document(catalog_schema: Any) -> None:
    checked = []
    for result in catalog_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def conforms(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        conforms()
        checked.append(operation.label)
    assert "GET /v1/tiles/{tile_id}/plans" in checked
