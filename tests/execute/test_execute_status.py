"""`voxcas.execute.status`: what a run would do and why, checked against what the run then does."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from voxcas.execute import RunOptions, run_file, run_workplan
from voxcas.execute.status import StatusReport, status_file, status_workplan
from voxcas.lang import reduce_source
from voxcas.primitives.registry import Namespace, Param, Registry
from voxcas.store.sqlite import SqliteStore

PROGRAM = (
    'a = load("a.txt")\n'
    'print "a" concat(a, "!")\n'
    'xs = for p in dir("d", "*.txt") do concat(load(p), "?")\n'
    'print "xs" xs\n'
)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("d").mkdir()
    for i in range(1, 4):
        write(f"d/case_{i}.txt", f"case {i}\n")
    write("a.txt", "A\n")
    write("prog.imgql", PROGRAM)
    return tmp_path


def write(path: str, text: str) -> None:
    """Write a file and age it out of the racy window (the stat cache then trusts its stat)."""
    Path(path).write_text(text, encoding="utf-8")
    old = time.time() - 5 - len(text)
    os.utime(path, (old, old))


def run(store: SqliteStore) -> Any:
    summary = run_file("prog.imgql", store, RunOptions(program="prog.imgql"))
    assert summary.status == "ok", summary.failures
    return summary


def reasons(report: StatusReport) -> dict[str, list[str]]:
    return {g.target: g.reasons for g in report.goals if g.stale}


def test_a_program_never_run_is_all_stale_and_says_so(here: Path) -> None:
    with SqliteStore(here / ".vox", create=True) as store:
        report = status_file("prog.imgql", store)
        assert not report.up_to_date
        assert reasons(report) == {"a": ["never run on this store"], "xs": ["never run on this store"]}
        assert report.computed == run(store).computed


def test_after_a_run_everything_is_up_to_date_and_nothing_would_be_computed(here: Path) -> None:
    with SqliteStore(here / ".vox", create=True) as store:
        run(store)
        report = status_file("prog.imgql", store)
        assert report.up_to_date and report.computed == 0
        assert [g.stale for g in report.goals] == [False, False]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda: write("a.txt", "B\n"), {"a": ["input a.txt changed"]}),
        (lambda: write("d/case_2.txt", "two\n"), {"xs": ["input d/case_2.txt changed"]}),
        (lambda: write("d/case_9.txt", "nine\n"), {"xs": ["new item d/case_9.txt"]}),
        (lambda: os.remove("d/case_1.txt"), {"xs": ["item d/case_1.txt removed"]}),
        (
            lambda: write("prog.imgql", PROGRAM.replace('"!"', '"!!"')),
            {"a": ['prog.imgql:2:21: constant "!" is now "!!"']},
        ),
        (
            lambda: write("prog.imgql", PROGRAM.replace('"?"', '"??"')),
            {"xs": ['prog.imgql:3:6: in the loop body, constant "?" is now "??"']},
        ),
        (lambda: os.utime("a.txt"), {}),  # touched only: same bytes, nothing stale
    ],
    ids=["input", "item-content", "new-item", "removed-item", "constant", "body-constant", "touch"],
)
def test_status_names_what_changed_and_counts_what_the_next_run_computes(
    here: Path, edit: Any, expected: dict[str, list[str]]
) -> None:
    with SqliteStore(here / ".vox", create=True) as store:
        run(store)
        edit()
        report = status_file("prog.imgql", store)
        assert reasons(report) == expected
        assert report.up_to_date == (not expected)
        summary = run(store)
        assert (report.computed, report.reused) == (summary.computed, summary.reused)
        assert status_file("prog.imgql", store).up_to_date


def versioned(version: str) -> Registry:
    ns = Namespace("vt", doc="a namespace whose primitive changes version")

    @ns.primitive(params=(Param("a", "number"),), version=version)
    def twice(a: Any) -> Any:
        return a * 2

    registry = Registry(modules={"default": "voxcas.primitives.default"})
    registry.add_namespace(ns)
    return registry


def test_a_primitive_at_a_new_version_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = 'import "vt"\nx = load("n.json")\nprint "y" twice(x)\n'
    (tmp_path / "n.json").write_text("21")
    path = str(tmp_path / "prog.imgql")
    with SqliteStore(tmp_path / ".vox", create=True) as store:
        old = versioned("1")
        plan = reduce_source(text, path, registry=old, fingerprints=store)
        run_workplan(plan, store, RunOptions(program=path, program_text=text, registry=old))
        new = versioned("3")
        plan = reduce_source(text, path, registry=new, fingerprints=store)
        report = status_workplan(plan, store, program=path, registry=new)
        assert reasons(report) == {"y": ["vt.twice is now version 3 (was 1)"]}
        assert report.computed == 1


def test_the_earlier_run_is_found_however_the_program_path_was_spelled(here: Path) -> None:
    with SqliteStore(here / ".vox", create=True) as store:
        run(store)
        write("a.txt", "C\n")
        assert reasons(status_file("./prog.imgql", store)) == {"a": ["input a.txt changed"]}
