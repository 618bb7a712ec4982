"""The picture primitives: docs/images.md's example program runs, and its documented errors are real."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voxcas.cli.app import main
from voxcas.errors import PrimitiveError
from voxcas.primitives.imageio import read_image, write_image
from voxcas.primitives.registry import default_registry
from voxcas.values import Image

DOC = Path(__file__).resolve().parents[2] / "docs" / "images.md"
SPACING = (1.0, 1.0, 1.2)


def t1() -> Image:
    """64 × 64 × 48 voxels: a dim head with a bright ball, stored RAS as NIfTI usually is."""
    z, y, x = np.mgrid[0:48, 0:64, 0:64]
    head = ((x - 32) / 28) ** 2 + ((y - 32) / 30) ** 2 + ((z - 24) / 22) ** 2 < 1
    ball = (x - 40) ** 2 + (y - 22) ** 2 + (z - 30) ** 2 < 36
    a = np.where(head, 90, 5).astype(np.int16)
    a[ball] = 180
    return Image.from_array(a, spacing=SPACING, direction=(-1, 0, 0, 0, -1, 0, 0, 0, 1))


def call(name: str, *args: Any) -> Any:
    return default_registry().get(f"default.{name}")(*args)


def test_the_documented_program_writes_every_picture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    block = re.search(r"```imgql\n(// pictures\.imgql\n.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block is not None
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VOX_STORE", raising=False)
    image = t1()
    write_image(image, tmp_path / "t1.nii.gz")
    write_image(image.with_array((image.array > 150).astype(np.uint8) * 3), tmp_path / "labels.nii.gz")
    Path("pictures.imgql").write_text(block.group(1))
    with pytest.raises(SystemExit) as info:
        main(["run", "pictures.imgql", "--no-progress", "--out", "out"])
    assert info.value.code == 0, capsys.readouterr().err
    sizes = {p.name: read_image(p).size for p in sorted((tmp_path / "out" / "pics").glob("*.png"))}
    assert sizes == {
        "axial.png": (256, 256),  # 64 × 64 voxels, × 4
        "coronal.png": (256, 232),  # 48 slices × 1.2 mm = 57.6 → 58 rows, × 4
        "sagittal.png": (128, 116),  # zoom=2
        "mosaic.png": (512, 384),  # 4 × 3 tiles of 128 × 128
        "outline.png": (256, 256),
        "two.png": (256, 256),
        "labels.png": (256, 232 + 18),  # and a legend row
        "case_000.png": (384, 256),  # mosaic=6: 3 × 2 tiles
    }
    outline = read_image(tmp_path / "out" / "pics" / "outline.png").array
    assert (outline == (255, 255, 0)).all(axis=2).any()


def test_a_picture_is_a_stored_value_whose_id_covers_the_view() -> None:
    image = t1()
    a, b = call("picture", image, "axis=coronal"), call("picture", image)
    assert a.size != b.size and a.dim == 2 and str(a.array.dtype) == "uint8"


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("windw=0:1",), "picture"),
        (("axis=top",), "picture"),
        (("window=600:0",), "picture"),
        (("slice=3 mosaic=4",), "picture"),
        (("color=bleu",), "picture"),
        (("slice=99",), "picture"),
    ],
)
def test_the_documented_picture_errors_are_the_real_messages(args: tuple[str, ...], name: str) -> None:
    with pytest.raises(PrimitiveError) as info:
        call(name, t1(), *args)
    assert str(info.value) in DOC.read_text(encoding="utf-8")


def test_the_documented_overlay_errors_are_the_real_messages() -> None:
    image = t1()
    coarse = Image.from_array(np.zeros((24, 32, 32), bool), spacing=(2.0, 2.0, 2.4))
    cases = [
        ("picture_overlay", coarse),
        ("picture_overlay", image),  # int16 values: not a mask
        ("picture_labels", image.with_array(image.array / 7.0)),
    ]
    text = DOC.read_text(encoding="utf-8")
    for name, overlay in cases:
        with pytest.raises(PrimitiveError) as info:
            call(name, image, overlay)
        assert str(info.value) in text, str(info.value)


def test_masks_must_be_images_or_a_list_of_them() -> None:
    with pytest.raises(PrimitiveError) as info:
        call("picture_overlay", t1(), 3)
    assert (
        str(info.value)
        == "default.picture_overlay: argument 'masks': expected a mask or a list of masks, got int"
    )
    with pytest.raises(PrimitiveError) as info:
        call("picture", 3)
    assert str(info.value) == "default.picture: argument 'i': expected an image, got int"
