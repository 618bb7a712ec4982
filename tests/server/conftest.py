"""Fixtures for the HTTP API tests: an app over an in-memory store, driven in-process by TestClient."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from voxcas.server.app import create_app
from voxcas.server.settings import ServerSettings
from voxcas.store.memory import MemoryStore

MakeClient = Callable[..., TestClient]


@pytest.fixture
def store() -> Iterator[MemoryStore]:
    s = MemoryStore()
    yield s
    s.close()


@pytest.fixture
def make_client(store: MemoryStore) -> Iterator[MakeClient]:
    """`make_client(token=..., data_roots=...)`: a client of an app over the `store` fixture."""
    clients: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        settings.setdefault("store", store)
        client = TestClient(create_app(ServerSettings(**settings)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()
