"""The reduction cache: unchanged programs are not reduced again, and any change is noticed."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

import voxcas.lang
from voxcas.execute import RunOptions, run_file
from voxcas.plan import cache
from voxcas.plan.filestate import state_of
from voxcas.plan.observe import content_digest, observe, recording, unchanged
from voxcas.store.sqlite import SqliteStore


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture()
def reductions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts real reductions (load_workplan calls) made by run_file."""
    calls: list[str] = []
    real = voxcas.lang.load_workplan

    def counting(path: Any, **kwargs: Any) -> Any:
        calls.append(str(path))
        return real(path, **kwargs)

    monkeypatch.setattr(voxcas.lang, "load_workplan", counting)
    return calls


def _run(project: Path, program: str = "prog.imgql", **options: Any) -> list[str]:
    with SqliteStore(project / ".vox", create=not (project / ".vox").exists()) as store:
        summary = run_file(project / program, store, RunOptions(out_dir=project, **options))
    assert summary.status == "ok", summary.failures
    return list(summary.outputs)


def _touch_later(path: Path, text: str) -> None:
    """Rewrite a file so that its mtime surely differs from before."""
    before = path.stat().st_mtime_ns
    path.write_text(text)
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def test_an_unchanged_program_is_answered_from_the_cache_without_reducing(
    project: Path, reductions: list[str]
) -> None:
    (project / "data.json").write_text("[1, 2, 3]")
    (project / "prog.imgql").write_text('x = load("data.json")\nprint "n" length(x)\nprint "s" sum(x)\n')
    first = _run(project)
    second = _run(project)
    assert first == second == ["n=3", "s=6"]
    assert len(reductions) == 1
    assert len(list((project / ".vox" / "plans").iterdir())) == 1


def test_editing_an_input_file_invalidates_the_cached_reduction(project: Path, reductions: list[str]) -> None:
    data = project / "data.json"
    data.write_text("[1, 2, 3]")
    (project / "prog.imgql").write_text('print "s" sum(load("data.json"))\n')
    assert _run(project) == ["s=6"]
    _touch_later(data, "[1, 2, 3, 4]")
    assert _run(project) == ["s=10"]
    assert len(reductions) == 2


def test_adding_a_file_to_a_listed_directory_invalidates_the_cached_reduction(
    project: Path, reductions: list[str]
) -> None:
    (project / "cases").mkdir()
    (project / "cases" / "a.txt").write_text("a")
    (project / "prog.imgql").write_text('print "n" length(dir("cases", "*.txt"))\n')
    assert _run(project) == ["n=1"]
    time.sleep(0.01)
    (project / "cases" / "b.txt").write_text("b")
    assert _run(project) == ["n=2"]
    assert len(reductions) == 2


def test_editing_an_imported_file_invalidates_the_cached_reduction(
    project: Path, reductions: list[str]
) -> None:
    lib = project / "lib.imgql"
    lib.write_text("k = 2\n")
    (project / "prog.imgql").write_text('import "lib.imgql"\nprint "k" sum(range(0, k))\n')
    assert _run(project) == ["k=1"]
    _touch_later(lib, "k = 4\n")
    assert _run(project) == ["k=6"]
    assert len(reductions) == 2


def test_editing_the_program_reduces_it_again(project: Path, reductions: list[str]) -> None:
    prog = project / "prog.imgql"
    prog.write_text('print "s" sum(range(0, 3))\n')
    assert _run(project) == ["s=3"]
    _touch_later(prog, 'print "s" sum(range(0, 4))\n')
    assert _run(project) == ["s=6"]
    _touch_later(prog, 'print "s" sum(range(0, 3))\n')
    assert _run(project) == ["s=3"]
    assert len(reductions) == 3  # the program file itself is an observed input


