"""Goals whose label or path is computed, and goals looped over a dataset (`for p in s do save ...`).

Runs go through the real CLI in this process, on a real SQLite store in a temporary directory, so
the plan cache (a warm run does not reduce the program again) is exercised too.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from voxcas.cli.app import main
from voxcas.primitives.imageio import read_image, write_image
from voxcas.values import Image

CASES = ("sub-01", "sub-02", "sub-03")

PROGRAM = """import "strings"
cases = dir("data", "*.nii.gz")
for p in cases do save concat("seg/", stem(p), "_mask.nii.gz") load(p) > 5
for p in cases do print concat("volume_", stem(p)) volume_mm3(load(p) > 5)
"""


def make_case(root: Path, name: str, level: float) -> None:
    array = np.zeros((3, 4, 5), np.float32)
    array[1, 1:3, 1:4] = level
    write_image(Image.from_array(array, spacing=(1.0, 1.0, 2.0)), root / "data" / f"{name}.nii.gz")


@pytest.fixture
def dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VOX_STORE", raising=False)
    (tmp_path / "data").mkdir()
    for i, name in enumerate(CASES):
        make_case(tmp_path, name, 4.0 + 2 * i)
    (tmp_path / "prog.imgql").write_text(PROGRAM)
    from voxcas.store.sqlite import SqliteStore

    SqliteStore(tmp_path / ".vox", create=True).close()  # inside a store, as after `vox init`
    return tmp_path


def vox_run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(["run", "prog.imgql", "--no-progress", *args])
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_a_goal_loop_saves_one_file_per_case_named_by_its_case_id(
    dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = vox_run(capsys, "--out", "results")
    assert code == 0, err
    assert out == "volume_sub-01=0.0\nvolume_sub-02=12.0\nvolume_sub-03=12.0\n"
    written = sorted(p.name for p in (dataset / "results" / "seg").iterdir())
    assert written == ["sub-01_mask.nii.gz", "sub-02_mask.nii.gz", "sub-03_mask.nii.gz"]
    mask = read_image(dataset / "results" / "seg" / "sub-02_mask.nii.gz")
    assert int(mask.array.sum()) == 6


def test_a_warm_run_prints_and_saves_exactly_what_a_fresh_store_does(
    dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = vox_run(capsys, "--out", "a")
    warm = vox_run(capsys, "--out", "b")
    fresh = vox_run(capsys, "--out", "c", "--store", str(dataset / "fresh"))
    assert first[1] == warm[1] == fresh[1]
    assert "0 computed" in warm[2]
    for name in CASES:
        files = [(dataset / d / "seg" / f"{name}_mask.nii.gz").read_bytes() for d in "abc"]
        assert files[0] == files[1] == files[2]


def test_a_new_case_computes_only_its_own_item(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vox_run(capsys)
    make_case(dataset, "sub-04", 9.0)
    code, out, err = vox_run(capsys)
    assert code == 0, err
    assert out.splitlines()[-1] == "volume_sub-04=12.0"
    assert (dataset / "seg" / "sub-04_mask.nii.gz").exists()
    computed = int(err.split("computed")[0].split()[-1])
    warm = vox_run(capsys)[2]
    assert "0 computed" in warm
    assert 0 < computed < 15  # the new item's nodes and the loops over the grown list, not all cases


def test_a_computed_path_outside_the_output_directory_is_refused(
    dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (dataset / "prog.imgql").write_text(
        'import "strings"\n'
        'for p in dir("data", "*.nii.gz") do save concat("../", stem(p), ".nii.gz") load(p)\n'
        'save concat("/tmp/", "elsewhere.json") 1\n'
        'save concat("ok", ".json") 2\n'
    )
    code, _, err = vox_run(capsys, "--out", "results")
    assert code == 1
    assert err.splitlines()[:2] == [
        "prog.imgql:2:1: error: save path '../sub-01.nii.gz' must be relative and stay inside "
        "the run's output directory",
        "prog.imgql:3:1: error: save path '/tmp/elsewhere.json' must be relative and stay inside "
        "the run's output directory",
    ]
    assert not list(dataset.glob("sub-*.nii.gz"))
    assert (dataset / "results" / "ok.json").read_text() == "2\n"


def test_a_literal_path_outside_the_output_directory_is_refused_before_anything_runs(
    dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (dataset / "prog.imgql").write_text('save "ok.json" 2\nsave "/tmp/elsewhere.json" 1\n')
    code, _, err = vox_run(capsys, "--out", "results")
    assert code == 2
    assert err.splitlines()[0] == (
        "prog.imgql:2:1: error: save path '/tmp/elsewhere.json' must be relative and stay inside "
        "the run's output directory"
    )
    assert not (dataset / "results" / "ok.json").exists()


def test_a_symlink_out_of_the_output_directory_is_refused(
    dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (dataset / "results").mkdir()
    (dataset / "outside").mkdir()
    os.symlink(dataset / "outside", dataset / "results" / "seg")
    code, _, err = vox_run(capsys, "--out", "results")
    assert code == 1
    assert err.splitlines()[0] == (
        "prog.imgql:3:1: error: save path 'seg/sub-01_mask.nii.gz' must be relative and stay inside "
        "the run's output directory"
    )
    assert not list((dataset / "outside").iterdir())


def test_two_cases_saved_to_one_path_is_an_error_not_an_overwrite(
    dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (dataset / "prog.imgql").write_text(
        'for p in dir("data", "*.nii.gz") do save concat("seg/", "same", ".nii.gz") load(p)\n'
        'for p in dir("data", "*.nii.gz") do save "case_{:02d}.json" length(p)\n'
    )
    code, _, err = vox_run(capsys)
    assert code == 1
    assert err.splitlines()[0] == (
        "prog.imgql:1:1: error: save: items 0 and 1 would both be saved to 'seg/same.nii.gz'"
    )
    assert not (dataset / "seg").exists()
    assert [(dataset / f"case_{i:02d}.json").read_text() for i in range(3)] == ["18\n"] * 3


def test_a_sequence_of_paths_goes_with_a_sequence_of_values_item_by_item(
    dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (dataset / "prog.imgql").write_text(
        'save ["a.json", "b.json"] [1, "two"]\n'
        'print (for i in range(0, 2) do concat("n", str(i))) [10, 20]\n'
        'save ["c.json"] [1, 2]\n'
        'print (3) 4\n'
    )
    code, out, err = vox_run(capsys)
    assert code == 1
    assert out == "n0=10\nn1=20\n"
    assert (dataset / "a.json").read_text() == "1\n"
    assert (dataset / "b.json").read_text() == '"two"\n'
    assert err.splitlines()[:2] == [
        "prog.imgql:3:1: error: save: 1 path needs a sequence of 1, got 2 values",
        "prog.imgql:4:1: error: print: the label must be a string or a sequence of strings, got int",
    ]
