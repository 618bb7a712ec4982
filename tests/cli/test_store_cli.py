"""The git-style store commands through the real Typer app (CliRunner), text and --json output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from store_commands import STORE_COMMANDS
from typer.testing import CliRunner

from voxcas.cli.app import app
from voxcas.cli.render import human_size
from voxcas.ids import NodeId, RunId
from voxcas.plan.identity import node_id
from voxcas.plan.nodes import Apply, Const, PlanNode
from voxcas.span import Span
from voxcas.store.sqlite import SqliteStore
from voxcas.values import Image

runner = CliRunner()


def vox(*args: str | Path, code: int = 0) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output + repr(result.exception)
    return result.stdout


def jvox(*args: str | Path) -> Any:
    return json.loads(vox(*args, "--json"))


class Filled:
    """A store with one run: a = 7, img = image(a), seq = [a, 'x']."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        store = SqliteStore(directory, create=True)
        self.a = PlanNode(node_id(Const("int", 7)), Const("int", 7), Span("p.imgql", 1, 5, 1, 6), "a")
        img_def = Apply("vox1.img", "1", (self.a.id,))
        self.img = PlanNode(node_id(img_def), img_def, Span("p.imgql", 2, 7, 2, 20), "img")
        seq_def = Apply("default.list", "1", (self.a.id,))
        self.seq = PlanNode(node_id(seq_def), seq_def, Span("p.imgql", 3, 7, 3, 20), "seq")
        self.run: RunId = store.start_run(
            "p.imgql", None, [{"kind": "print", "target": "seq", "node": self.seq.id}]
        )
        self.image = Image.from_array(
            np.arange(24, dtype=np.float32).reshape(2, 3, 4), spacing=(1.0, 1.0, 2.5)
        )
        store.put_result(self.a, 7, run=self.run)
        store.put_result(self.img, self.image, run=self.run, seconds=0.25)
        store.put_result(self.seq, [7, "x"], run=self.run)
        store.note_run_nodes(self.run, [(n.id, "computed") for n in (self.a, self.img, self.seq)])
        failing = NodeId("f" * 64)
        store.record_failure(failing, self.run, "vox1.img: argument 'x' must be an image", "Traceback ...")
        store.note_run_nodes(self.run, [(failing, "failed")])
        store.finish_run(self.run, "failed", computed=3, reused=0, failed=1)
        store.close()


@pytest.fixture
def filled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Filled]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VOX_STORE", raising=False)
    yield Filled(tmp_path / ".vox")


def test_init_creates_a_store_and_is_harmless_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert vox("init") == f"initialised empty voxcas store in {tmp_path / '.vox'}\n"
    assert vox("init") == f"reinitialised existing voxcas store in {tmp_path / '.vox'}\n"
    assert vox("init", "--store", tmp_path / "elsewhere").startswith("initialised empty")


def test_ls_lists_results_runs_objects_and_refs(filled: Filled) -> None:
    results = jvox("ls")
    assert [r["label"] for r in results] == ["seq", "img", "a"]
    assert results[1]["kind"] == "image" and results[1]["op"] == "vox1.img"
    runs = jvox("ls", "runs")
    assert [(r["id"], r["status"], r["failed"]) for r in runs] == [(filled.run, "failed", 1)]
    assert sorted(o["kind"] for o in jvox("ls", "objects")) == ["image", "scalar", "scalar", "sequence"]
    assert jvox("ls", "refs") == []
    text = vox("ls", "results")
    assert text.splitlines()[0].startswith(filled.seq.id[:12])
    assert len(vox("ls", "objects", "-n", "2").splitlines()) == 2


def test_cat_prints_scalars_and_sequences_and_summarises_images(filled: Filled) -> None:
    assert vox("cat", filled.a.id[:8]) == "7\n"
    assert vox("cat", filled.seq.id) == '[7, "x"]\n'
    assert vox("cat", filled.img.id[:10]) == "image(4x3x2, float32, spacing 1.0x1.0x2.5, min 0.0, max 23.0)\n"


def test_cat_by_digest_prefix(filled: Filled) -> None:
    digest = jvox("show", filled.a.id)["result"]["digest"]
    assert vox("cat", digest[:13]) == "7\n"


