"""`/health`, `/primitives`, bearer-token auth, request size limits and the JSON error shape."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voxcas import __version__

MakeClient = Callable[..., TestClient]


def test_health_answers_ok_with_the_version(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__, "auth": False, "data_roots": 0}


def test_a_missing_token_is_401(make_client: MakeClient) -> None:
    client = make_client(token="s3cret")
    response = client.get("/refs")
    assert response.status_code == 401
    assert response.json() == {"error": "missing bearer token: send 'Authorization: Bearer <token>'"}
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_wrong_token_is_401(make_client: MakeClient) -> None:
    client = make_client(token="s3cret")
    response = client.get("/refs", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json() == {"error": "invalid bearer token"}


def test_the_right_token_is_let_in(make_client: MakeClient) -> None:
    client = make_client(token="s3cret")
    response = client.get("/refs", headers={"Authorization": "Bearer s3cret"})
    assert response.status_code == 200
    assert response.json() == {"refs": []}


def test_health_needs_no_token_and_says_auth_is_on(make_client: MakeClient) -> None:
    client = make_client(token="s3cret")
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["auth"] is True


def test_a_body_over_the_limit_is_413(make_client: MakeClient) -> None:
    client = make_client(max_body_bytes=1024)
    response = client.post("/objects/missing", json={"digests": ["sha256:" + "0" * 64] * 40})
    assert response.status_code == 413
    assert response.json() == {"error": "request body too large: the limit is 1 KiB"}


def test_a_chunked_body_over_the_limit_is_cut_off_with_413(make_client: MakeClient) -> None:
    client = make_client(max_body_bytes=1024)

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b'{"digests": [' + b" " * 500

    response = client.post("/objects/missing", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"error": "request body too large: the limit is 1 KiB"}


def test_a_malformed_request_names_the_field(client: TestClient) -> None:
    response = client.post("/objects/missing", json={"digest": []})
    assert response.status_code == 422
    assert response.json() == {"error": "invalid request: body.digests: Field required"}


def test_primitives_lists_the_registry_with_signatures(client: TestClient) -> None:
    response = client.get("/primitives")
    assert response.status_code == 200
    names = {p["name"]: p for p in response.json()["primitives"]}
    assert names, "the built-in registry has primitives"
    some = next(iter(names.values()))
    assert set(some) == {"name", "signature", "version", "result", "doc", "params", "reads_files"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(min_value=900, max_value=1200))
def test_a_body_is_refused_exactly_when_it_passes_the_limit(make_client: MakeClient, size: int) -> None:
    client = make_client(max_body_bytes=1024)
    prefix = b'{"digests": []'
    body = prefix + b" " * (size - len(prefix) - 1) + b"}"
    assert len(body) == size
    response = client.post("/objects/missing", content=body, headers={"content-type": "application/json"})
    assert response.status_code == (413 if size > 1024 else 200)
