"""Drawing one picture of a `Scene` as a `View` asks: slices, window, aspect, overlays, mosaic, legend.

For each slice (one, or a mosaic's evenly spaced ones):

1. the slice is cut in radiological layout (`orient.plane`);
2. grey images are windowed to 0–255 with SimpleITK's `IntensityWindowing` (NaN shows as the low
   end); colour images are shown as stored when uint8, else windowed channel by channel with one
   window;
3. a slice of a volume is resampled with nearest-neighbour interpolation (SimpleITK's `Resample`)
   to square pixels of the smaller of its two voxel spacings, so a 1×1×3 mm volume keeps its
   proportions, and magnified by a whole factor: `zoom`, or automatically until its longer side
   has at least `READABLE` pixels (half that for each slice of a mosaic; at most ×16). No voxel
   is blended with its neighbours. A 2D image is drawn pixel for pixel (magnified only by an
   explicit `zoom`): it is a picture already;
4. overlays are drawn by SimpleITK: filled with `LabelOverlay` (each overlay pixel becomes
   `(1 − opacity) × grey + opacity × colour`), outlined with `LabelMapContourOverlay` (the mask's
   own boundary pixels, inside it, in its colour at `opacity`).

A mosaic is tiled by SimpleITK's `Tile`, left to right then top to bottom, lowest slice first.
A label map's picture gets a legend below it (`voxcas.pictures.legend`). `slice=centre` (the
default with overlays) is the slice through the centre of the overlay's voxels, or the middle
slice when the overlay is empty.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from voxcas.errors import UsageError
from voxcas.pictures.colors import RGB, colormap, label_color
from voxcas.pictures.orient import Plane, centre_index, plane, slice_count
from voxcas.pictures.scene import Scene
from voxcas.pictures.view import View
from voxcas.values import Image

if TYPE_CHECKING:
    import numpy as np

READABLE = 256
MAX_AUTO_ZOOM = 16


def slice_indices(scene: Scene, view: View) -> list[int]:
    """The slices a view shows: one, or a mosaic's evenly spaced ones (each the centre of its share)."""
    n = slice_count(scene.volume, view.axis)
    if view.mosaic is not None:
        count = min(view.mosaic, n)
        return [math.floor((i + 0.5) * n / count) for i in range(count)]
    chosen = view.slice
    if chosen == "auto":
        chosen = "centre" if scene.overlay is not None else "middle"
    if chosen == "centre" and scene.overlay is not None:
        centre = centre_index(scene.overlay, view.axis)
        return [centre if centre is not None else n // 2]
    if isinstance(chosen, int):
        if not 0 <= chosen < n:
            where = "a 2D image has" if scene.volume.dim == 2 else f"the {view.plane} axis has"
            raise UsageError(
                f"slice {chosen} is out of range: {where} {n} slice{'s' if n > 1 else ''} (0..{n - 1})"
            )
        return [chosen]
    return [n // 2]


def overlay_colors(scene: Scene, view: View) -> dict[int, RGB]:
    """The colour of each overlay value: the view's colours for masks (in order), else the table."""
    colors: dict[int, RGB] = {}
    for value in scene.values:
        given = scene.kind == "masks" and value <= len(view.colors)
        colors[value] = view.colors[value - 1] if given else label_color(value)
    return colors


def draw(scene: Scene, view: View) -> Image:
    """The picture: a 2D uint8 image, grey (1 component) or RGB (3 components)."""
    from voxcas.primitives.imageio import sitk_module

    sitk = sitk_module()
    window = view.window or scene.auto_window
    tiles = [_tile(scene, view, window, index) for index in slice_indices(scene, view)]
    if len(tiles) == 1:
        picture = tiles[0]
    else:
        columns, rows = view.layout()
        picture = sitk.Tile(tiles, [columns, rows])
    array = sitk.GetArrayFromImage(picture)
    if scene.kind == "labels" and view.legend:
        from voxcas.pictures.legend import with_legend

        array = with_legend(array, overlay_colors(scene, view))
    return Image.from_array(array, components=3 if array.ndim == 3 else 1)


def _tile(scene: Scene, view: View, window: tuple[float, float], index: int) -> Any:
    sitk = _sitk()
    cut = plane(scene.volume, view.axis, index)
    grey = _windowed(cut, window, scene.volume.components)
    readable = READABLE if view.mosaic is None else READABLE // 2
    height, width, factor = display_size(cut, view.zoom, scene.volume.dim, readable)
    grey = _resized(grey, cut, height, width)
    if scene.overlay is None:
        return grey
    overlay_cut = plane(scene.volume.with_array(scene.overlay, 1), view.axis, index)
    labels = _resized(_sitk_image(overlay_cut.array), cut, height, width)
    table = colormap(overlay_colors(scene, view))
    opacity = view.overlay_opacity()
    if view.style == "outline":
        thickness = max(1, round(factor / 2))
        return sitk.LabelMapContourOverlay(
            sitk.LabelImageToLabelMap(labels, 0),
            grey,
            opacity=opacity,
            dilationRadius=[0, 0],
            contourThickness=[thickness, thickness],
            sliceDimension=0,
            contourType=1,  # CONTOUR: the boundary pixels of each label, inside it
            priority=0,  # HIGH_LABEL_ON_TOP: a later mask is drawn over an earlier one
            colormap=table,
        )
    colored = sitk.LabelOverlay(grey, labels, opacity=opacity, backgroundValue=0, colormap=table)
    return colored


def _sitk() -> Any:
    from voxcas.primitives.imageio import sitk_module

    return sitk_module()


def _sitk_image(array: np.ndarray, vector: bool = False) -> Any:
    import numpy as np

    return _sitk().GetImageFromArray(np.ascontiguousarray(array), isVector=vector)


def _windowed(cut: Plane, window: tuple[float, float], components: int) -> Any:
    """The slice as a uint8 SimpleITK image (scalar, or RGB for colour images)."""
    import numpy as np

    sitk = _sitk()
    lo, hi = window
    data = cut.array
    if components > 1:
        data = data[..., :3]
        if data.dtype == np.uint8 and window == (0.0, 255.0):  # shown as stored
            return _sitk_image(data, vector=True)
        channels = [_window_channel(np.ascontiguousarray(data[..., c]), lo, hi) for c in range(3)]
        return sitk.Compose(channels)
    return _window_channel(data, lo, hi)


def _window_channel(data: np.ndarray, lo: float, hi: float) -> Any:
    import numpy as np

    sitk = _sitk()
    if data.dtype.kind == "b":
        data = data.view(np.uint8)
    elif data.dtype.kind == "f":
        data = np.nan_to_num(data.astype(np.float32), nan=lo)
    elif data.dtype.itemsize > 4 or data.dtype == np.uint32:
        data = data.astype(np.float64)
    image = sitk.Cast(_sitk_image(data), sitk.sitkFloat64)
    windowed = sitk.IntensityWindowing(image, float(lo), float(hi), 0.0, 255.0)
    return sitk.Cast(sitk.Round(windowed), sitk.sitkUInt8)


def display_size(
    cut: Plane, zoom: int | None, dim: int = 3, readable: int = READABLE
) -> tuple[int, int, int]:
    """Pixel height and width of a slice of a `dim`-D image as drawn, and its magnification: slices
    of volumes get square pixels and the automatic zoom, 2D images keep their pixels (and `zoom`)."""
    rows, cols = cut.array.shape[:2]
    if dim == 2:
        return rows * (zoom or 1), cols * (zoom or 1), zoom or 1
    pixel = min(cut.row_mm, cut.col_mm)
    height = max(1, round(rows * cut.row_mm / pixel))
    width = max(1, round(cols * cut.col_mm / pixel))
    if zoom is None:
        zoom = max(1, min(MAX_AUTO_ZOOM, math.ceil(readable / max(height, width))))
    return height * zoom, width * zoom, zoom


def _resized(image: Any, cut: Plane, height: int, width: int) -> Any:
    """`image` (a slice with `cut`'s shape) resampled to height × width by nearest neighbour."""
    sitk = _sitk()
    rows, cols = cut.array.shape[:2]
    if (rows, cols) == (height, width):
        return image
    image.SetSpacing((cut.col_mm, cut.row_mm))
    spacing = (cols * cut.col_mm / width, rows * cut.row_mm / height)
    origin = (0.5 * (spacing[0] - cut.col_mm), 0.5 * (spacing[1] - cut.row_mm))
    out = sitk.Resample(
        image,
        [width, height],
        sitk.Transform(),
        sitk.sitkNearestNeighbor,
        origin,
        spacing,
        (1.0, 0.0, 0.0, 1.0),
        0,
        image.GetPixelID(),
    )
    out.SetSpacing((1.0, 1.0))
    out.SetOrigin((0.0, 0.0))
    return out