def test_cat_writes_json_and_nifti_files(filled: Filled, tmp_path: Path) -> None:
    pytest.importorskip("voxcas.output")
    vox("cat", filled.seq.id, "-o", tmp_path / "seq.json")
    assert json.loads((tmp_path / "seq.json").read_text()) == [7, "x"]
    vox("cat", filled.img.id, "-o", tmp_path / "img.nii.gz")
    import SimpleITK as sitk

    back = sitk.ReadImage(str(tmp_path / "img.nii.gz"))
    assert np.array_equal(sitk.GetArrayFromImage(back), filled.image.array)
    assert back.GetSpacing() == (1.0, 1.0, 2.5)


def test_show_explains_a_node(filled: Filled) -> None:
    data = jvox("show", filled.img.id[:9])
    assert (data["type"], data["op"], data["version"], data["label"], data["span"]) == (
        "node",
        "vox1.img",
        "1",
        "img",
        "p.imgql:2:7",
    )
    assert [a["node"] for a in data["arguments"]] == [filled.a.id]
    assert data["result"]["seconds"] == 0.25 and data["result"]["provenance"] == "local"
    with SqliteStore(filled.dir) as store:
        stored = store.object_info(data["result"]["digest"]).stored_size  # type: ignore[union-attr]
    assert data["result"]["bytes"] == stored
    text = vox("show", filled.img.id)
    assert "operator  vox1.img (version 1)" in text and "source    p.imgql:2:7" in text
    assert "computed  " in text and " in 0.250s by run " in text
    assert f"holds     {human_size(stored)} stored\n" in text


def test_show_explains_a_run_with_its_failures(filled: Filled) -> None:
    data = jvox("show", filled.run[:8])
    assert data["type"] == "run" and data["status"] == "failed"
    assert {n["status"] for n in data["nodes"]} == {"computed", "failed"}
    assert data["failures"] == [{"node": "f" * 64, "message": "vox1.img: argument 'x' must be an image"}]
    assert "error: vox1.img: argument 'x' must be an image" in vox("show", filled.run)


def test_log_shows_run_history(filled: Filled) -> None:
    assert vox("log").splitlines()[0] == f"run {filled.run}"
    assert [r["id"] for r in jvox("log")] == [filled.run]


def test_tag_refs_and_untag(filled: Filled) -> None:
    assert vox("tag", "baseline", filled.run[:6]) == f"baseline -> {filled.run}\n"
    assert jvox("refs") == [
        {"name": "baseline", "run": filled.run, "program": "p.imgql", "started": jvox("log")[0]["started"]}
    ]
    assert jvox("show", "baseline")["id"] == filled.run
    assert vox("untag", "baseline") == "deleted ref baseline\n"
    assert jvox("refs") == []


def test_gc_reports_what_it_frees(filled: Filled) -> None:
    dry = jvox("gc", "--dry-run", "--keep-runs", "0", "--grace", "0s")
    assert (dry["dry_run"], dry["results_deleted"], dry["objects_deleted"]) == (True, 3, 4)
    assert len(jvox("ls")) == 3
    report = jvox("gc", "--keep-runs", "0", "--grace", "0")
    assert report["results_deleted"] == 3 and report["bytes_freed"] > 0
    assert jvox("ls") == [] and jvox("ls", "objects") == []
    assert vox("gc").startswith("deleted 0 results, 0 objects")


def test_gc_keep_goals_lists_the_results_it_lets_go_and_a_dry_run_keeps_them(filled: Filled) -> None:
    with SqliteStore(filled.dir) as store:  # a = 7 took no time: it saves nothing per byte
        held = store.result(filled.a.id).bytes  # type: ignore[union-attr]
    args = ("gc", "--keep", "goals", "--grace", "0s")
    lines = vox(*args, "--dry-run").splitlines()
    assert lines[:3] == [
        "would delete 1 results, 0 objects, 0 node records: 0B freed",  # 7 is also an item of seq
        "1 results of kept runs would go (largest first):",
        f"  {filled.a.id[:12]}  {human_size(held):>7}  0.000s  a",
    ]
    assert lines[3].startswith("kept 2 results and 4 objects (") and len(lines) == 4
    assert len(jvox("ls")) == 3
    report = jvox(*args)
    assert (report["keep"], report["results_deleted"], report["min_saving"] * (1 << 30)) == ("goals", 1, 60.0)
    assert report["dropped"] == [
        {"node": filled.a.id, "op": "const", "label": "a", "seconds": 0.0, "bytes": held}
    ]
    assert [r["label"] for r in jvox("ls")] == ["seq", "img"]  # the goal and the 0.25 s image


