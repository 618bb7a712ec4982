"""The small examples run through the real CLI on the demo data and print what docs/demo.md says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from voxcas.demo.dataset import generate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("examples")
    generate(root / "demo-out" / "data", cases=1)
    return root


def vox_run(workdir: Path, program: str) -> list[str]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "voxcas.cli.app",
            "run",
            str(ROOT / "examples" / program),
            "-q",
            "--store",
            str(workdir / ".vox"),
            "--out",
            str(workdir / "results"),
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.slow
def test_threshold_example_prints_the_volume_and_saves_a_picture(workdir: Path) -> None:
    lines = vox_run(workdir, "threshold.imgql")
    assert lines[0] == "size=image(64x64x48, int16, spacing 1.0x1.0x1.2000000476837158)"
    assert lines[1].startswith("bright_voxels=") and int(lines[1].split("=")[1]) > 300
    assert (workdir / "results" / "threshold.png").is_file()
    assert (workdir / "results" / "bright.nii.gz").is_file()


@pytest.mark.slow
def test_regions_example_finds_brain_ventricles_and_cortex(workdir: Path) -> None:
    values = dict(line.split("=", 1) for line in vox_run(workdir, "regions.imgql"))
    head, brain = int(values["head_voxels"]), int(values["brain_voxels"])
    assert 0 < int(values["ventricle_voxels"]) < int(values["cortex_voxels"]) < brain < head
    assert 80 < float(values["brain_mean"]) < 110
    assert len(list((workdir / "results" / "regions").glob("*.png"))) == 3


@pytest.mark.slow
def test_simpleitk_example_mixes_namespaces(workdir: Path) -> None:
    values = dict(line.split("=", 1) for line in vox_run(workdir, "simpleitk_filters.imgql"))
    assert values["range"].startswith("[0.0, ")
    assert int(values["lesion_components"]) >= 1
    assert (workdir / "results" / "filters" / "lesion.png").is_file()
