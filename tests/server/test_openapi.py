"""The committed HTTP contract (`api/openapi.json`) is exactly what the app serves."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from voxcas.server.openapi import DEFAULT_PATH, openapi_schema, render

MakeClient = Callable[..., TestClient]


def test_api_openapi_json_equals_the_apps_schema() -> None:
    committed = DEFAULT_PATH.read_text(encoding="utf-8")
    assert committed == render(), "api/openapi.json is stale: run `python -m voxcas.server.openapi`"


def test_the_app_serves_its_schema_and_the_docs_page(client: TestClient) -> None:
    assert client.get("/openapi.json").json() == json.loads(json.dumps(openapi_schema()))
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


def test_every_route_documents_its_summary() -> None:
    schema = openapi_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"


def _operations() -> list[tuple[str, str, dict[str, object]]]:
    return [
        (method, path, operation)
        for path, operations in openapi_schema()["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_route_that_answers_401_without_a_token_documents_401(make_client: MakeClient) -> None:
    client = make_client(token="s3cret")
    checked = 0
    for method, path, operation in _operations():
        concrete = re.sub(r"\{[^}]*\}", "abc", path)
        status = client.request(method.upper(), concrete).status_code
        if status == 401:
            checked += 1
            assert "401" in operation["responses"], f"{method.upper()} {path} answers 401 undocumented"  # type: ignore[operator]
    assert checked > 10  # the protected routes were reached, not bypassed


def test_every_route_documents_the_413_of_the_body_limit() -> None:
    for method, path, operation in _operations():
        assert "413" in operation["responses"], f"{method.upper()} {path}"  # type: ignore[operator]


@pytest.mark.parametrize("field", ["workers", "max_seconds"])
def test_a_boolean_where_a_number_is_expected_is_a_422(client: TestClient, field: str) -> None:
    response = client.post("/runs", json={"program": 'print "x" 1\n', field: True})
    assert response.status_code == 422, response.text
    assert field in response.json()["error"]
