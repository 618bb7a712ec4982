"""voxcas.run, the Python API for notebooks: values by name, images with their geometry, reuse
through the store, and docs/python.md's example as written."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

import voxcas
from voxcas.errors import ExecutionError, ProgramFileError, SourceError, UsageError
from voxcas.values import Image

DOC = Path(__file__).resolve().parents[1] / "docs" / "python.md"
PROGRAM = """import "vox1"
threshold = 50
brain = intensity(load("t1.nii.gz")) >. threshold
vol = volume(brain)
doubled = for c in [1, 2, 3] do c * 2
print "volume" vol
"""


@pytest.fixture
def t1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> np.ndarray:
    """docs/python.md's t1.nii.gz: 18 voxels of 100 in a box, spacing 1x1x2, in the working dir."""
    monkeypatch.chdir(tmp_path)
    array = np.zeros((4, 5, 6), np.float32)
    array[1:3, 1:4, 2:5] = 100
    image = sitk.GetImageFromArray(array)
    image.SetSpacing((1.0, 1.0, 2.0))
    sitk.WriteImage(image, "t1.nii.gz")
    return array


def test_the_documented_example_runs_and_prints_what_the_docs_say(
    t1: np.ndarray, capsys: pytest.CaptureFixture[str]
) -> None:
    block = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block is not None
    exec(compile(block.group(1), str(DOC), "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["['volume=18']", "18 [2, 4, 6]", "18 (1.0, 1.0, 2.0)", "0"]


def test_values_come_back_by_name_as_plain_python_and_images(t1: np.ndarray) -> None:
    r = voxcas.run(PROGRAM, store=":memory:")
    assert r.keys() == ["threshold", "brain", "vol", "doubled"]
    assert (r["threshold"], r["vol"], r["doubled"]) == (50, 18, [2, 4, 6])
    brain = r["brain"]
    assert isinstance(brain, Image)
    assert np.array_equal(brain.array, t1 > 50)  # independent of voxcas: numpy on the same voxels
    assert brain.spacing == (1.0, 1.0, 2.0)
    assert brain.to_simpleitk().GetSpacing() == (1.0, 1.0, 2.0)


def test_an_image_shows_itself_as_a_png_in_jupyter(t1: np.ndarray) -> None:
    png = voxcas.run(PROGRAM, store=":memory:")["brain"]._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_parameters_replace_top_level_values_and_reach_the_ids(t1: np.ndarray) -> None:
    low = voxcas.run(PROGRAM, store="st", params={"threshold": 150})
    assert low["vol"] == 0
    assert voxcas.run(PROGRAM, store="st")["vol"] == 18  # the default again, not the stored 0


def test_a_second_run_on_the_same_store_reuses_everything(t1: np.ndarray) -> None:
    Path("prog.imgql").write_text(PROGRAM)
    first = voxcas.run("prog.imgql", store="st")
    again = voxcas.run(Path("prog.imgql"), store="st")
    assert first.summary.computed > 0
    assert (again.summary.computed, again.printed) == (0, first.printed)


def test_a_value_no_goal_needed_is_computed_when_first_read(t1: np.ndarray) -> None:
    r = voxcas.run(PROGRAM.replace('print "volume" vol\n', ""), store="st")
    assert r.summary.computed == 0  # no goals: nothing ran
    assert r["vol"] == 18


def test_the_default_store_is_the_one_vox_run_would_use(t1: np.ndarray) -> None:
    voxcas.run(PROGRAM)
    assert Path(".vox/store.db").is_file()


def test_bad_input_raises_the_errors_vox_run_reports(t1: np.ndarray) -> None:
    with pytest.raises(ProgramFileError, match=r"missing\.imgql"):
        voxcas.run("missing.imgql", store=":memory:")
    with pytest.raises(SourceError, match=r"^<notebook>:1:11: error"):
        voxcas.run('print "x" nosuchname', store=":memory:")
    with pytest.raises(UsageError, match="declares no top-level value of that name"):
        voxcas.run(PROGRAM, store=":memory:", params={"nope": 1})
    r = voxcas.run(PROGRAM, store=":memory:")
    with pytest.raises(UsageError, match=r"no top-level value 'nope' \(its values: threshold, brain"):
        r["nope"]


def test_reading_a_value_whose_node_failed_raises_with_the_failure(t1: np.ndarray) -> None:
    sitk.WriteImage(sitk.Image(3, 3, 3, sitk.sitkFloat32), "small.nii.gz")
    program = 'import "vox1"\nbad = intensity(load("t1.nii.gz")) +. intensity(load("small.nii.gz"))\n'
    r = voxcas.run(program, store=":memory:")
    with pytest.raises(ExecutionError, match="'bad' could not be computed"):
        r["bad"]
