"""`voxcas.remote`: push and pull against an in-process server move only the missing objects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transfer_helpers import record_run, some_values, sqlite_store

from voxcas.errors import RemoteError, UsageError
from voxcas.remote import exported, pull, push, reachable
from voxcas.server.app import create_app
from voxcas.server.settings import ServerSettings
from voxcas.store.sqlite import SqliteStore

URL = "http://testserver"


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[SqliteStore, SqliteStore]]:
    local, remote = sqlite_store(tmp_path / "local"), sqlite_store(tmp_path / "remote")
    yield local, remote
    local.close()
    remote.close()


@pytest.fixture
def client(stores: tuple[SqliteStore, SqliteStore]) -> Iterator[TestClient]:
    with TestClient(create_app(ServerSettings(store=stores[1], token="t0k"))) as c:
        c.headers["Authorization"] = "Bearer t0k"
        yield c


def test_push_then_pull_moves_only_missing_objects(
    stores: tuple[SqliteStore, SqliteStore], client: TestClient, tmp_path: Path
) -> None:
    local, remote = stores
    values = some_values(10)
    run, digests = record_run(local, values)
    remote.put(values[3])  # the server already has the image: it must not be sent again
    report = push(local, URL, [run], client=client)
    objects = reachable(local, [run])
    assert len(objects) == 6  # four values and the sequence items 1.5 and "x" (10 is shared)
    assert report.objects_total == len(objects)
    assert report.objects_sent == len(objects) - 1
    # four applications and the four constants they take (their records travel: vox verify)
    assert (report.results_added, report.nodes_added) == (4, 8)
    assert remote.missing(digests) == set()
    assert {r.digest for r in remote.results()} == set(digests)

    again = push(local, URL, [run], client=client)
    assert (again.objects_sent, again.results_added) == (0, 0)

    fresh = sqlite_store(tmp_path / "fresh")
    fresh.put(values[0])
    pulled = pull(fresh, URL, [run], client=client)
    assert pulled.objects_total == len(objects)
    assert pulled.objects_sent == len(objects) - 1
    assert fresh.missing(digests) == set()
    assert fresh.run_info(run).status == "ok"
    fresh.close()


def test_a_pushed_result_is_served_by_the_peer(
    stores: tuple[SqliteStore, SqliteStore], client: TestClient
) -> None:
    local, _ = stores
    run, digests = record_run(local, [[1, 2, 3]])
    push(local, URL, [run], client=client)
    response = client.get(f"/objects/{digests[0]}", params={"format": "json"})
    assert response.json() == {"digest": digests[0], "value": [1, 2, 3]}


def test_a_peer_refusal_is_a_remote_error_with_its_message(
    stores: tuple[SqliteStore, SqliteStore], client: TestClient
) -> None:
    local, _ = stores
    with pytest.raises(RemoteError) as info:
        pull(local, URL, ["nosuchref"], client=client)
    assert info.value.status == 404
    assert str(info.value).startswith("listing the roots' objects: 404 ")
    assert "nosuchref" in str(info.value)


def test_a_missing_token_is_reported_by_push(
    stores: tuple[SqliteStore, SqliteStore], client: TestClient
) -> None:
    local, _ = stores
    run, _ = record_run(local, [1])
    del client.headers["Authorization"]
    with pytest.raises(RemoteError) as info:
        push(local, URL, [run], client=client)
    assert str(info.value) == (
        "asking which objects the server lacks: 401 "
        "missing bearer token: send 'Authorization: Bearer <token>'"
    )


def test_an_unreachable_peer_is_a_remote_error(stores: tuple[SqliteStore, SqliteStore]) -> None:
    local, _ = stores
    run, _ = record_run(local, [1])
    with pytest.raises(RemoteError, match=r"cannot reach http://127\.0\.0\.1:9"):
        push(local, "http://127.0.0.1:9", [run])


def test_a_url_without_a_scheme_is_a_usage_error(stores: tuple[SqliteStore, SqliteStore]) -> None:
    with pytest.raises(UsageError) as info:
        push(stores[0], "localhost:8765", ["x"])
    assert str(info.value) == "invalid server URL 'localhost:8765': expected http://HOST:PORT or https://..."


def test_a_bundle_with_only_some_objects_imports_where_the_rest_exist(
    stores: tuple[SqliteStore, SqliteStore],
) -> None:
    from voxcas.store.bundle import import_bundle

    local, remote = stores
    run, digests = record_run(local, some_values(11))
    for value in some_values(11)[:3]:
        remote.put(value)
    with exported(local, [run], only=[digests[3]]) as bundle:
        report = import_bundle(remote, bundle)
    assert (report.objects_added, report.results_added) == (1, 4)
    assert remote.missing(digests) == set()


def test_a_ref_pushed_as_a_root_is_created_once_and_moved_only_by_force(
    stores: tuple[SqliteStore, SqliteStore], client: TestClient
) -> None:
    from voxcas.errors import RemoteError

    local, remote = stores
    run, _ = record_run(local, [1, 2])
    local.tag("baseline", run)
    first = push(local, URL, ["baseline"], client=client)
    assert (first.refs_added, first.refs_skipped, first.refs_moved) == (1, (), ())
    assert remote.refs() == {"baseline": run}
    assert push(local, URL, ["baseline"], client=client).refs_moved == ()  # unchanged: nothing to move
    other, _ = record_run(local, [3])
    local.tag("baseline", other)
    with pytest.raises(RemoteError, match="nothing was sent") as refused:
        push(local, URL, ["baseline"], client=client)
    assert f"points at run {run[:12]}, here at {other[:12]}" in str(refused.value)
    assert remote.refs() == {"baseline": run} and other not in {r.id for r in remote.runs()}
    forced = push(local, URL, ["baseline"], client=client, force=True)
    assert (forced.refs_added, forced.refs_skipped, forced.refs_moved) == (0, (), ("baseline",))
    assert remote.refs() == {"baseline": other}
    assert forced.line().endswith("; moved ref baseline (--force)")


def test_a_pull_names_the_shorter_list_of_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    from voxcas import remote
    from voxcas.ids import Digest

    digests = [f"sha256:{i:064x}" for i in range(10)]
    body = {"roots": ["r"], "closure": False}
    few = [Digest(digests[0])]
    assert remote._export_request(body, digests, few) == {**body, "objects": few}
    most = [Digest(d) for d in digests[1:]]
    assert remote._export_request(body, digests, most) == {**body, "exclude": [digests[0]]}
    monkeypatch.setattr(remote, "MAX_LISTED", 2)
    half = [Digest(d) for d in digests[:5]]
    assert remote._export_request(body, digests, half) == {**body, "objects": None}


def test_a_pull_into_a_store_that_has_most_objects_moves_only_the_rest(
    stores: tuple[SqliteStore, SqliteStore], client: TestClient
) -> None:
    local, remote = stores
    values = some_values(12)
    run, digests = record_run(remote, values)
    for value in values[:3]:
        local.put(value)  # everything but the image
    report = pull(local, URL, [run], client=client)
    assert report.objects_sent == 1
    assert local.missing(digests) == set()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(have=st.sets(st.integers(min_value=0, max_value=5)))
def test_push_sends_exactly_the_objects_the_peer_lacks(
    tmp_path_factory: pytest.TempPathFactory, have: set[int]
) -> None:
    base = tmp_path_factory.mktemp("prop")
    local, remote = sqlite_store(base / "local"), sqlite_store(base / "remote")
    values: list[Any] = [f"value {i}" for i in range(6)]
    run, digests = record_run(local, values)
    for i in have:
        remote.put(values[i])
    before = set(remote.missing(reachable(local, [run])))
    with TestClient(create_app(ServerSettings(store=remote))) as client:
        report = push(local, URL, [run], client=client)
    assert report.objects_sent == len(before) == 6 - len(have)
    assert remote.missing(digests) == set()
    local.close()
    remote.close()
