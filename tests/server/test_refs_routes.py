"""`/refs`: list, point a ref at a run, delete it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from voxcas.store.memory import MemoryStore


def _run(store: MemoryStore) -> str:
    return store.start_run("prog.imgql", None, [])


def test_a_ref_can_be_put_listed_and_deleted(client: TestClient, store: MemoryStore) -> None:
    run = _run(store)
    response = client.put("/refs/baseline", json={"run": run[:8]})
    assert response.status_code == 200
    assert response.json() == {"name": "baseline", "run": run}
    assert store.refs() == {"baseline": run}
    assert client.get("/refs").json() == {"refs": [{"name": "baseline", "run": run}]}
    assert client.delete("/refs/baseline").status_code == 204
    assert store.refs() == {}


def test_a_ref_name_may_hold_slashes(client: TestClient, store: MemoryStore) -> None:
    run = _run(store)
    assert client.put("/refs/paper/fig2", json={"run": run}).status_code == 200
    assert store.refs() == {"paper/fig2": run}


def test_a_ref_to_an_unknown_run_is_404(client: TestClient) -> None:
    response = client.put("/refs/x", json={"run": "deadbeef"})
    assert response.status_code == 404
    assert "deadbeef" in response.json()["error"]


def test_a_ref_to_an_object_is_400(client: TestClient, store: MemoryStore) -> None:
    digest = store.put(1)
    response = client.put("/refs/x", json={"run": digest[7:20]})
    assert response.status_code == 400
    assert response.json() == {
        "error": f"{digest[7:20]!r} names an object, not a run: a ref must point at a run"
    }


def test_an_invalid_ref_name_is_400(client: TestClient, store: MemoryStore) -> None:
    response = client.put("/refs/-bad name", json={"run": _run(store)})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid ref name '-bad name': use letters, digits and . _ / + - "
        "(not starting with a symbol)"
    }


def test_deleting_an_unknown_ref_is_404(client: TestClient) -> None:
    response = client.delete("/refs/nope")
    assert response.status_code == 404
    assert response.json() == {"error": "no ref 'nope'"}
