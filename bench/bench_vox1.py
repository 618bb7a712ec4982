"""vox1 kernels on a clinical-size volume, each beside the closest SimpleITK or scipy call.

The volume is 240×240×155 (BraTS size, 8.9 M voxels), anisotropic spacing, a smooth random
intensity field in float32 with a boolean mask from it. Each row times the voxcas primitive
(called as the executor calls it, on `Image` values) against a reference that computes the same
thing (or as close as the library offers) on ready-made SimpleITK images or numpy arrays, in the
same run, best of 5 (3 for those above a second). Target: no primitive slower than 1.5× its
reference. Then the demo program through the real CLI, cold (empty store) and warm.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.report import Report, best_of

SHAPE = (155, 240, 240)
SPACING = (1.0, 1.0, 1.2)
TARGET = 1.5


def _data() -> dict[str, Any]:
    import numpy as np
    from scipy import ndimage

    from voxcas.primitives.imageio import to_sitk
    from voxcas.values import Image

    rng = np.random.default_rng(0)
    field = ndimage.gaussian_filter(rng.random(SHAPE, dtype=np.float32), 4.0)
    field = (field - field.min()) / (field.max() - field.min()) * 255.0
    field = field.astype(np.float32)
    mask = field > np.percentile(field, 60)
    other = field < np.percentile(field, 20)
    img = Image.from_array(field, spacing=SPACING)
    m = Image.from_array(mask, spacing=SPACING)
    o = Image.from_array(other, spacing=SPACING)
    u8 = mask.view(np.uint8)
    return {
        "np": np,
        "field": field,
        "mask": mask,
        "other": other,
        "img": img,
        "m": m,
        "o": o,
        "s_img": to_sitk(img),
        "s_m": to_sitk(Image.from_array(u8, spacing=SPACING)),
        "s_o": to_sitk(Image.from_array(other.view(np.uint8), spacing=SPACING)),
        "rgb": Image.from_array(
            np.stack([field.astype(np.uint8)] * 3, axis=-1), spacing=SPACING, components=3
        ),
    }


def _cases(d: dict[str, Any]) -> list[tuple[str, Callable[[], object], str, Callable[[], object]]]:
    import SimpleITK as sitk
    from scipy import ndimage, stats

    from voxcas.primitives.registry import default_registry

    np = d["np"]
    reg = default_registry()

    def v(name: str, *args: Any) -> Callable[[], object]:
        prim = reg.get(f"vox1.{name}")
        return lambda: prim(*args)

    img, m, o = d["img"], d["m"], d["o"]
    s_img, s_m, s_o = d["s_img"], d["s_m"], d["s_o"]
    field, mask, other = d["field"], d["mask"], d["other"]
    box3 = np.ones((3, 3, 3), bool)
    full = ndimage.generate_binary_structure(3, 3)
    rgb_sitk = sitk.Compose([sitk.Cast(s_img, sitk.sitkUInt8)] * 3)
    bins = 20

    def cc_reference() -> object:
        out = None
        for j in range(bins):  # the textbook way: one box filter per histogram bin
            out = ndimage.uniform_filter((field // (256 / bins) == j).astype(np.float32), size=(3, 5, 5))
        return out

    maurer = sitk.SignedMaurerDistanceMapImageFilter()
    maurer.SetInsideIsPositive(False)
    maurer.SetSquaredDistance(False)
    maurer.SetUseImageSpacing(True)

    def overlay_reference() -> object:
        grey = sitk.Cast(sitk.RescaleIntensity(s_img, 0, 255), sitk.sitkUInt8)
        return sitk.LabelOverlay(grey, s_m)

    def rgb_luminance() -> object:
        channels = [sitk.VectorIndexSelectionCast(rgb_sitk, c, sitk.sitkFloat32) for c in range(3)]
        return channels[0] * 0.2126 + channels[1] * 0.7152 + channels[2] * 0.0722

    return [
        ("near", v("near", m), "scipy binary_dilation 3^3", lambda: ndimage.binary_dilation(mask, box3)),
        (
            "interior",
            v("interior", m),
            "scipy binary_erosion 3^3",
            lambda: ndimage.binary_erosion(mask, box3, border_value=1),
        ),
        (
            "through",
            v("through", o, m),
            "scipy binary_propagation (full)",
            lambda: ndimage.binary_propagation(other & mask, structure=full, mask=mask),
        ),
        (
            "through (vs labelling alone)",
            v("through", o, m),
            "scipy label (full)",
            lambda: ndimage.label(mask, full),
        ),
        ("lcc", v("lcc", m), "sitk ConnectedComponent (full)", lambda: sitk.ConnectedComponent(s_m, True)),
        (
            "maxvol",
            v("maxvol", m),
            "sitk ConnectedComponent+Relabel",
            lambda: sitk.RelabelComponent(sitk.ConnectedComponent(s_m, True)) == 1,
        ),
        ("volume", v("volume", m), "sitk Statistics", lambda: sitk.StatisticsImageFilter().Execute(s_m)),
        ("dt", v("dt", m), "sitk SignedMaurerDistanceMap", lambda: maurer.Execute(s_m)),
        (
            "percentiles",
            v("percentiles", img, m, 0.5),
            "scipy rankdata (masked)",
            lambda: stats.rankdata(field[mask]),
        ),
        (
            "crossCorrelation",
            v("crossCorrelation", 2.0, img, img, m, 0.0, 256.0, bins),
            f"scipy uniform_filter x{bins} bins",
            cc_reference,
        ),
        (
            "otsu",
            v("otsu", img, m, 128),
            "sitk OtsuThreshold (masked)",
            lambda: sitk.OtsuThreshold(s_img, s_m, 0, 1, 128, True, 1),
        ),
        ("gradient", v("gradient", img), "sitk GradientMagnitude", lambda: sitk.GradientMagnitude(s_img)),
        ("intensity", v("intensity", img), "sitk Cast float32", lambda: sitk.Cast(s_img, sitk.sitkFloat32)),
        ("intensity (RGB)", v("intensity", d["rgb"]), "sitk channel casts + weighted sum", rgb_luminance),
        (
            "geq_sv",
            v("geq_sv", 100, img),
            "sitk BinaryThreshold",
            lambda: sitk.BinaryThreshold(s_img, 100.0, 1e30, 1, 0),
        ),
        (
            "between",
            v("between", 50, 150, img),
            "sitk BinaryThreshold",
            lambda: sitk.BinaryThreshold(s_img, 50.0, 150.0, 1, 0),
        ),
        ("max", v("max", img), "sitk MinimumMaximum", lambda: sitk.MinimumMaximum(s_img)),
        ("abs", v("abs", img), "sitk Abs", lambda: sitk.Abs(s_img)),
        ("mask", v("mask", img, m), "sitk Mask", lambda: sitk.Mask(s_img, s_m)),
        (
            "avg",
            v("avg", img, m),
            "sitk LabelStatistics",
            lambda: sitk.LabelStatisticsImageFilter().Execute(s_img, s_m),
        ),
        ("and", v("and", m, o), "sitk And", lambda: sitk.And(s_m, s_o)),
        ("not", v("not", m), "sitk BinaryNot", lambda: sitk.BinaryNot(s_m)),
        (
            "border",
            v("border", img),
            "numpy pad of zeros",
            lambda: np.pad(np.zeros((153, 238, 238), bool), 1, constant_values=True),
        ),
        ("x", v("x", img), "numpy indices", lambda: np.indices(SHAPE, dtype=np.float32)[2]),
        (
            "constant",
            v("constant", img, 3.0),
            "sitk Image + Add",
            lambda: sitk.Image(240, 240, 155, sitk.sitkFloat32) + 3.0,
        ),
        ("rgb", v("rgb", img, img, img), "sitk Compose", lambda: sitk.Compose([s_img, s_img, s_img])),
        (
            "red",
            v("red", d["rgb"]),
            "sitk VectorIndexSelectionCast",
            lambda: sitk.VectorIndexSelectionCast(rgb_sitk, 0),
        ),
        ("overlay", v("overlay", img, m), "sitk RescaleIntensity + LabelOverlay", overlay_reference),
    ]


def _demo(report: Report) -> None:
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        from voxcas.demo.dataset import generate

        generate(out / "data")
        program = out / "brain_tumour.imgql"
        program.write_text((root / "examples" / "brain_tumour.imgql").read_text())
        cmd = [sys.executable, "-m", "voxcas.cli.app", "run", str(program), "--store", str(out / ".vox"),
               "--out", str(out / "results"), "--json", "--no-progress"]  # fmt: skip

        def once() -> tuple[float, dict[str, Any]]:
            t0 = time.perf_counter()
            done = subprocess.run(cmd, cwd=out, env=env, capture_output=True, text=True, check=True)
            return time.perf_counter() - t0, json.loads(done.stdout)

        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import numpy, SimpleITK"], env=env, check=True)
        startup = time.perf_counter() - t0
        cold, first = once()
        warm, second = once()
        report.row("demo cold (6 cases, empty store)", cold, "s", baseline=startup,
                   baseline_name="python + numpy + SimpleITK start-up")  # fmt: skip
        report.row("demo warm (same store)", warm, "s", baseline=cold, baseline_name="cold run")
        report.note(
            f"cold: {first['computed']} nodes computed; warm: {second['computed']} computed, "
            f"{second['reused']} reused; mean Dice {first['outputs'][-1].split('=')[1]}"
        )


def run(report: Report) -> None:
    report.section("vox1 primitives on 240×240×155 (each beside its SimpleITK / scipy reference)")
    d = _data()
    report.note("best of 5 wall times (3 above 1 s); ratio = voxcas / reference; target ≤ 1.5×")
    for name, ours, ref_name, ref in _cases(d):
        t0 = time.perf_counter()
        ours()  # warm caches and lazy imports; its time sizes the repeats
        repeat = 5 if time.perf_counter() - t0 < 1.0 else 3  # the machine is shared: more tries when cheap
        t_ours = best_of(ours, repeat)
        t_ref = best_of(ref, repeat)
        lower_bound = "alone" in name  # a part of the work, shown for scale, not a target
        target = "" if lower_bound else "≤ 1.5×"
        ok = None if lower_bound else t_ours <= TARGET * t_ref
        report.row(name, t_ours, "s", baseline=t_ref, baseline_name=ref_name, target=target, ok=ok)
    report.section("the demo program through vox run")
    _demo(report)
