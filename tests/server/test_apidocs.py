"""`/docs` works without internet: Swagger UI's page and files come from the installed package."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from voxcas.server.apidocs import FILES, swagger_files


def test_the_docs_page_loads_swagger_ui_from_this_server_only(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/docs/assets/") for s in sources), sources
    assert "'/openapi.json'" in page.text or '"/openapi.json"' in page.text


@pytest.mark.parametrize("name", FILES)
def test_each_file_of_the_docs_page_is_the_packaged_one(client: TestClient, name: str) -> None:
    response = client.get(f"/docs/assets/{name}")
    assert response.status_code == 200
    assert response.content == (swagger_files() / name).read_bytes()


def test_the_packaged_swagger_ui_reads_openapi_3_1() -> None:
    bundle = (swagger_files() / "swagger-ui-bundle.js").read_text(encoding="utf-8", errors="replace")
    assert "OpenAPI 3.1" in bundle or "openapi31" in bundle.lower()


@pytest.mark.parametrize("name", ["index.html", "..%2Fcore.py", "swagger-editor.js"])
def test_no_other_file_of_the_package_is_served(client: TestClient, name: str) -> None:
    assert client.get(f"/docs/assets/{name}").status_code == 404


def test_redoc_is_not_served_since_it_needs_a_cdn(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404
