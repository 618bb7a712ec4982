"""Drawing pictures: window, aspect, readable size, mosaics, overlays (filled, outlined, label maps)."""

from __future__ import annotations

import numpy as np
import pytest

from voxcas.errors import UsageError
from voxcas.pictures import parse_view, png_bytes, render
from voxcas.pictures.colors import LABEL_TABLE
from voxcas.values import Image


def ramp(shape: tuple[int, int, int] = (4, 6, 8), spacing: tuple[float, float, float] = (1, 1, 1)) -> Image:
    return Image.from_array(np.arange(np.prod(shape), dtype=np.float32).reshape(shape), spacing=spacing)


def test_a_window_maps_its_ends_to_black_and_white_and_clips_outside() -> None:
    image = Image.from_array(np.array([[[0, 100, 150, 200, 300]]], np.int16))
    out = render(image, parse_view("window=100:200 zoom=1")).array[0]
    assert out.tolist() == [0, 0, 128, 255, 255]  # 127.5 rounds half away from zero


def test_level_and_width_give_the_same_picture_as_the_window_they_name() -> None:
    image = ramp()
    assert np.array_equal(
        render(image, parse_view("level=50 width=40")).array, render(image, parse_view("window=30:70")).array
    )


def test_the_automatic_window_spans_the_percentiles_of_the_whole_volume() -> None:
    image = ramp((10, 10, 10))
    values = image.array.ravel()
    lo, hi = np.percentile(values, [0.5, 99.5])
    out = render(image, parse_view("slice=0 zoom=1")).array
    expected = np.clip(np.floor((image.array[0] - lo) * 255 / (hi - lo) + 0.5), 0, 255)
    assert np.array_equal(out, expected.astype(np.uint8))


def test_nan_voxels_show_as_the_low_end_of_the_window() -> None:
    a = np.full((1, 2, 2), 5.0, np.float32)
    a[0, 0, 0] = np.nan
    out = render(Image.from_array(a), parse_view("window=5:10 zoom=1")).array
    assert out[0, 0] == 0


def test_anisotropic_voxels_keep_their_proportions() -> None:
    image = ramp((4, 6, 8), spacing=(1.0, 1.0, 3.0))  # 8 × 6 × 4 voxels, slices 3 mm apart
    assert render(image, parse_view("axis=coronal zoom=1")).array.shape == (12, 8)  # 4 × 3 mm rows
    assert render(image, parse_view("axis=sagittal zoom=2")).array.shape == (24, 12)
    coronal = render(image, parse_view("axis=coronal slice=0 zoom=1 window=0:191")).array
    assert np.array_equal(coronal[0:3], np.repeat(coronal[0:1], 3, axis=0))  # each slice three rows tall


def test_small_volumes_are_scaled_up_to_a_readable_size_by_a_whole_factor() -> None:
    image = ramp((48, 64, 64))
    out = render(image).array
    assert out.shape == (256, 256)
    small = render(image, parse_view("zoom=1")).array
    assert np.array_equal(out, np.repeat(np.repeat(small, 4, axis=0), 4, axis=1))


def test_2d_images_are_drawn_pixel_for_pixel() -> None:
    image = Image.from_array(np.arange(12, dtype=np.uint8).reshape(3, 4))
    assert np.array_equal(render(image).array, image.array)


def test_a_mosaic_tiles_evenly_spaced_slices_lowest_first() -> None:
    a = np.zeros((8, 2, 3), np.uint8)
    for k in range(8):
        a[k] = 10 * k
    out = render(Image.from_array(a), parse_view("mosaic=4 zoom=1")).array
    assert out.shape == (4, 6)  # 2 × 2 tiles of 2 × 3 pixels
    tiles = [out[0:2, 0:3], out[0:2, 3:6], out[2:4, 0:3], out[2:4, 3:6]]
    assert [int(t[0, 0]) for t in tiles] == [10, 30, 50, 70]  # slices 1, 3, 5, 7: centres of their quarters


def test_a_filled_mask_is_blended_with_its_colour_at_its_opacity() -> None:
    grey = Image.from_array(np.full((3, 5, 5), 100, np.uint8))
    mask = np.zeros((3, 5, 5), bool)
    mask[1, 1:3, 2:4] = True
    out = render(grey, parse_view("zoom=1 opacity=0.5 color=#ff0000"), masks=[grey.with_array(mask)]).array
    inside = out[mask[1]]
    assert (inside[:, 1:] == 50).all() and (abs(inside[:, 0].astype(int) - 177) <= 1).all()  # (100 + 255) / 2
    assert (out[~mask[1]] == 100).all()


def test_an_outline_colours_the_mask_boundary_and_nothing_else() -> None:
    grey = Image.from_array(np.full((1, 7, 7), 80, np.uint8))
    mask = np.zeros((1, 7, 7), bool)
    mask[0, 1:6, 1:6] = True
    out = render(grey, parse_view("style=outline zoom=1 color=yellow"), masks=[grey.with_array(mask)]).array
    yellow = (out == (255, 255, 0)).all(axis=2)
    boundary = mask[0] & ~np.pad(
        mask[0, 1:-1, 1:-1] & mask[0, :-2, 1:-1] & mask[0, 2:, 1:-1] & mask[0, 1:-1, :-2] & mask[0, 1:-1, 2:],
        1,
    )
    assert np.array_equal(yellow, boundary)
    assert (out[~boundary] == 80).all()


