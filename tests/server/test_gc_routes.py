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


def test_gc_applies_the_keep_goals_policy_and_names_what_it_drops(tmp_path: Path) -> None:
    from voxcas.plan.identity import node_id
    from voxcas.plan.nodes import Const, PlanNode

    store = sqlite_store(tmp_path / "s")
    goal, cheap = (PlanNode(node_id(Const("int", k)), Const("int", k), None, f"n{k}") for k in (1, 2))
    run = store.start_run("p.imgql", None, [{"kind": "print", "target": "g", "node": goal.id}])
    store.put_result(goal, "goal", run=run, seconds=0.1)
    store.put_result(cheap, "x" * 100_000, run=run, seconds=0.0)  # large, no time to recompute
    store.note_run_nodes(run, [(goal.id, "computed"), (cheap.id, "computed")])
    store.finish_run(run, "ok", computed=2, reused=0, failed=0)
    with store.transaction() as conn:  # older than the grace period
        conn.execute("UPDATE results SET created = created - 86400")
        conn.execute("UPDATE objects SET created = created - 86400")
    with TestClient(create_app(ServerSettings(store=store))) as client:
        report = client.post("/gc", json={"keep": "goals", "dry_run": False}).json()["report"]
        assert [d["label"] for d in report["dropped"]] == ["n2"] and report["keep"] == "goals"
        assert store.lookup(cheap.id) is None and store.lookup(goal.id) is not None
        bad = client.post("/gc", json={"keep": "everything"})
        assert bad.status_code == 400
        assert bad.json() == {"error": "invalid --keep 'everything': use one of all, goals"}
    store.close()
