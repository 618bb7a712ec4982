"""`explain_node`: why a run computed a node, checked against the edit the test itself made."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from explain_helpers import open_store, run, versioned_registry

from voxcas.errors import UsageError
from voxcas.explain.why import explain_node, render
from voxcas.ids import short


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _goal(project: Path, run_id: str, target: str) -> str:
    with open_store(project) as store:
        goals = store.run_info(run_id).goals  # type: ignore[arg-type]
    return next(str(g["node"]) for g in goals if g["target"] == target)


PROGRAM = (
    'scale = 2\nnums = load("nums.json")\ntotal = sum(for n in nums do n * scale)\nprint "total" total\n'
)


def test_a_changed_input_file_is_named_with_its_old_and_new_fingerprint(project: Path) -> None:
    (project / "prog.imgql").write_text(PROGRAM)
    (project / "nums.json").write_bytes(b"[1, 2, 3]")
    first = run(project)
    (project / "nums.json").write_bytes(b"[1, 2, 4]")
    second = run(project)
    with open_store(project) as store:
        e = explain_node(store, _goal(project, second.run, "total"))
    assert e.status == "computed" and e.run == second.run
    assert e.predecessor is not None
    assert e.predecessor.record.id == _goal(project, first.run, "total")
    leaves = [d for d in e.differences if d.what == "fingerprint"]
    assert len(leaves) == 1
    assert (leaves[0].old, leaves[0].new) == (_sha(b"[1, 2, 3]"), _sha(b"[1, 2, 4]"))
    assert "input nums.json changed" in leaves[0].message
    assert leaves[0].message.endswith(f"{short(_sha(b'[1, 2, 3]'))} is now {short(_sha(b'[1, 2, 4]'))}")
    assert [s.op for s in leaves[0].path][-1] == "default.load"
    assert any("nums.json changed" in line for line in render(e))


def test_a_changed_constant_is_named_with_both_values(project: Path) -> None:
    (project / "nums.json").write_bytes(b"[1, 2, 3]")
    (project / "prog.imgql").write_text(PROGRAM)
    run(project)
    (project / "prog.imgql").write_text(PROGRAM.replace("scale = 2", "scale = 7"))
    second = run(project)
    with open_store(project) as store:
        e = explain_node(store, _goal(project, second.run, "total"))
    constants = [d for d in e.differences if d.what in ("constant", "body")]
    assert [(d.old, d.new) for d in constants] == [("2", "7")]
    assert "constant 2 is now 7" in constants[0].message
    assert not [d for d in e.differences if d.what == "fingerprint"]


def test_a_bumped_primitive_version_is_named(project: Path) -> None:
    (project / "prog.imgql").write_text('x = vt.grow(3)\nprint "x" x\n')
    run(project, registry=versioned_registry("1"))
    second = run(project, registry=versioned_registry("2"))
    with open_store(project) as store:
        e = explain_node(store, _goal(project, second.run, "x"))
    assert [(d.what, d.old, d.new) for d in e.differences] == [("version", "1", "2")]
    assert e.differences[0].message.endswith("vt.grow is now version 2 (was 1)")
    assert e.differences[0].message.startswith(f"{project / 'prog.imgql'}:1:5: ")


def test_a_reused_node_says_so_and_names_the_run_that_stored_it(project: Path) -> None:
    (project / "nums.json").write_bytes(b"[5]")
    (project / "prog.imgql").write_text(PROGRAM)
    first = run(project)
    second = run(project)
    with open_store(project) as store:
        e = explain_node(store, _goal(project, first.run, "total"), run_text=second.run)
    assert e.status == "reused" and e.predecessor is None and not e.differences
    assert f"reused by run {short(second.run)}" in e.verdict
    assert f"stored by run {short(first.run)}" in e.verdict


def test_a_first_run_has_no_earlier_definition(project: Path) -> None:
    (project / "nums.json").write_bytes(b"[5]")
    (project / "prog.imgql").write_text(PROGRAM)
    first = run(project)
    with open_store(project) as store:
        e = explain_node(store, _goal(project, first.run, "total"))
    assert e.status == "computed" and e.predecessor is None
    assert "was stored before" in e.verdict


def test_a_loop_item_is_compared_with_the_item_that_read_the_same_path(project: Path) -> None:
    (project / "d").mkdir()
    for name, text in (("a.json", b"[1]"), ("b.json", b"[2]"), ("c.json", b"[3]")):
        (project / "d" / name).write_bytes(text)
    (project / "prog.imgql").write_text(
        'xs = for p in dir("d", "*.json") do sum(load(p)) + 100\nprint "xs" xs\n'
    )
    first = run(project)
    (project / "d" / "b.json").write_bytes(b"[20]")
    second = run(project)
    assert second.outputs == ["xs=[101, 120, 103]"]
    with open_store(project) as store:
        computed = [n for n, s in store.run_nodes(second.run) if s == "computed"]
        items = [n for n in computed if store.node(n).op == "default.+"]
        assert len(items) == 1  # only b's item was recomputed
        e = explain_node(store, items[0])
        assert e.predecessor is not None and e.predecessor.result is not None
        assert e.predecessor.result.run == first.run
        leaves = [d for d in e.differences if d.what == "fingerprint"]
        assert [(d.old, d.new) for d in leaves] == [(_sha(b"[2]"), _sha(b"[20]"))]
        assert "input d/b.json changed" in leaves[0].message


def test_a_no_cache_run_says_it_looked_nothing_up(project: Path) -> None:
    (project / "nums.json").write_bytes(b"[5]")
    (project / "prog.imgql").write_text(PROGRAM)
    first = run(project)
    second = run(project, no_cache=True)
    with open_store(project) as store:
        e = explain_node(store, _goal(project, first.run, "total"), run_text=second.run)
    assert e.status == "computed"
    assert "--no-cache" in e.verdict and e.predecessor is None


def test_unknown_ids_constants_and_runs_that_did_not_compute_a_node_are_usage_errors(project: Path) -> None:
    (project / "nums.json").write_bytes(b"[5]")
    (project / "prog.imgql").write_text(PROGRAM)
    first = run(project)
    (project / "nums.json").write_bytes(b"[6]")
    second = run(project)
    new_total = _goal(project, second.run, "total")
    with open_store(project) as store:
        with pytest.raises(UsageError, match="no object, node, run or ref matches 'ffff0000'"):
            explain_node(store, "ffff0000")
        with pytest.raises(UsageError, match="is a run, not a node"):
            explain_node(store, first.run)
        with pytest.raises(
            UsageError, match=rf"run {short(first.run)} did not compute node {short(new_total)}"
        ):
            explain_node(store, new_total, run_text=first.run)
        constants = [n for n, s in store.run_nodes(first.run) if store.node(n).op == "const"]
        assert not constants  # constants are never in a run's node log...
        path = next(r.id for r in store.nodes_where(span=f"{project / 'prog.imgql'}:2:13"))
        with pytest.raises(UsageError, match=re.escape('is the constant "nums.json"')):
            explain_node(store, path)  # ...and asking about one says what it is


def test_a_loop_whose_items_read_other_files_names_the_changed_and_the_new_items(project: Path) -> None:
    (project / "d").mkdir()
    (project / "d" / "a.json").write_bytes(b"[1]")
    (project / "d" / "b.json").write_bytes(b"[2]")
    (project / "prog.imgql").write_text('xs = for p in dir("d", "*.json") do sum(load(p))\nprint "xs" xs\n')
    run(project)
    (project / "d" / "b.json").write_bytes(b"[5]")
    (project / "d" / "c.json").write_bytes(b"[9]")
    second = run(project)
    assert second.outputs == ["xs=[1, 5, 9]"]
    with open_store(project) as store:
        e = explain_node(store, _goal(project, second.run, "xs"))
    items = [d for d in e.differences if d.path and d.path[0].role == "item"]
    assert sorted((d.what, d.old, d.new) for d in items) == sorted(
        [("fingerprint", _sha(b"[2]"), _sha(b"[5]")), ("new item", None, _sha(b"[9]"))]
    )
    new = next(d for d in items if d.what == "new item")
    assert "new item: reads d/c.json" in new.message
    assert any("the loop's items read changed" in d.message for d in e.differences if not d.path)


def test_a_failed_node_is_explained_with_its_error(project: Path) -> None:
    from voxcas.execute.engine import run_file
    from voxcas.execute.options import RunOptions
    from voxcas.store.sqlite import SqliteStore

    (project / "prog.imgql").write_text('x = index(load("n.json"), 5)\nprint "x" x\n')
    (project / "n.json").write_bytes(b"[1, 2]")
    with SqliteStore(project / ".vox", create=True) as store:
        summary = run_file(project / "prog.imgql", store, RunOptions(scheduler="sync"))
        assert summary.status == "failed"
        failed = summary.failures[0].node
        e = explain_node(store, failed)
    assert e.status == "failed" and e.run == summary.run
    assert e.verdict.startswith(f"run {short(summary.run)} tried to compute it")
    assert f"; it failed: {summary.failures[0].message}" in e.verdict
