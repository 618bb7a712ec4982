"""voxcas.viewer.slices: the viewer's planes are radiological, keep the voxel aspect, and overlay
masks in their colour; prepared volumes are cached.

The oracle is the construction of the study (tests/viewer/study.py): the marker's voxels are
known in LPS order, so where each radiological plane must show them follows from the layout
(axial: patient's left on the right, anterior up; coronal and sagittal: superior up).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image as PILImage
from study import MARKER_LPS, NX, NY, NZ, Study

from voxcas.errors import UsageError
from voxcas.ids import Digest
from voxcas.values import Image
from voxcas.viewer.runs import run_page
from voxcas.viewer.slices import Scenes, SliceRequest, image_info, slice_png


def _digests(study: Study) -> tuple[Digest, Digest]:
    goals = run_page(study.store, study.run)["goals"]
    return goals[1]["value"]["digest"], goals[2]["value"]["digest"]


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(PILImage.open(io.BytesIO(png)).convert("RGB"))


def _bright(picture: np.ndarray) -> set[tuple[int, int]]:
    rows, cols = np.nonzero(picture[..., 0] > 128)
    return set(zip(rows.tolist(), cols.tolist(), strict=True))


def test_the_layout_counts_slices_in_radiological_order(study: Study) -> None:
    image, _ = _digests(study)
    info = image_info(Scenes().get(study.store, image), image)
    assert info["slices"] == {"x": NX, "y": NY, "z": NZ}
    assert info["spacing"] == [1.0, 1.0, 2.5]
    assert (info["min"], info["max"], info["mask"]) == (20.0, 200.0, False)


def test_an_axial_plane_shows_the_left_anterior_marker_top_right(study: Study) -> None:
    image, _ = _digests(study)
    xs, ys, zs = MARKER_LPS
    picture = _pixels(slice_png(Scenes(), study.store, SliceRequest(image, "z", zs.start)))
    assert picture.shape[:2] == (NY, NX)
    assert _bright(picture) == {(r, c) for r in range(ys.start, ys.stop) for c in range(xs.start, xs.stop)}


def test_a_coronal_plane_is_superior_up_and_stretched_by_the_slice_spacing(study: Study) -> None:
    image, _ = _digests(study)
    xs, ys, zs = MARKER_LPS
    picture = _pixels(slice_png(Scenes(), study.store, SliceRequest(image, "y", ys.start)))
    assert picture.shape[:2] == (round(NZ * 2.5), NX)  # 2.5 mm slices as 2.5 one-mm pixels
    rows = {r for r, _ in _bright(picture)}
    top_mm, bottom_mm = (NZ - zs.stop) * 2.5, (NZ - zs.start) * 2.5  # superior at the top
    assert min(rows) >= top_mm - 1 and max(rows) <= bottom_mm
    assert {c for _, c in _bright(picture)} == set(range(xs.start, xs.stop))


def test_a_sagittal_plane_has_posterior_on_the_right(study: Study) -> None:
    image, _ = _digests(study)
    xs, ys, _ = MARKER_LPS
    picture = _pixels(slice_png(Scenes(), study.store, SliceRequest(image, "x", xs.start)))
    assert {c for _, c in _bright(picture)} == set(range(ys.start, ys.stop))  # anterior: low columns


def test_a_mask_overlay_is_drawn_in_its_colour_where_the_mask_is(study: Study) -> None:
    image, mask = _digests(study)
    xs, ys, zs = MARKER_LPS
    request = SliceRequest(image, "z", zs.start, masks=(mask,), colors=("#00ff00",), opacity=1.0)
    picture = _pixels(slice_png(Scenes(), study.store, request))
    green = picture[ys, xs]
    assert (green == [0, 255, 0]).all()
    outside = picture[ys.stop :, : xs.start]
    assert (outside[..., 0] == outside[..., 1]).all()  # grey: no colour off the mask


def test_an_outline_marks_the_mask_border_and_not_its_inside(study: Study) -> None:
    image, mask = _digests(study)
    xs, ys, zs = MARKER_LPS
    request = SliceRequest(
        image, "z", zs.start, masks=(mask,), colors=("#ff0000",), style="outline", opacity=1.0
    )
    picture = _pixels(slice_png(Scenes(), study.store, request))
    centre = picture[ys.start + 1, xs.start + 1]
    corner = picture[ys.start, xs.start]
    assert tuple(corner) == (255, 0, 0)
    assert centre[0] == centre[1] == centre[2]


def test_a_window_sets_what_is_black_and_white(study: Study) -> None:
    image, _ = _digests(study)
    picture = _pixels(slice_png(Scenes(), study.store, SliceRequest(image, "z", 0, window=(0.0, 40.0))))
    assert (picture == 128).all()  # background 20 is halfway through 0..40


def test_a_prepared_volume_is_reused_until_it_is_pushed_out(study: Study) -> None:
    image, mask = _digests(study)
    scenes = Scenes(capacity=1)
    first = scenes.get(study.store, image)
    assert scenes.get(study.store, image) is first
    scenes.get(study.store, image, (mask,))
    assert scenes.get(study.store, image) is not first


def test_an_overlay_off_the_image_grid_is_refused_with_its_geometry(study: Study) -> None:
    image, _ = _digests(study)
    small = study.store.put(Image.from_array(np.zeros((2, 2, 2), bool)))
    with pytest.raises(UsageError, match="mask 1 does not lie on the image's grid"):
        slice_png(Scenes(), study.store, SliceRequest(image, masks=(small,)))


def test_an_object_that_is_no_image_has_no_slices(study: Study) -> None:
    number = study.store.put(3.5)
    with pytest.raises(UsageError, match=f"object {number} is a float, not an image"):
        Scenes().get(study.store, number)


def test_a_slice_out_of_range_names_the_range(study: Study) -> None:
    image, _ = _digests(study)
    with pytest.raises(UsageError, match=r"slice 99 is out of range: the axial axis has 8 slices \(0..7\)"):
        slice_png(Scenes(), study.store, SliceRequest(image, "z", 99))


def test_a_thumbnail_does_not_push_the_viewed_volume_out(study: Study) -> None:
    image, mask = _digests(study)
    scenes = Scenes(capacity=1)
    viewed = scenes.get(study.store, image)
    thumbnail = slice_png(scenes, study.store, SliceRequest(mask), keep=False)
    assert thumbnail.startswith(b"\x89PNG")
    assert scenes.get(study.store, image) is viewed
