"""`vox run --keep goals` and re-runs after a gc by the retention policy, through the real CLI:
a re-run recomputes only the dropped nodes it needs (counted in the run records)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from vox_process import run_vox

from voxcas.store.sqlite import SqliteStore

# every result that is not a goal is worth less than this: the policy drops all of them, whatever
# the machine's speed (the worth rule itself is tested with recorded timings in tests/store)
EVERYTHING = "1000000h/1B"

STUDY = """import "strings"
cases = dir("data", "*.nii.gz")
for p in cases do print concat("v_", stem(p)) volume_mm3(load(p) > 120)
"""
# the same study with a second threshold: it needs the cases and the loaded volumes again
SECOND = 'for p in cases do print concat("w_", stem(p)) volume_mm3(load(p) > 130)\n'
HEADER = 'import "strings"\ncases = dir("data", "*.nii.gz")\n'


@pytest.fixture
def study(tmp_path: Path) -> Path:
    import SimpleITK as sitk

    (tmp_path / "data").mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        volume = (rng.standard_normal((8, 16, 16)) * 20 + 120).astype(np.float32)
        sitk.WriteImage(sitk.GetImageFromArray(volume), str(tmp_path / "data" / f"sub-{i:02d}.nii.gz"))
    (tmp_path / "study.imgql").write_text(STUDY)
    (tmp_path / "second.imgql").write_text(STUDY + SECOND)
    (tmp_path / "only_second.imgql").write_text(HEADER + SECOND)
    SqliteStore(tmp_path / ".vox", create=True).close()
    return tmp_path


def vox_json(cwd: Path, *args: str) -> Any:
    done = run_vox(*args, "--json", cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def computed(cwd: Path, run: str, store: Path | None = None) -> set[str]:
    """The nodes the run record says this run computed."""
    where = ("--store", str(store)) if store else ()
    shown = vox_json(cwd, "show", run, *where)
    return {n["node"] for n in shown["nodes"] if n["status"] == "computed"}


def test_a_rerun_after_keep_goals_recomputes_only_the_dropped_nodes_it_needs(study: Path) -> None:
    first = vox_json(study, "run", "study.imgql")
    shutil.copytree(study / ".vox", study / "full")  # the store as it was before gc
    report = vox_json(study, "gc", "--keep", "goals", "--min-saving", EVERYTHING, "--grace", "0s")
    dropped = {d["node"] for d in report["dropped"]}
    assert dropped and len(dropped) == report["results_deleted"]

    again = vox_json(study, "run", "study.imgql")  # unchanged: its goal is stored
    assert (again["computed"], again["outputs"]) == (0, first["outputs"])

    # the oracle: what the changed program computes on the store before gc, what its new goal
    # needs from nothing (a fresh store), and what gc dropped
    full, fresh = study / "full", study / "fresh"
    on_full = computed(study, vox_json(study, "run", "second.imgql", "--store", str(full))["run"], full)
    new_goal = vox_json(study, "run", "only_second.imgql", "--store", str(fresh))
    needed = computed(study, new_goal["run"], fresh)
    after = vox_json(study, "run", "second.imgql")
    assert computed(study, after["run"]) == on_full | (dropped & needed)
    assert dropped & needed  # the cases and the loaded volumes were dropped and are recomputed
    assert dropped - needed  # the first study's own thresholds were dropped and are not
    assert not (dropped - needed) & computed(study, after["run"])
    assert after["outputs"][:3] == first["outputs"]


def test_run_keep_goals_applies_the_policy_when_the_run_ends(study: Path) -> None:
    done = run_vox("run", "study.imgql", "--keep", "goals", "--min-saving", EVERYTHING, cwd=study)
    assert done.returncode == 0, done.stderr
    counts, kept = done.stderr.strip().splitlines()[-2:]
    assert counts.startswith("run ") and " computed, 0 reused in " in counts
    with SqliteStore(study / ".vox") as store:
        results = list(store.results())
        goals = {g["node"] for r in store.runs() for g in r.goals}
    assert {r.node for r in results} == goals  # only the goal is left, at once (no grace wait)
    assert kept.startswith("kept goals: dropped ") and kept.endswith(" freed")
    again = vox_json(study, "run", "study.imgql", "--keep", "goals", "--min-saving", EVERYTHING)
    assert again["computed"] == 0 and again["gc"]["keep"] == "goals" and again["gc"]["dropped"] == []


def test_run_keep_goals_with_the_default_saving_drops_only_results_worth_less(study: Path) -> None:
    report = vox_json(study, "run", "study.imgql", "--keep", "goals")["gc"]
    assert report["min_saving"] == pytest.approx(60 / (1 << 30))
    assert all(d["seconds"] / max(d["bytes"], 1) < report["min_saving"] for d in report["dropped"])


def test_a_bad_keep_is_refused_before_anything_runs(study: Path) -> None:
    done = run_vox("run", "study.imgql", "--keep", "some", cwd=study)
    assert (done.returncode, done.stderr) == (2, "error: invalid --keep 'some': use one of all, goals\n")
    with SqliteStore(study / ".vox") as store:
        assert store.runs() == []
