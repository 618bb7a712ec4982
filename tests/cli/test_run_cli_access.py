"""`vox run --data-root/--out-root`: the same file-access rule as the server, from the CLI.

The attack files are made here; each run is the real `vox` in a child process on a real store.
Computed paths (loop items) are not visible before the run, so these show the rule is enforced
where files are opened: the node fails with one line naming the path, nothing is read or written
outside the roots, and a run without the options is unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from vox_process import run_vox

from voxcas.primitives.imageio import write_image
from voxcas.values import Image


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    from voxcas.store.sqlite import SqliteStore

    (tmp_path / "data").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("SECRET")
    (tmp_path / "data" / "a.txt").write_text("inside")
    write_image(Image.from_array(np.ones((2, 3, 4), np.uint8)), tmp_path / "data" / "img.nii.gz")
    SqliteStore(tmp_path / ".vox", create=True).close()
    return tmp_path


def test_a_constant_read_outside_the_data_root_is_refused_at_its_position(project: Path) -> None:
    program = 'print "t" for p in ["data/a.txt", "outside/secret.txt"] do load(p)\n'
    (project / "prog.imgql").write_text(program)
    done = run_vox("run", "prog.imgql", "--data-root", "data", cwd=project)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("prog.imgql:1:11: error: ")
    assert "default.load: path 'outside/secret.txt' is outside the data roots" in done.stderr


def test_a_path_computed_at_run_time_outside_the_data_root_fails_its_node(project: Path) -> None:
    (project / "data" / "paths.json").write_text('["data/a.txt", "outside/secret.txt"]')
    (project / "prog.imgql").write_text('print "t" for p in load("data/paths.json") do load(p)\n')
    done = run_vox("run", "prog.imgql", "--data-root", "data", cwd=project)
    assert done.returncode == 1, done.stderr
    assert "default.load: path 'outside/secret.txt' is outside the data roots" in done.stderr
    assert "SECRET" not in done.stdout + done.stderr
    plain = run_vox("run", "prog.imgql", cwd=project)
    assert plain.returncode == 0, plain.stderr
    assert "SECRET" in plain.stdout


def test_a_symlink_in_the_data_root_pointing_out_is_not_followed(project: Path) -> None:
    (project / "data" / "link.txt").symlink_to(project / "outside" / "secret.txt")
    (project / "prog.imgql").write_text('print "t" load("data/link.txt")\n')
    done = run_vox("run", "prog.imgql", "--data-root", "data", cwd=project)
    assert done.returncode != 0
    assert "is outside the data roots" in done.stderr and "SECRET" not in done.stdout


def test_an_import_of_an_import_outside_the_data_root_is_refused_without_quoting_it(project: Path) -> None:
    (project / "outside" / "deep.imgql").write_text("SECRET-LINE ((\n")
    (project / "data" / "lib.imgql").write_text('import "../outside/deep.imgql"\nk = 1\n')
    (project / "prog.imgql").write_text('import "data/lib.imgql"\nprint "k" k\n')
    done = run_vox("run", "prog.imgql", "--data-root", "data", cwd=project)
    assert done.returncode == 2, done.stderr
    assert "import: path" in done.stderr and "deep.imgql' is outside the data roots" in done.stderr
    assert "SECRET-LINE" not in done.stderr


def test_write_image_and_saves_land_under_the_out_root_and_nowhere_else(project: Path) -> None:
    (project / "prog.imgql").write_text(
        'import "simpleitk"\n'
        'img = simpleitk.ReadImage("data/img.nii.gz")\n'
        'print "w" for n in ["inside.nii.gz", "../escaped.nii.gz"] do simpleitk.WriteImage(img, n)\n'
        'save "v.json" [1, 2]\n'
    )
    done = run_vox("run", "prog.imgql", "--data-root", "data", "--out-root", "results", cwd=project)
    assert done.returncode == 1, done.stderr
    assert "simpleitk.WriteImage: path '../escaped.nii.gz' is outside the output directory" in done.stderr
    assert (project / "results" / "inside.nii.gz").is_file()
    assert (project / "results" / "v.json").read_text().split() == ["[", "1,", "2", "]"]
    assert not (project / "escaped.nii.gz").exists()


def test_a_save_name_template_cannot_reach_into_python_objects(project: Path) -> None:
    slash = "{0.__truediv__.__doc__[11]}"  # "/" with plain str.format
    (project / "prog.imgql").write_text(f'save "..{slash}escaped_{{}}.json" for i in range(0, 2) do i\n')
    done = run_vox("run", "prog.imgql", "--out-root", "results", cwd=project)
    assert done.returncode != 0
    assert f"bad file name template '..{slash}escaped_{{}}.json'" in done.stderr
    assert "is not allowed" in done.stderr
    assert not list(project.rglob("escaped_*"))


def test_the_documented_confined_run_prints_what_docs_run_md_shows(project: Path) -> None:
    import re

    text = (Path(__file__).resolve().parents[2] / "docs" / "run.md").read_text(encoding="utf-8")
    block = re.search(
        r"\$ cat data/paths.json\n(.*?)\n\$ cat prog.imgql\n(.*?)\n"
        r"\$ vox run prog.imgql --data-root data\n(.*?)\n```",
        text,
        re.S,
    )
    assert block is not None
    paths, program, expected = block.groups()
    (project / "data" / "paths.json").write_text(paths)
    (project / "prog.imgql").write_text(program + "\n")
    done = run_vox("run", "prog.imgql", "--data-root", "data", cwd=project)
    assert done.returncode == 1
    real = str((project / "data").resolve().parent)
    assert done.stderr.splitlines()[0] == expected.replace("/home/ada/study", real)
