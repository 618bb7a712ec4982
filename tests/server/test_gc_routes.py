"""`POST /gc`: a dry run by default; a real collection only when asked."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from transfer_helpers import sqlite_store

from voxcas.server.app import create_app
from voxcas.server.settings import ServerSettings


def test_gc_is_a_dry_run_by_default_and_deletes_only_when_asked(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path / "s")
    orphan = store.put("nobody keeps me")
    with TestClient(create_app(ServerSettings(store=store))) as client:
        with store.transaction() as conn:  # older than the grace period
            conn.execute("UPDATE objects SET created = created - 86400")
        dry = client.post("/gc", json={})
        assert dry.status_code == 200
        assert dry.json()["dry_run"] is True
        assert dry.json()["report"]["objects_deleted"] == 1
        assert store.has(orphan)

        real = client.post("/gc", json={"dry_run": False})
        assert real.json()["report"]["objects_deleted"] == 1
        assert not store.has(orphan)
    store.close()


def test_a_malformed_duration_is_400(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path / "s")
    with TestClient(create_app(ServerSettings(store=store))) as client:
        response = client.post("/gc", json={"older_than": "soon"})
        assert response.status_code == 400
        assert "soon" in response.json()["error"]
    store.close()


def test_gc_on_a_memory_store_is_400(client: TestClient) -> None:
    response = client.post("/gc", json={})
    assert response.status_code == 400
    assert response.json() == {"error": "gc works on a SQLite store; this server uses MemoryStore"}
