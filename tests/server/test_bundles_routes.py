"""`/bundles`: verified all-or-nothing uploads, downloads, closures and pruned exports."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path

import apsw
import pytest
from fastapi.testclient import TestClient
from transfer_helpers import record_run, some_values, sqlite_store

from voxcas.store.bundle import export_bundle
from voxcas.store.sqlite import SqliteStore


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[SqliteStore]:
    store = sqlite_store(tmp_path / "remote")
    yield store
    store.close()


@pytest.fixture
def local(tmp_path: Path) -> Iterator[SqliteStore]:
    store = sqlite_store(tmp_path / "local")
    yield store
    store.close()


@pytest.fixture
def serve(make_client: Callable[..., TestClient], remote: SqliteStore) -> Callable[..., TestClient]:
    """`serve(**settings)`: a client of an app over the `remote` store (conftest's `make_client`)."""
    return functools.partial(make_client, store=remote)


def _counts(store: SqliteStore) -> tuple[int, int, int]:
    return (
        store.query("SELECT count(*) FROM objects")[0][0],
        store.query("SELECT count(*) FROM results")[0][0],
        store.query("SELECT count(*) FROM runs")[0][0],
    )


def test_an_uploaded_bundle_is_imported(
    serve: Callable[..., TestClient], local: SqliteStore, remote: SqliteStore, tmp_path: Path
) -> None:
    run, digests = record_run(local, some_values(1))
    export_bundle(local, [run], tmp_path / "b.voxb")
    response = serve().post("/bundles", content=(tmp_path / "b.voxb").read_bytes())
    assert response.status_code == 200
    body = response.json()
    assert (body["results_added"], body["runs_added"]) == (4, 1)
    assert remote.missing(digests) == set()
    assert remote.run_info(run).status == "ok"


def test_a_tampered_upload_is_refused_and_changes_nothing(
    serve: Callable[..., TestClient], local: SqliteStore, remote: SqliteStore, tmp_path: Path
) -> None:
    record_run(remote, [7])
    run, digests = record_run(local, some_values(2))
    path = tmp_path / "b.voxb"
    export_bundle(local, [run], path)
    conn = apsw.Connection(str(path))
    conn.execute("UPDATE objects SET data = zeroblob(length(data)) WHERE kind = 'image'")
    conn.close()
    before = _counts(remote)
    response = serve().post("/bundles", content=path.read_bytes())
    assert response.status_code == 400
    assert response.json() == {
        "error": f"uploaded bundle: object {digests[3]} does not match its digest (damaged or tampered with)"
    }
    assert _counts(remote) == before


def test_a_foreign_file_is_refused_without_naming_server_paths(serve: Callable[..., TestClient]) -> None:
    response = serve().post("/bundles", content=b"PK\x03\x04 not a bundle at all")
    assert response.status_code == 400
    assert response.json() == {"error": "uploaded bundle is not a voxcas bundle"}


def test_a_bundle_over_the_size_limit_is_413_and_changes_nothing(
    serve: Callable[..., TestClient], local: SqliteStore, remote: SqliteStore, tmp_path: Path
) -> None:
    run, _ = record_run(local, some_values(3))
    export_bundle(local, [run], tmp_path / "b.voxb")
    data = (tmp_path / "b.voxb").read_bytes()
    before = _counts(remote)
    response = serve(max_bundle_bytes=len(data) - 1).post("/bundles", content=data)
    assert response.status_code == 413
    assert response.json()["error"].startswith("bundle too large: the limit is ")
    assert _counts(remote) == before


def test_a_downloaded_bundle_imports_elsewhere(
    serve: Callable[..., TestClient], local: SqliteStore, remote: SqliteStore, tmp_path: Path
) -> None:
    from voxcas.store.bundle import import_bundle

    run, digests = record_run(remote, some_values(4))
    response = serve().get("/bundles", params={"root": run})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.voxcas.bundle"
    (tmp_path / "d.voxb").write_bytes(response.content)
    import_bundle(local, tmp_path / "d.voxb")
    assert local.missing(digests) == set()


def test_the_closure_lists_every_object_the_roots_reach(
    serve: Callable[..., TestClient], remote: SqliteStore
) -> None:
    run, digests = record_run(remote, some_values(5))
    response = serve().post("/bundles/closure", json={"roots": [run[:10]]})
    assert response.status_code == 200
    listed = response.json()["digests"]
    assert set(digests) <= set(listed)  # plus the items of the sequence
    assert listed == sorted(listed)


def test_an_export_can_be_pruned_to_the_objects_asked_for(
    serve: Callable[..., TestClient], local: SqliteStore, remote: SqliteStore, tmp_path: Path
) -> None:
    from voxcas.store.bundle import import_bundle

    values = some_values(6)
    run, digests = record_run(remote, values)
    for value in values[:3]:
        local.put(value)  # the local side already has all but the image
    image = digests[3]
    response = serve().post("/bundles/export", json={"roots": [run], "objects": [image]})
    assert response.status_code == 200
    path = tmp_path / "p.voxb"
    path.write_bytes(response.content)
    conn = apsw.Connection(str(path))
    assert [d for (d,) in conn.execute("SELECT digest FROM objects")] == [image]
    conn.close()
    report = import_bundle(local, path)
    assert (report.objects_added, report.results_added) == (1, 4)
    assert local.missing(digests) == set()


def test_an_unknown_root_is_404(serve: Callable[..., TestClient]) -> None:
    response = serve().get("/bundles", params={"root": "nosuchref"})
    assert response.status_code == 404
    assert "nosuchref" in response.json()["error"]


def test_an_export_can_leave_out_the_objects_the_caller_has(
    serve: Callable[..., TestClient], remote: SqliteStore, tmp_path: Path
) -> None:
    run, digests = record_run(remote, some_values(7))
    everything = serve().post("/bundles/closure", json={"roots": [run]}).json()["digests"]
    response = serve().post(
        "/bundles/export", json={"roots": [run], "exclude": [d for d in everything if d != digests[3]]}
    )
    assert response.status_code == 200
    path = tmp_path / "e.voxb"
    path.write_bytes(response.content)
    conn = apsw.Connection(str(path))
    assert [d for (d,) in conn.execute("SELECT digest FROM objects")] == [digests[3]]
    conn.close()


def test_objects_and_exclude_together_are_400(serve: Callable[..., TestClient], remote: SqliteStore) -> None:
    run, _ = record_run(remote, [1])
    response = serve().post("/bundles/export", json={"roots": [run], "objects": [], "exclude": []})
    assert response.status_code == 400
    assert response.json() == {"error": "give either objects or exclude, not both"}
