"""Requests that would make the server do unbounded work get a clear 4xx, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from voxcas.lang.parser import MAX_NESTING


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
