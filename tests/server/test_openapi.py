"""The committed HTTP contract (`api/openapi.json`) is exactly what the app serves."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from voxcas.server.openapi import DEFAULT_PATH, openapi_schema, render


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