def test_a_goal_whose_result_is_gone_is_recomputed_through_a_full_reduction(
    project: Path, reductions: list[str]
) -> None:
    (project / "prog.imgql").write_text('print "s" sum(range(0, 10))\n')
    assert _run(project) == ["s=45"]
    with SqliteStore(project / ".vox") as store:
        goal = store.runs()[0].goals[0]["node"]
        store.delete_result(goal)
    with SqliteStore(project / ".vox") as store:
        summary = run_file(project / "prog.imgql", store, RunOptions(out_dir=project))
    assert summary.outputs == ["s=45"]
    assert summary.computed >= 1
    assert len(reductions) == 2  # the cached plan completed itself by reducing


def test_a_run_that_shows_names_does_not_use_the_cache(project: Path, reductions: list[str]) -> None:
    (project / "prog.imgql").write_text('x = sum(range(0, 4))\nprint "x" x\n')
    _run(project)
    _run(project, show=("x",))
    assert len(reductions) == 2


def test_a_malformed_cache_entry_is_ignored_and_rewritten(project: Path, reductions: list[str]) -> None:
    (project / "prog.imgql").write_text('print "s" sum(range(0, 3))\n')
    _run(project)
    (entry,) = (project / ".vox" / "plans").iterdir()
    entry.write_text("{not json")
    assert _run(project) == ["s=3"]
    assert json.loads(entry.read_text())["format"] == cache.FORMAT
    assert len(reductions) == 2


def test_observations_notice_a_changed_size_a_new_file_and_a_vanished_one(tmp_path: Path) -> None:
    present, absent = tmp_path / "a.txt", tmp_path / "b.txt"
    present.write_text("one")
    with recording() as seen:
        observe(present)
        observe(absent)
    # the file was just written: its state is racy, so its content digest is kept as a proof
    assert seen == [
        (str(present), state_of(str(present)).stamp, content_digest(str(present))),
        (str(absent), state_of(str(absent)).stamp, None),
    ]
    assert unchanged(seen)
    absent.write_text("now here")
    assert not unchanged(seen)
    absent.unlink()
    present.write_text("three")
    assert not unchanged(seen)


def test_nothing_is_recorded_outside_a_recording(tmp_path: Path) -> None:
    with recording() as seen:
        pass
    observe(tmp_path)
    assert seen == []


def test_an_input_rewritten_in_place_at_equal_size_moments_after_a_run_is_noticed(
    project: Path, reductions: list[str]
) -> None:
    data = project / "data.json"
    data.write_text("[1, 2, 3]")
    (project / "prog.imgql").write_text('print "s" sum(load("data.json"))\n')
    assert _run(project) == ["s=6"]
    with open(data, "r+") as handle:  # same inode and size; within the same clock tick, same mtime
        handle.write("[4, 5, 6]")
    assert _run(project) == ["s=15"]


def test_a_loop_over_a_listing_notices_one_file_replaced_at_equal_size(
    project: Path, reductions: list[str]
) -> None:
    (project / "d").mkdir()
    for name, text in (("a.txt", "aa"), ("b.txt", "bbb")):
        (project / "d" / name).write_text(text)
    (project / "prog.imgql").write_text(
        'print "n" for p in dir("d", "*.txt") do length(load(p))\n'
    )
    assert _run(project) == ["n=[2, 3]"]
    (project / "d" / "b.txt").write_text("ccccc")
    assert _run(project) == ["n=[2, 5]"]
    (project / "new.txt").write_text("ddddd")
    os.replace(project / "new.txt", project / "d" / "b.txt")
    assert _run(project) == ["n=[2, 5]"]
    (project / "d" / "b.txt").write_text("e")
    assert _run(project) == ["n=[2, 1]"]


def test_a_racy_observation_is_checked_by_content_and_a_settled_one_by_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "a.txt"
    f.write_text("one")
    with recording() as racy:
        observe(f)
    assert racy[0][2] == content_digest(str(f))
    from voxcas.plan import filestate

    monkeypatch.setattr(filestate, "RACY_NS", -(10**19))
    with recording() as settled:
        observe(f)
    assert settled[0][2] is None
    assert unchanged(racy) and unchanged(settled)


