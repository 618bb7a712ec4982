"""`/runs`: submit programs over HTTP, poll them, read their goals, cancel them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from voxcas.primitives.imageio import write_image
from voxcas.store.memory import MemoryStore
from voxcas.values import Image

MakeClient = Callable[..., TestClient]
WAIT = 60.0  # bound on waiting for a run to end, never a timing assertion


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    for i in range(3):
        write_image(Image.from_array(np.full((4, 5, 6), i, np.float32)), root / f"img{i}.nii.gz")
    return root


def _finished(client: TestClient, run_id: str) -> dict[str, Any]:
    assert client.app.state.vox.runs.get(run_id).finished_event.wait(WAIT)  # type: ignore[attr-defined]
    response = client.get(f"/runs/{run_id}")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _program(data: Path) -> str:
    return (
        'import "vox1"\n'
        f'imgs = dir("{data}", "*.nii.gz")\n'
        "vols = for f in imgs do volume(load(f) >. 0.5)\n"
        'print "vols" vols\n'
        'print "n" length(imgs)\n'
    )


def test_a_submitted_run_completes_and_its_goals_are_readable(
    make_client: MakeClient, store: MemoryStore, data: Path
) -> None:
    client = make_client(data_roots=(data,))
    response = client.post("/runs", json={"program": _program(data), "name": "vols.imgql"})
    assert response.status_code == 202
    submitted = response.json()
    assert submitted["status"] in ("queued", "running", "ok")
    run = _finished(client, submitted["id"])
    assert run["status"] == "ok"
    assert run["error"] is None
    assert run["progress"]["done"] == run["progress"]["total"] > 0
    assert store.run_info(run["store_run"]).status == "ok"

    goals = client.get(f"/runs/{submitted['id']}/goals").json()
    assert goals["outputs"] == ["vols=[0, 120, 120]", "n=3"]
    vols, n = goals["goals"]
    assert (vols["kind"], vols["target"], vols["text"]) == ("print", "vols", "[0, 120, 120]")
    assert client.get(f"/objects/{vols['digest']}?format=json").json()["value"] == [0, 120, 120]
    assert (n["text"], n["digest"]) == ("3", None)  # a folded constant is not stored


def test_a_second_identical_run_reuses_everything(make_client: MakeClient, data: Path) -> None:
    client = make_client(data_roots=(data,))
    first = _finished(client, client.post("/runs", json={"program": _program(data)}).json()["id"])
    second = _finished(client, client.post("/runs", json={"program": _program(data)}).json()["id"])
    assert first["progress"]["computed"] > 0
    assert (second["status"], second["progress"]["computed"]) == ("ok", 0)
    assert second["progress"]["reused"] > 0


def test_a_syntax_error_is_400_with_the_languages_message(client: TestClient) -> None:
    from voxcas.errors import VoxSyntaxError
    from voxcas.lang import parse

    with pytest.raises(VoxSyntaxError) as expected:
        parse("x = 1 +\n", "bad.imgql")
    assert str(expected.value).startswith("bad.imgql:")
    response = client.post("/runs", json={"program": "x = 1 +\n", "name": "bad.imgql"})
    assert response.status_code == 400
    assert response.json() == {"error": str(expected.value)}
    assert client.get("/runs").json() == {"runs": []}


def test_a_program_reading_outside_the_data_roots_is_403(make_client: MakeClient, data: Path) -> None:
    client = make_client(data_roots=(data,))
    response = client.post("/runs", json={"program": 'x = load("/etc/hosts")\nprint "x" x\n'})
    assert response.status_code == 403
    assert response.json() == {
        "error": f"program.imgql:1:5: default.load: path '/etc/hosts' is outside the data roots ({data})"
    }


def test_a_file_import_outside_the_data_roots_is_403(make_client: MakeClient, data: Path) -> None:
    client = make_client(data_roots=(data,))
    response = client.post("/runs", json={"program": 'import "/etc/lib.imgql"\nprint "x" 1\n'})
    assert response.status_code == 403
    assert response.json() == {
        "error": f"program.imgql:1:1: import: path '/etc/lib.imgql' is outside the data roots ({data})"
    }


def test_a_save_goal_needs_an_output_directory(client: TestClient) -> None:
    response = client.post("/runs", json={"program": 'save "x.json" [1, 2]\n'})
    assert response.status_code == 403
    assert response.json() == {
        "error": "program.imgql:1:1: save 'x.json' is not allowed: this server has no output directory "
        "(--out-root)"
    }


def test_a_save_goal_writes_under_the_runs_output_directory(make_client: MakeClient, tmp_path: Path) -> None:
    client = make_client(out_root=tmp_path / "out")
    run_id = client.post("/runs", json={"program": 'save "res/x.json" [1, 2.5]\n'}).json()["id"]
    assert _finished(client, run_id)["status"] == "ok"
    goals = client.get(f"/runs/{run_id}/goals").json()
    assert goals["saved"] == ["res/x.json"]
    assert json.loads((tmp_path / "out" / run_id / "res" / "x.json").read_text()) == [1, 2.5]


def test_a_program_name_with_a_directory_is_400(client: TestClient) -> None:
    response = client.post("/runs", json={"program": "print 1\n", "name": "../x.imgql"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid program name '../x.imgql': expected a bare file name such as 'prog.imgql'"
    }


def test_an_unknown_run_is_404(client: TestClient) -> None:
    response = client.get("/runs/0123456789abcdef")
    assert response.status_code == 404
    assert response.json() == {"error": "no run '0123456789abcdef' on this server"}


def test_runs_are_listed_and_a_finished_run_stays_finished_when_cancelled(client: TestClient) -> None:
    run_id = client.post("/runs", json={"program": 'print "x" 1\n'}).json()["id"]
    _finished(client, run_id)
    assert [r["id"] for r in client.get("/runs").json()["runs"]] == [run_id]
    response = client.post(f"/runs/{run_id}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_a_missing_input_file_is_400_before_anything_runs(make_client: MakeClient, data: Path) -> None:
    client = make_client(data_roots=(data,))
    program = f'x = load("{data}/absent.nii.gz")\nprint "x" x\n'
    response = client.post("/runs", json={"program": program})
    assert response.status_code == 400
    assert f"cannot read '{data}/absent.nii.gz'" in response.json()["error"]


def test_a_failing_primitive_fails_the_run_with_its_message(make_client: MakeClient, data: Path) -> None:
    (data / "junk.nii.gz").write_bytes(b"not an image")
    client = make_client(data_roots=(data,))
    program = f'x = load("{data}/junk.nii.gz")\nprint "x" x\n'
    response = client.post("/runs", json={"program": program})
    assert response.status_code == 202
    run = _finished(client, response.json()["id"])
    assert run["status"] == "failed"
    assert run["error"].startswith("program.imgql:1:5: ")
    assert "junk.nii.gz" in run["error"]
    goals = client.get(f"/runs/{run['id']}/goals").json()
    assert goals["goals"][0]["error"] == "not computed (the run failed)"
    assert goals["failures"] == [run["error"]]


def test_a_listing_outside_the_roots_is_403_even_when_folded_to_a_constant(
    make_client: MakeClient, data: Path
) -> None:
    client = make_client(data_roots=(data,))
    response = client.post("/runs", json={"program": 'print "x" dir("/etc")\n'})
    assert response.status_code == 403
    assert response.json() == {
        "error": f"program.imgql:1:11: default.dir: path '/etc' is outside the data roots ({data})"
    }


def test_node_ids_over_http_equal_those_of_vox_run(make_client: MakeClient, data: Path) -> None:
    from voxcas.lang import reduce_source

    client = make_client(data_roots=(data,))
    run_id = client.post("/runs", json={"program": _program(data)}).json()["id"]
    _finished(client, run_id)
    goals = client.get(f"/runs/{run_id}/goals").json()["goals"]
    plan = reduce_source(_program(data), "program.imgql")
    assert [g["node"] for g in goals] == [g.node for g in plan.goals]


ENDLESS = 'xs = for i in range(0, 100000) do i * 2 + 1\nprint "n" length(xs)\n'  # ~10 s of work


def test_a_run_over_its_time_limit_is_stopped_as_timeout_and_keeps_its_record(
    client: TestClient, store: MemoryStore
) -> None:
    run_id = client.post("/runs", json={"program": ENDLESS, "max_seconds": 0.5}).json()["id"]
    run = _finished(client, run_id)
    assert (run["status"], run["error"]) == ("timeout", "the run exceeded its time limit of 0.5 s")
    assert store.run_info(run["store_run"]).status == "cancelled"


def test_a_running_run_can_be_cancelled(client: TestClient) -> None:
    run_id = client.post("/runs", json={"program": ENDLESS}).json()["id"]
    job = client.app.state.vox.runs.get(run_id)  # type: ignore[attr-defined]
    deadline = WAIT
    while job.store_run is None and deadline > 0:  # the executor has started the run
        job.finished_event.wait(0.01)
        deadline -= 0.01
    assert client.post(f"/runs/{run_id}/cancel").status_code == 200
    run = _finished(client, run_id)
    assert (run["status"], run["error"]) == ("cancelled", "cancelled")


@pytest.mark.parametrize("path", ["/etc/hosts", "/etc/no-such-file-here"])
def test_a_path_outside_the_roots_gets_the_same_403_whether_it_exists_or_not(
    make_client: MakeClient, data: Path, path: str
) -> None:
    client = make_client(data_roots=(data,))
    response = client.post("/runs", json={"program": f'x = load("{path}")\nprint "x" x\n'})
    assert response.status_code == 403
    assert response.json() == {
        "error": f"program.imgql:1:5: default.load: path '{path}' is outside the data roots ({data})"
    }
