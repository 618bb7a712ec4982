"""Issue 9's stale answers, replayed through the real `vox run` in a subprocess on a real store.

Each test edits an input the way a user would (`cp b a`, replacing one image of a folder, editing
an imported file, retargeting a symlink) and checks that the warm run prints what a run on a
fresh store prints, and that the printed values are the new content's (computed here with numpy,
independently of voxcas).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def vox(*args: str, cwd: Path) -> str:
    """Stdout of a successful `vox ...` run in `cwd`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    env.pop("VOX_STORE", None)
    done = subprocess.run(
        [sys.executable, "-m", "voxcas.cli.app", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def write_image(path: Path, values: np.ndarray) -> None:
    import SimpleITK as sitk

    sitk.WriteImage(sitk.GetImageFromArray(values), str(path))


def case(seed: int) -> np.ndarray:
    """A small 3-D image whose mean differs from seed to seed."""
    return np.random.default_rng(seed).integers(0, 100, size=(3, 4, 5)).astype(np.int16)


def printed(stdout: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in stdout.splitlines())


def mean_of(path: Path) -> float:
    import SimpleITK as sitk

    return float(sitk.GetArrayFromImage(sitk.ReadImage(str(path))).astype(np.float64).mean())


ISSUE_PROGRAM = """import "vox1"
i = intensity(load("a.nii.gz"))
print "m" avg(i, tt)
xs = for p in ["a.nii.gz"] do avg(intensity(load(p)), tt)
print "xs" xs
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    from voxcas.store.sqlite import SqliteStore

    SqliteStore(tmp_path / ".vox", create=True).close()
    return tmp_path


def test_copying_another_image_over_a_file_a_literal_list_names_changes_both_the_read_and_the_loop(
    project: Path,
) -> None:
    write_image(project / "a.nii.gz", case(1))
    write_image(project / "b.nii.gz", case(5))
    (project / "p.imgql").write_text(ISSUE_PROGRAM)
    before = printed(vox("run", "p.imgql", cwd=project))
    assert float(before["m"]) == pytest.approx(mean_of(project / "a.nii.gz"), rel=1e-6)
    assert before["xs"] == f"[{before['m']}]"

    shutil.copyfile(project / "b.nii.gz", project / "a.nii.gz")  # `cp b.nii.gz a.nii.gz`
    warm = vox("run", "p.imgql", cwd=project)
    fresh = vox("run", "--store", str(project / "fresh"), "p.imgql", cwd=project)
    assert warm == fresh
    after = printed(warm)
    assert float(after["m"]) == pytest.approx(mean_of(project / "b.nii.gz"), rel=1e-6)
    assert after["xs"] == f"[{after['m']}]" != before["xs"]
    assert vox("run", "p.imgql", cwd=project) == fresh  # and the fully cached run agrees


def test_replacing_one_image_of_a_listed_folder_recomputes_that_item_of_the_dir_loop(project: Path) -> None:
    images = project / "images"
    images.mkdir()
    for k in range(3):
        write_image(images / f"case_{k:03d}.nii.gz", case(k))
    (project / "p.imgql").write_text(
        'import "vox1"\n'
        'xs = for p in dir("images", "*.nii.gz") do avg(intensity(load(p)), tt)\n'
        'print "xs" xs\n'
    )
    before = vox("run", "p.imgql", cwd=project)
    shutil.copyfile(images / "case_002.nii.gz", images / "case_001.nii.gz")
    warm = vox("run", "p.imgql", cwd=project)
    fresh = vox("run", "--store", str(project / "fresh"), "p.imgql", cwd=project)
    assert warm == fresh != before
    items = printed(warm)["xs"].strip("[]").split(", ")
    expected = [mean_of(images / f"case_{k:03d}.nii.gz") for k in range(3)]
    assert [float(x) for x in items] == pytest.approx(expected, rel=1e-6)
    assert items[1] == items[2]
    assert vox("run", "p.imgql", cwd=project) == fresh


def test_editing_a_file_imported_by_an_imported_file_changes_the_answer(project: Path) -> None:
    (project / "lib").mkdir()
    (project / "lib" / "inner.imgql").write_text("k = 2\n")
    (project / "lib" / "outer.imgql").write_text('import "inner.imgql"\nf(x) = x * k\n')
    (project / "p.imgql").write_text(
        'import "lib/outer.imgql"\nprint "y" f(10)\nprint "ys" for n in [1, 2] do f(n)\n'
    )
    assert vox("run", "p.imgql", cwd=project) == "y=20\nys=[2, 4]\n"
    (project / "lib" / "inner.imgql").write_text("k = 3\n")
    assert vox("run", "p.imgql", cwd=project) == "y=30\nys=[3, 6]\n"
    assert vox("run", "p.imgql", cwd=project) == "y=30\nys=[3, 6]\n"


def test_through_a_symlink_the_target_content_counts_and_retargeting_the_link_is_a_change(
    project: Path,
) -> None:
    write_image(project / "a.nii.gz", case(1))
    write_image(project / "b.nii.gz", case(5))
    (project / "cur.nii.gz").symlink_to("a.nii.gz")
    (project / "p.imgql").write_text(
        'import "vox1"\nprint "m" avg(intensity(load("cur.nii.gz")), tt)\n'
        'print "xs" for p in ["cur.nii.gz"] do avg(intensity(load(p)), tt)\n'
    )
    first = printed(vox("run", "p.imgql", cwd=project))
    assert float(first["m"]) == pytest.approx(mean_of(project / "a.nii.gz"), rel=1e-6)

    (project / "cur.nii.gz").unlink()
    (project / "cur.nii.gz").symlink_to("b.nii.gz")  # the link changes, no file's content does
    retargeted = vox("run", "p.imgql", cwd=project)
    assert retargeted == vox("run", "--store", str(project / "fresh1"), "p.imgql", cwd=project)
    assert float(printed(retargeted)["m"]) == pytest.approx(mean_of(project / "b.nii.gz"), rel=1e-6)
    assert printed(retargeted)["xs"] == f"[{printed(retargeted)['m']}]"

    write_image(project / "b.nii.gz", case(9))  # the target's content changes, the link does not
    edited = vox("run", "p.imgql", cwd=project)
    assert edited == vox("run", "--store", str(project / "fresh2"), "p.imgql", cwd=project)
    assert float(printed(edited)["m"]) == pytest.approx(mean_of(project / "b.nii.gz"), rel=1e-6)
    assert printed(edited)["xs"] == f"[{printed(edited)['m']}]"
