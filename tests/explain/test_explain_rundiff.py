"""`diff_runs`: two runs side by side, checked against values the test computes itself."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from explain_helpers import open_store, run

from voxcas.errors import UsageError
from voxcas.explain.rundiff import diff_runs, render


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _goal(diff: dict[str, object], target: str) -> dict[str, object]:
    return next(g for g in diff["goals"] if g["target"] == target)  # type: ignore[attr-defined,index]


def test_numbers_show_both_values_and_their_difference(project: Path) -> None:
    (project / "prog.imgql").write_text('n = load("n.json")\nprint "total" sum(n)\nprint "k" 3\n')
    (project / "n.json").write_bytes(b"[1.5, 2]")
    a = run(project)
    (project / "n.json").write_bytes(b"[1.5, 7.25]")
    b = run(project)
    with open_store(project) as store:
        diff = diff_runs(store, a.run, b.run)
    total = _goal(diff, "total")
    assert total["equal"] is False
    assert total["change"] == {
        "equal": False,
        "kind": "number",
        "a": 3.5,
        "b": 8.75,
        "difference": 8.75 - 3.5,
    }
    assert _goal(diff, "k")["equal"] is True  # a constant goal: the same node in both runs
    assert diff["inputs"] == [
        {"input": "default.load n.json", "a": _sha(b"[1.5, 2]"), "b": _sha(b"[1.5, 7.25]")}
    ]
    assert diff["equal"] is False
    text = render(diff)
    assert '  print "total": 3.5 → 8.75 (+5.25)' in text
    assert any("input n.json changed" in line for line in text)


def test_sequences_are_compared_item_by_item(project: Path) -> None:
    (project / "prog.imgql").write_text('xs = for v in load("n.json") do v * 10\nprint "xs" xs\n')
    (project / "n.json").write_bytes(b"[1, 2, 3, 4]")
    a = run(project)
    (project / "n.json").write_bytes(b"[1, 2, 5, 4, 6]")
    b = run(project)
    with open_store(project) as store:
        change = _goal(diff_runs(store, a.run, b.run), "xs")["change"]
    assert change["kind"] == "sequence"  # type: ignore[index]
    assert (change["a_length"], change["b_length"], change["differing"]) == (4, 5, 2)  # type: ignore[index]
    first, second = change["items"]  # type: ignore[index]
    assert (first["index"], first["a"], first["b"], first["difference"]) == (2, 30, 50, 20)
    assert (second["index"], second["only"], second["value"]) == (4, "b", "60")


def _image(path: Path, array: np.ndarray) -> None:
    import SimpleITK as sitk

    sitk.WriteImage(sitk.GetImageFromArray(array), str(path))


def test_images_show_digests_size_and_the_change_in_voxel_count(project: Path) -> None:
    rng = np.random.default_rng(9)
    before = rng.integers(0, 20, size=(3, 4, 5)).astype(np.float32)
    after = before.copy()
    after[0, 0, :] = 19  # five voxels above the threshold now (some may have been already)
    (project / "prog.imgql").write_text(
        'import "vox1"\nmask = intensity(load("i.nii.gz")) .>. 10\nprint "mask" mask\n'
    )
    _image(project / "i.nii.gz", before)
    a = run(project)
    _image(project / "i.nii.gz", after)
    b = run(project)
    with open_store(project) as store:
        change = _goal(diff_runs(store, a.run, b.run), "mask")["change"]
    assert change["kind"] == "image" and change["equal"] is False  # type: ignore[index]
    va, vb = int((before > 10).sum()), int((after > 10).sum())
    assert (change["a"]["voxels"], change["b"]["voxels"], change["voxel_change"]) == (va, vb, vb - va)  # type: ignore[index]
    assert change["differing_voxels"] == int(((before > 10) != (after > 10)).sum())  # type: ignore[index]
    assert change["a"]["size"] == [5, 4, 3]  # type: ignore[index]  # ITK order: x, y, z
    assert change["a"]["digest"] != change["b"]["digest"]  # type: ignore[index]


def test_a_run_compared_with_itself_agrees(project: Path) -> None:
    (project / "prog.imgql").write_text('print "t" sum(load("n.json"))\n')
    (project / "n.json").write_bytes(b"[4]")
    a = run(project)
    b = run(project)
    with open_store(project) as store:
        assert diff_runs(store, a.run, a.run)["equal"] is True
        diff = diff_runs(store, a.run, b.run)
    assert diff["equal"] is True and diff["inputs"] == []
    assert render(diff)[-1] == "the runs agree"


def test_goals_only_one_run_has_are_listed(project: Path) -> None:
    (project / "prog.imgql").write_text('print "a" 1\n')
    a = run(project)
    (project / "prog.imgql").write_text('print "a" 1\nprint "b" 2\n')
    b = run(project)
    with open_store(project) as store:
        diff = diff_runs(store, a.run, b.run)
    assert _goal(diff, "b")["change"] == {"kind": "only", "only": "b"}
    assert diff["same_program"] is False and diff["equal"] is False


def test_an_unknown_run_is_a_usage_error(project: Path) -> None:
    (project / "prog.imgql").write_text('print "a" 1\n')
    a = run(project)
    with (
        open_store(project) as store,
        pytest.raises(UsageError, match="no run, ref or 'latest' matches 'abcdef12'"),
    ):
        diff_runs(store, a.run, "abcdef12")
