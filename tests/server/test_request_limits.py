"""Requests that would make the server do unbounded work get a clear 4xx, never a 500."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from voxcas.lang.parser import MAX_NESTING

MakeClient = Callable[..., TestClient]
WAIT = 60.0  # bound on waiting for a run to end, never a timing assertion
DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


@pytest.mark.parametrize("closed", [True, False])
def test_a_hundred_thousand_nested_parentheses_are_a_400_with_the_position(
    client: TestClient, closed: bool
) -> None:
    n = 100_000
    program = 'print "x" ' + "(" * n + "1" + (")" * n if closed else "") + "\n"
    response = client.post("/runs", json={"program": program})
    assert response.status_code == 400, response.text[:300]
    column = len('print "x" ') + MAX_NESTING + 1
    assert response.json() == {
        "error": f"program.imgql:1:{column}: error: expressions nested deeper than {MAX_NESTING} levels"
    }


def test_nesting_just_inside_the_limit_still_runs(client: TestClient) -> None:
    n = MAX_NESTING - 10
    program = 'print "x" ' + "(" * n + "1" + ")" * n + "\n"
    assert client.post("/runs", json={"program": program}).status_code == 202


def test_a_long_chain_of_prefix_operators_is_a_400_not_a_crash(client: TestClient) -> None:
    program = 'print "x" ' + "- " * (MAX_NESTING + 5) + "1\n"
    response = client.post("/runs", json={"program": program})
    assert response.status_code == 400, response.text[:300]
    assert "nested deeper than" in response.json()["error"]


# --- reduction under the run's budget ------------------------------------------------------------


def sharing_attack(depth: int = 40) -> str:
    """A chain of functions, each calling the previous twice on different constants: a few hundred
    bytes asking the reducer for 2^depth calls (memoisation cannot share them, and every value
    folds to a constant, so the plan itself stays one node)."""
    lines = ["f0(x) = x"]
    lines += [f"f{i}(x) = f{i - 1}(x * 2) + f{i - 1}(x * 2 + 1)" for i in range(1, depth + 1)]
    return "\n".join([*lines, f'print "r" f{depth}(1)']) + "\n"


def wait_final(client: TestClient, run_id: str) -> dict[str, Any]:
    """The run's public record once it is over."""
    assert client.app.state.vox.runs.get(run_id).finished_event.wait(WAIT)  # type: ignore[attr-defined]
    body: dict[str, Any] = client.get(f"/runs/{run_id}").json()
    return body


ASYNC = {"Prefer": "respond-async"}


def test_a_program_asking_for_exponential_reduction_answers_at_once_with_a_run_id(
    client: TestClient,
) -> None:
    response = client.post("/runs", json={"program": sharing_attack()}, headers=ASYNC)
    assert response.status_code == 202
    assert response.json()["status"] == "reducing"
    run_id = response.json()["id"]
    assert client.get("/runs").json()["runs"][0]["id"] == run_id
    client.post(f"/runs/{run_id}/cancel")
    assert wait_final(client, run_id)["status"] == "cancelled"


def test_cancel_stops_a_program_in_the_middle_of_its_reduction(client: TestClient) -> None:
    run_id = client.post("/runs", json={"program": sharing_attack()}, headers=ASYNC).json()["id"]
    assert client.post(f"/runs/{run_id}/cancel").status_code == 200
    final = wait_final(client, run_id)
    assert final["status"] == "cancelled"
    assert str(final["error"]).startswith("cancelled")
    assert final["started"] is None  # it never reached the executor


def test_the_servers_time_limit_stops_a_reduction_and_post_runs_says_so(make_client: MakeClient) -> None:
    client = make_client(max_run_seconds=0.5)
    response = client.post("/runs", json={"program": sharing_attack()})
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "timeout"
    assert body["error"] == "the run exceeded its time limit of 0.5 s while its program was reduced"


def test_a_runs_own_time_limit_stops_its_reduction(client: TestClient) -> None:
    run_id = client.post(
        "/runs", json={"program": sharing_attack(), "max_seconds": 0.2}, headers=ASYNC
    ).json()["id"]
    assert wait_final(client, run_id)["status"] == "timeout"