def test_rehash_sees_an_edit_the_stat_cache_cannot(project: Path, settled: None) -> None:
    data = project / "data.json"
    data.write_text("[1, 2, 3]")
    (project / "prog.imgql").write_text('print "s" sum(load("data.json"))\n')
    assert _run(project) == ["s=6"]
    data.write_text("[4, 5, 6]")
    # an edit `stat` cannot see keeps size, times and inode: pretend so by re-keying the cached
    # fingerprint of the old content under the file's new state
    with SqliteStore(project / ".vox") as store, store.transaction() as conn:
        conn.execute("UPDATE fingerprints SET stamp=? WHERE path=?", (state_of(str(data)).stamp, str(data)))
    assert _run(project) == ["s=6"]  # the documented blind spot: the stat rule trusts the cache
    assert _run(project, rehash=True) == ["s=15"]
    assert _run(project) == ["s=15"]  # --rehash refreshed the cache


def _versioned_registry(version: str) -> Any:
    from voxcas.primitives.registry import Namespace, Param, Registry

    ns = Namespace("bumptest", doc="a namespace added at run time, as a plugin would be")

    @ns.primitive(params=(Param("x", "int"),), version=version)
    def bump(x: int) -> int:
        return x + 1000 * int(version)

    @ns.primitive(params=(Param("x", "int"),), version=version, foldable=True)
    def fbump(x: int) -> int:
        return x + 1000 * int(version)

    registry = Registry()
    registry.add_namespace(ns)
    return registry


def test_a_version_bump_of_a_primitive_outside_voxcas_invalidates_the_cached_reduction(
    project: Path, reductions: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from voxcas.primitives import registry as registry_module

    (project / "prog.imgql").write_text('print "g" bumptest.bump(0)\nprint "f" bumptest.fbump(0)\n')
    monkeypatch.setattr(registry_module, "_DEFAULT", _versioned_registry("1"))
    assert _run(project) == ["g=1000", "f=1000"]
    assert _run(project) == ["g=1000", "f=1000"]
    assert len(reductions) == 1
    monkeypatch.setattr(registry_module, "_DEFAULT", _versioned_registry("2"))
    assert _run(project) == ["g=2000", "f=2000"]
    assert len(reductions) == 2


def test_voxcas_own_namespaces_are_covered_by_the_code_stamp_not_rechecked() -> None:
    from voxcas.primitives.registry import Registry

    registry = Registry()
    assert registry.is_builtin("vox1") and registry.is_builtin("default")
    assert cache.versions_unchanged({"vox1.near": "no such version"}, registry)
    assert not cache.versions_unchanged({"nosuch.thing": "1"}, registry)


def test_a_plugin_prelude_parsed_earlier_in_the_process_is_still_rechecked(
    project: Path, settled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a long-lived process (the server, a notebook) parses a prelude once; a later reduction that
    # finds it parsed must still record it, or editing the prelude leaves a stale cached plan
    from voxcas.primitives import registry as registry_module
    from voxcas.primitives.registry import Namespace, Registry

    prelude = project / "plug.imgql"
    prelude.write_text("pk = 1\n")
    registry = Registry()
    registry.add_namespace(Namespace("plug", doc="a plugin with a prelude", prelude=str(prelude)))
    monkeypatch.setattr(registry_module, "_DEFAULT", registry)
    (project / "one.imgql").write_text('import "plug"\nprint "a" pk\n')
    (project / "two.imgql").write_text('import "plug"\nprint "b" pk + 10\n')
    assert _run(project, "one.imgql") == ["a=1"]  # parses the prelude
    assert _run(project, "two.imgql") == ["b=11"]  # finds it parsed
    _touch_later(prelude, "pk = 2\n")
    assert _run(project, "two.imgql") == ["b=12"]
    assert _run(project, "one.imgql") == ["a=2"]