def test_gc_max_size_says_when_the_goals_alone_do_not_fit(filled: Filled) -> None:
    lines = vox("gc", "--max-size", "10", "--grace", "0s").splitlines()
    assert lines[1] == "2 results of kept runs went (largest first):"
    assert lines[-1] == (
        "the store is still over 10B: what is left is the goals of kept runs, their refs and the last "
        "--grace; --force evicts goals too"
    )
    assert [r["label"] for r in jvox("ls")] == ["seq"]
    report = jvox("gc", "--max-size", "10", "--grace", "0s", "--force")
    assert report["fits"] is True and report["results_deleted"] == 1 and jvox("ls") == []


def test_fsck_passes_on_a_healthy_store(filled: Filled) -> None:
    assert vox("fsck").splitlines() == ["checked 4 objects, 2 items, 3 results, 3 nodes", "ok"]
    assert jvox("fsck")["ok"] is True


def test_du_reports_space_by_kind(filled: Filled) -> None:
    data = jvox("du")
    assert {k["kind"] for k in data["kinds"]} == {"image", "scalar", "sequence"}
    assert data["objects"] == 4 and data["results"] == 3 and data["runs"] == 1
    assert vox("stats").splitlines()[0].split() == ["kind", "objects", "size", "stored", "ratio"]


def test_export_and_import_move_a_run_between_stores(filled: Filled, tmp_path: Path) -> None:
    vox("tag", "v1", filled.run)
    exported = jvox("export", "v1", "-o", tmp_path / "b.voxb")
    assert exported["results"] == 3
    other = tmp_path / "other"
    vox("init", "--store", other)
    imported = jvox("import", tmp_path / "b.voxb", "--store", other)
    assert imported["results_added"] == 3 and imported["refs_added"] == 1
    assert vox("cat", filled.seq.id, "--store", other) == '[7, "x"]\n'
    assert (
        jvox("show", filled.seq.id, "--store", other)["result"]["provenance"]
        == f"import:{imported['digest']}"
    )


def test_vox_store_environment_variable_selects_the_store(
    filled: Filled, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "deeper"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("VOX_STORE", str(filled.dir))
    assert vox("cat", filled.a.id) == "7\n"


def test_every_store_command_has_help() -> None:
    for command in STORE_COMMANDS:
        text = vox(command, "--help")
        assert "Usage:" in text and "--store" in text


def failing(*args: str | Path) -> BaseException:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code != 0 and result.exception is not None
    return result.exception


def test_listing_an_unknown_kind_is_refused(filled: Filled) -> None:
    assert str(failing("ls", "nodes")) == "cannot list 'nodes': choose one of runs, results, objects, refs"


def test_tagging_a_node_is_refused(filled: Filled) -> None:
    assert str(failing("tag", "x", filled.a.id)) == (
        f"cannot tag '{filled.a.id}': it is a node, and refs point at runs"
    )


def test_untagging_an_unknown_ref_is_refused(filled: Filled) -> None:
    assert str(failing("untag", "nope")) == "no ref named 'nope'"


def test_cat_of_a_node_without_a_result_says_so(filled: Filled) -> None:
    with SqliteStore(filled.dir) as store:
        store.delete_result(filled.a.id)
    assert str(failing("cat", filled.a.id)) == f"node {filled.a.id} has no stored result"


def test_show_of_an_object_summarises_it(filled: Filled) -> None:
    digest = jvox("show", filled.seq.id)["result"]["digest"]
    data = jvox("show", digest[:14])
    assert (data["type"], data["kind"], data["summary"]) == ("object", "sequence", '[7, "x"]')
    assert len(data["items"]) == 2
    assert vox("show", digest).splitlines()[:2] == [f"object    {digest}", "kind      sequence"]