def test_later_masks_are_drawn_over_earlier_ones_in_their_own_colours() -> None:
    grey = Image.from_array(np.zeros((1, 4, 4), np.uint8))
    first, second = np.zeros((1, 4, 4), bool), np.zeros((1, 4, 4), bool)
    first[0, :, :2] = True
    second[0, :2, :] = True
    out = render(
        grey, parse_view("zoom=1 opacity=1"), masks=[grey.with_array(first), grey.with_array(second)]
    ).array
    assert tuple(out[3, 0]) == LABEL_TABLE[0]  # only the first: red
    assert tuple(out[0, 0]) == tuple(out[0, 3]) == LABEL_TABLE[1]  # the second on top: green


def test_the_default_slice_with_overlays_goes_through_the_masks_centre() -> None:
    grey = Image.from_array(np.zeros((20, 4, 4), np.uint8))
    mask = np.zeros((20, 4, 4), bool)
    mask[3:8, 1, 1] = True  # slices 3 … 7: the centre is 5
    marked = grey.array.copy()
    marked[5] = 200
    out = render(grey.with_array(marked), parse_view("zoom=1 opacity=1"), masks=[grey.with_array(mask)]).array
    assert tuple(out[0, 0]) == (200, 200, 200)


def test_a_label_map_gets_the_table_colours_and_a_legend_of_the_labels_present() -> None:
    grey = Image.from_array(np.full((1, 40, 60), 60, np.uint8))
    labels = np.zeros((1, 40, 60), np.uint8)
    labels[0, 5:15, 5:15] = 2
    labels[0, 20:30, 30:40] = 4
    out = render(grey, parse_view("zoom=1 opacity=1"), labels=grey.with_array(labels)).array
    assert out.shape[0] > 40 and out.shape[1] == 60  # the legend band below
    assert tuple(out[10, 10]) == LABEL_TABLE[1] and tuple(out[25, 35]) == LABEL_TABLE[3]
    legend = out[40:]
    for value in (2, 4):
        assert (legend == LABEL_TABLE[value - 1]).all(axis=2).any()
    assert not (legend == LABEL_TABLE[0]).all(axis=2).any()  # label 1 is absent: not listed
    bare = render(grey, parse_view("zoom=1 legend=no"), labels=grey.with_array(labels)).array
    assert bare.shape[:2] == (40, 60)


def test_rgb_images_are_shown_as_stored() -> None:
    rgb = np.zeros((2, 3, 4, 3), np.uint8)
    rgb[1, ..., 0] = 200
    out = render(Image.from_array(rgb, components=3), parse_view("zoom=1")).array
    assert out.shape == (3, 4, 3) and (out[..., 0] == 200).all()


def test_a_png_holds_the_picture_exactly() -> None:
    import io

    from PIL import Image as PILImage

    picture = render(ramp(), parse_view("zoom=1"))
    back = np.asarray(PILImage.open(io.BytesIO(png_bytes(picture))))
    assert np.array_equal(back, picture.array)


def _mask_like(image: Image, array: np.ndarray) -> Image:
    return Image.from_array(array, spacing=image.spacing, origin=image.origin, direction=image.direction)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda img: {"masks": [Image.from_array(np.zeros((2, 3, 4), bool), spacing=(2, 2, 2))]},
            "mask 1 does not lie on the image's grid: it has size 4x3x2, spacing 2.0x2.0x2.0, "
            "the image size 8x6x4, spacing 1.0x1.0x1.0 (or a different origin or direction)",
        ),
        (
            lambda img: {"masks": [_mask_like(img, np.full((4, 6, 8), 3, np.int16))]},
            "mask 1 is not a mask: it holds int16 values other than 0 and 1 (overlay it as a label map)",
        ),
        (
            lambda img: {"labels": _mask_like(img, np.full((4, 6, 8), 0.5, np.float32))},
            "the label map holds fractional values: labels are whole numbers",
        ),
        (
            lambda img: {"labels": _mask_like(img, np.full((4, 6, 8), -1, np.int32))},
            "the label map holds values from -1 to -1: labels go from 0 to 65535",
        ),
        (
            lambda img: {"masks": [img], "labels": img},
            "give masks or a label map to overlay, not both",
        ),
    ],
)
def test_bad_overlays_are_one_clear_line(make: object, message: str) -> None:
    image = ramp()
    with pytest.raises(UsageError) as info:
        render(image, None, **make(image))  # type: ignore[operator]
    assert str(info.value) == message


def test_a_slice_out_of_range_names_the_plane_and_the_range() -> None:
    with pytest.raises(UsageError) as info:
        render(ramp(), parse_view("axis=coronal slice=6"))
    assert str(info.value) == "slice 6 is out of range: the coronal axis has 6 slices (0..5)"
