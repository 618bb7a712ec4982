"""`vox push` / `vox pull` against a real uvicorn server on 127.0.0.1 (started and stopped here)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from voxcas.cli.app import main
from voxcas.ids import RunId
from voxcas.plan.identity import node_id
from voxcas.plan.nodes import Apply, Const, PlanNode
from voxcas.server.app import create_app
from voxcas.server.settings import ServerSettings
from voxcas.store.sqlite import SqliteStore

TOKEN = "cli-t0ken"
STARTUP_BOUND = 20.0  # seconds to wait for the server to listen (a bound, not a measurement)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A uvicorn server over a fresh store at tmp_path/remote; yields (url, store path)."""
    import uvicorn

    store_path = tmp_path / "remote"
    SqliteStore(store_path, create=True).close()
    port = _free_port()
    app = create_app(ServerSettings(store_path=store_path, token=TOKEN))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_BOUND
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        assert thread.is_alive(), "the test server stopped"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", store_path
    server.should_exit = True
    thread.join(STARTUP_BOUND)


def _run_with_results(path: Path, values: list[object]) -> RunId:
    with SqliteStore(path, create=True) as store:
        run = store.start_run("p.imgql", None, [])
        for i, value in enumerate(values):
            arg = Const("int", i)
            definition = Apply("default.test", "1", (node_id(arg),))
            store.put_nodes([PlanNode(node_id(arg), arg)])
            store.put_result(PlanNode(node_id(definition), definition), value, run=run)
        store.finish_run(run, "ok", computed=len(values), reused=0, failed=0)
        return run


def vox(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_push_then_pull_through_the_cli_moves_only_missing_objects(
    server: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, remote_path = server
    local = tmp_path / "local"
    run = _run_with_results(local, [1, "two", [3.0, 4]])

    assert vox("push", url, run, "--store", str(local), "--token", TOKEN, "--json") == 0
    pushed = json.loads(capsys.readouterr().out)
    assert pushed["direction"] == "push"
    assert pushed["objects_sent"] == pushed["objects_total"] > 0
    assert pushed["results_added"] == 3

    assert vox("push", url, run[:10], "--store", str(local), "--token", TOKEN, "--json") == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["objects_sent"], again["results_added"]) == (0, 0)

    fresh = tmp_path / "fresh"
    SqliteStore(fresh, create=True).close()
    assert vox("pull", url, run, "--store", str(fresh), "--token", TOKEN) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(
        f"pull ← {url}: {pushed['objects_total']} of {pushed['objects_total']} objects sent"
    )
    # the three applications and the three constants they take (their records travel: vox verify)
    assert line.endswith("3 results and 6 nodes added")
    with SqliteStore(fresh) as store, SqliteStore(remote_path) as remote:
        assert {r.digest for r in store.results()} == {r.digest for r in remote.results()}


def test_pushing_a_ref_that_moved_needs_force_and_otherwise_exits_1_with_the_reason(
    server: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, remote_path = server
    local = tmp_path / "local"
    first = _run_with_results(local, [1, 2])
    assert vox("tag", "baseline", first, "--store", str(local)) == 0
    assert vox("push", url, "baseline", "--store", str(local), "--token", TOKEN) == 0
    second = _run_with_results(local, [1, 2, 3])
    assert vox("tag", "baseline", second, "--store", str(local)) == 0
    capsys.readouterr()

    assert vox("push", url, "baseline", "--store", str(local), "--token", TOKEN) == 1
    assert capsys.readouterr().err == (
        f"error: ref baseline on {url} points at run {first[:12]}, here at {second[:12]}; "
        "nothing was sent (vox push --force moves it)\n"
    )
    with SqliteStore(remote_path) as remote:
        assert remote.refs() == {"baseline": first}

    assert vox("push", url, "baseline", "--force", "--store", str(local), "--token", TOKEN) == 0
    assert capsys.readouterr().out.endswith("; moved ref baseline (--force)\n")
    with SqliteStore(remote_path) as remote:
        assert remote.refs() == {"baseline": second}


def test_pull_into_a_new_directory_creates_the_store_and_says_where(
    server: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = server
    run = _run_with_results(tmp_path / "local", [7])
    assert vox("push", url, run, "--store", str(tmp_path / "local"), "--token", TOKEN) == 0
    capsys.readouterr()
    fresh = tmp_path / "fresh"
    assert vox("pull", url, run, "--store", str(fresh), "--token", TOKEN) == 0
    assert capsys.readouterr().err == (
        f"vox: created a new store in {fresh} "
        "(choose another with --store DIR, or create one with 'vox init')\n"
    )
    with SqliteStore(fresh) as store:
        assert [r.id for r in store.runs()] == [run]


def test_a_wrong_token_is_one_clear_line_and_exit_1(
    server: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = server
    local = tmp_path / "local"
    run = _run_with_results(local, [1])
    assert vox("push", url, run, "--store", str(local), "--token", "wrong") == 1
    err = capsys.readouterr().err
    assert err == "error: asking which objects the server lacks: 401 invalid bearer token\n"


def test_pulling_an_unknown_root_names_it(
    server: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = server
    local = tmp_path / "local"
    SqliteStore(local, create=True).close()
    assert vox("pull", url, "nosuchref", "--store", str(local), "--token", TOKEN) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: listing the roots' objects: 404 ")
    assert "nosuchref" in err


def test_push_and_pull_have_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("push", "pull"):
        assert vox(command, "--help") == 0
        out = capsys.readouterr().out
        assert "only the objects" in out and "--token" in out and "--closure" in out