def test_a_refused_program_submitted_async_ends_failed_with_the_position(client: TestClient) -> None:
    response = client.post("/runs", json={"program": 'print "a" nosuch\n'}, headers=ASYNC)
    assert response.status_code == 202
    final = wait_final(client, response.json()["id"])
    assert final["status"] == "failed"
    assert str(final["error"]).startswith("program.imgql:1:11: error: unknown name 'nosuch'")


def test_a_small_program_still_runs_to_the_end_after_its_reduction(client: TestClient) -> None:
    response = client.post("/runs", json={"program": 'print "a" 2 + 3\n'})
    assert response.status_code == 202
    assert response.json()["status"] in ("queued", "running", "ok")
    assert wait_final(client, response.json()["id"])["status"] == "ok"
    assert client.get(f"/runs/{response.json()['id']}/goals").json()["outputs"] == ["a=5"]


def test_a_plan_over_the_node_limit_is_a_422_naming_the_count_and_the_limit(make_client: MakeClient) -> None:
    client = make_client(max_nodes=2)
    response = client.post("/runs", json={"program": 'print "n" length(range(3)) + 1\n'})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error == (
        "program.imgql: the plan has 5 nodes, over the limit of 2 nodes (--max-nodes); nothing was run"
    )
    assert json.dumps({"error": error}) in DOC.read_text(encoding="utf-8")  # the example of docs/api.md


def test_a_plan_growing_past_the_node_limit_is_stopped_while_it_is_reduced(make_client: MakeClient) -> None:
    lines = ["f0(x) = x"]
    lines += [f"f{i}(x) = f{i - 1}(x * 2) + f{i - 1}(x * 2 + 1)" for i in range(1, 31)]
    program = "\n".join([*lines, 'print "r" f30(length(range(3)))']) + "\n"
    response = make_client(max_nodes=1000).post("/runs", json={"program": program})
    assert response.status_code == 422
    assert re.fullmatch(
        r"program\.imgql:\d+:\d+: the plan grew to [\d,]+ nodes while this was reduced, "
        r"over the limit of 1,000 nodes \(--max-nodes\); nothing was run",
        response.json()["error"],
    )


def test_a_range_of_a_billion_items_is_stored_as_its_bounds_not_item_by_item(
    client: TestClient, store: Any
) -> None:
    program = 'r = range(0, 1000000000)\nprint "n" length(r)\nprint "last" r[999999999]\n'
    run_id = client.post("/runs", json={"program": program}).json()["id"]
    assert wait_final(client, run_id)["status"] == "ok"
    assert client.get(f"/runs/{run_id}/goals").json()["outputs"] == ["n=1000000000", "last=999999999"]
    assert len(list(store.objects())) < 20  # a handful of objects, not a billion


def test_a_loop_over_a_billion_items_fails_at_once_naming_the_count_and_the_limit(client: TestClient) -> None:
    program = 'print "r" for i in range(0, 1000000000) do i + 1\n'
    run_id = client.post("/runs", json={"program": program}).json()["id"]
    final = wait_final(client, run_id)
    assert final["status"] == "failed"
    assert final["error"] == (
        "program.imgql:1:11: error: default.for: the sequence has 1,000,000,000 items, "
        "over the limit of 1,000,000 per loop"
    )


@pytest.mark.parametrize(
    "field, value",
    [
        ("workers", True),
        ("workers", False),
        ("workers", "2"),
        ("workers", 2.0),
        ("max_seconds", True),
        ("max_seconds", "5"),
    ],
)
def test_booleans_and_strings_are_refused_for_workers_and_max_seconds(
    client: TestClient, field: str, value: object
) -> None:
    response = client.post("/runs", json={"program": 'print "a" 1\n', field: value})
    assert response.status_code == 422
    assert response.json()["error"].startswith(f"invalid request: body.{field}:")


def test_an_integer_time_limit_is_a_number_too(client: TestClient) -> None:
    assert (
        client.post("/runs", json={"program": 'print "a" 1\n', "max_seconds": 5, "workers": 2}).status_code
        == 202
    )
