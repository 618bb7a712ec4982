"""A store that stays a sensible size (issue 14 item 5): store size and re-run time by policy.

Two workloads, each run through the real CLI into two fresh stores, one with the default policy
(every result kept) and one with `vox run --keep goals` (goals and results saving at least
60 s per GiB kept, the rest dropped when the run ends):
- the demo (`examples/brain_tumour.imgql` over the 6 generated cases);
- a 20-volume loop (T1-size 256×188×190 uint8 volumes, threshold then largest component).

Figures, each beside a baseline of the same run: the input data's size; the store's size on disk
after the run under each policy; the time of an unchanged re-run after each (the goals are
stored: nothing is computed), and of a re-run with a changed threshold (it needs the loaded
volumes again: what the policy dropped is recomputed).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import Report

REPO = Path(__file__).resolve().parents[1]
T1_SHAPE = (190, 256, 188)  # [z, y, x]: the real T1 of ../shared/data, 9.1 M voxels
VOLUMES = 20
POLICIES = (("default policy", ()), ("--keep goals", ("--keep", "goals")))

LOOP = """import "vox1"
cases = dir(concat($dir, "/cases"), "*.nii")
print "volumes" for f in cases do volume(maxvol(intensity(load(f)) >. {threshold}))
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.pop("VOX_STORE", None)
    return env


def _size(path: Path) -> float:
    """MB on disk of every file under `path`."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def _run(program: Path, store: Path, *extra: str) -> tuple[float, dict[str, Any]]:
    """Wall seconds and the JSON summary of one `vox run` process."""
    args = [sys.executable, "-m", "voxcas.cli.app", "run", str(program), "--store", str(store),
            "--out", str(program.parent / "results"), "--json", "--no-progress", *extra]  # fmt: skip
    t0 = time.perf_counter()
    done = subprocess.run(args, cwd=program.parent, env=_env(), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"vox run {program.name} failed: {done.stderr}")
    return wall, json.loads(done.stdout)


def _volumes(root: Path) -> None:
    import numpy as np
    import SimpleITK as sitk
    from scipy import ndimage

    rng = np.random.default_rng(0)
    small = ndimage.gaussian_filter(rng.random((48, 64, 48), dtype=np.float32), 3.0)
    small = (small - small.min()) / (small.max() - small.min()) * 255.0
    base = ndimage.zoom(small, [t / s for t, s in zip(T1_SHAPE, small.shape, strict=True)], order=1)
    (root / "cases").mkdir(parents=True)
    for i in range(VOLUMES):
        volume = np.clip(np.roll(base, 3 * i, axis=2) + rng.normal(0, 3, T1_SHAPE), 0, 255).astype(np.uint8)
        image = sitk.GetImageFromArray(volume)
        image.SetSpacing((0.88, 0.88, 0.88))
        sitk.WriteImage(image, str(root / "cases" / f"case_{i:02d}.nii"))


def _workload(report: Report, name: str, program: Path, changed: Path, data: Path) -> None:
    """Both policies on one workload: sizes beside the input data, re-runs beside each other."""
    report.row(f"{name}: input data", _size(data), "MB")
    sizes: dict[str, float] = {}
    reruns: dict[str, float] = {}
    changes: dict[str, float] = {}
    for label, extra in POLICIES:
        store = program.parent / f"store-{label.strip('-').replace(' ', '-')}"
        shutil.rmtree(store, ignore_errors=True)
        cold, first = _run(program, store, *extra)
        sizes[label] = _size(store)
        reruns[label], again = _run(program, store, *extra)
        changes[label], change = _run(changed, store, *extra)
        dropped = len(first.get("gc", {}).get("dropped", []))
        report.note(
            f"{name}, {label}: cold {cold:.1f} s, {first['computed']} nodes computed"
            + (f", {dropped} results dropped at the end" if extra else "")
            + f"; unchanged re-run computed {again['computed']}; changed threshold computed "
            f"{change['computed']}, reused {change['reused']}"
        )
        report.row(f"{name}: store after the run, {label}", sizes[label], "MB",
                   baseline=_size(data), baseline_name="input data")  # fmt: skip
    default, goals = (label for label, _ in POLICIES)
    report.row(f"{name}: store, --keep goals vs default", sizes[goals], "MB",
               baseline=sizes[default], baseline_name="default policy")  # fmt: skip
    report.row(f"{name}: unchanged re-run after --keep goals", reruns[goals], "s",
               baseline=reruns[default], baseline_name="after the default policy")  # fmt: skip
    report.row(f"{name}: changed-threshold re-run after --keep goals", changes[goals], "s",
               baseline=changes[default], baseline_name="after the default policy")  # fmt: skip


def run(report: Report) -> None:
    report.section("store size by retention policy (vox run --keep goals vs the default)")
    report.note("sizes: files of the store directory; times: whole vox run processes, one each")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        from voxcas.demo.dataset import generate

        demo = root / "demo"
        generate(demo / "data")
        text = (REPO / "examples" / "brain_tumour.imgql").read_text()
        (demo / "brain_tumour.imgql").write_text(text)
        assert "pflair >. 0.98" in text
        (demo / "changed.imgql").write_text(text.replace("pflair >. 0.98", "pflair >. 0.97"))
        program, changed = demo / "brain_tumour.imgql", demo / "changed.imgql"
        _workload(report, "demo (6 cases)", program, changed, demo / "data")

        loop = root / "loop"
        _volumes(loop)
        (loop / "loop.imgql").write_text(LOOP.format(threshold="100.0"))
        (loop / "changed.imgql").write_text(LOOP.format(threshold="110.0"))
        name = f"{VOLUMES}-volume loop"
        _workload(report, name, loop / "loop.imgql", loop / "changed.imgql", loop / "cases")
