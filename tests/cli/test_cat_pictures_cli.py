"""`vox cat ID -o x.png --view ... --overlay MASK --labels MAP`: pictures from the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from voxcas.cli.app import app, main
from voxcas.primitives.imageio import read_image
from voxcas.store.sqlite import SqliteStore
from voxcas.values import Image

runner = CliRunner()


@pytest.fixture
def stored(tmp_path: Path) -> dict[str, str]:
    """A store holding a volume stored RAS, a mask of it and a label map, by digest."""
    a = np.full((10, 12, 14), 50, np.int16)
    a[6:9, 2:5, 2:5] = 200  # stored RAS: low x is the patient's left
    image = Image.from_array(a, spacing=(1, 1, 2), direction=(-1, 0, 0, 0, -1, 0, 0, 0, 1))
    with SqliteStore(tmp_path / ".vox", create=True) as store:
        return {
            "store": str(tmp_path / ".vox"),
            "image": store.put(image),
            "mask": store.put(image.with_array(a == 200)),
            "labels": store.put(image.with_array((a == 200).astype(np.uint8) * 5)),
            "number": store.put(3),
        }


def vox(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_a_view_and_an_overlay_make_the_picture_asked_for(stored: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "x.png"
    vox(
        "cat",
        stored["image"][:16],
        "-o",
        str(out),
        "--store",
        stored["store"],
        "--view",
        "axis=coronal zoom=1 style=outline color=cyan",
        "--overlay",
        stored["mask"][:16],
    )
    picture = read_image(out)
    assert picture.size == (14, 20) and picture.components == 3  # 10 slices × 2 mm tall
    cyan = (picture.array == (0, 255, 255)).all(axis=2)
    assert cyan.any() and np.nonzero(cyan)[1].min() >= 7  # the marker is on the patient's left: the right


def test_the_overlay_defaults_to_the_slice_through_the_masks_centre(
    stored: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "x.png"
    vox(
        "cat",
        stored["image"],
        "-o",
        str(out),
        "--store",
        stored["store"],
        "--view",
        "zoom=1 opacity=1",
        "--overlay",
        stored["mask"],
    )
    assert (read_image(out).array == (255, 0, 0)).all(axis=2).sum() == 9  # axial slice 7: 3 × 3 voxels


def test_a_label_map_gets_a_legend(stored: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "x.png"
    vox("cat", stored["image"], "-o", str(out), "--store", stored["store"], "--labels", stored["labels"])
    assert read_image(out).size == (14 * 16, 12 * 16 + 18)  # magnified ×16 (the most), a legend row


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--view", "axis=top"], "error: view axis=top: use axial, coronal, sagittal (or z, y, x)"),
        (
            ["--view", "zoom=1", "-o", "x.nii.gz"],
            "error: a view or overlays need a picture file (.png, .jpg, .bmp), not '.nii.gz'",
        ),
        (
            ["--view", "zoom=1", "--no-o"],
            "error: --view, --overlay and --labels draw a picture: give the file with -o x.png",
        ),
        (["--overlay", "NUMBER"], "error: an overlay is an int, not an image: it has no picture"),
    ],
)
def test_bad_picture_requests_are_one_line_and_exit_2(
    stored: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    args = ["cat", stored["image"], "--store", stored["store"]]
    extra = [stored["number"] if a == "NUMBER" else a for a in extra]
    if "--no-o" in extra:
        extra.remove("--no-o")
    elif "-o" not in extra:
        args += ["-o", str(tmp_path / "x.png")]
    with pytest.raises(SystemExit) as info:
        main(args + [str(tmp_path / a) if a.endswith(".nii.gz") else a for a in extra])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == message
