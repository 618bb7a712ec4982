"""Pictures that can be trusted: PNG views of images, as `save "x.png"`, `vox cat -o`, the HTTP API
and the viewer draw them.

One pipeline for all of them, so the same view of the same image is the same picture everywhere:

- `view.py`: what to draw (`View`: axis, slice, window, mosaic, zoom, overlay style, colours) and
  its one-line text form (`parse_view("axis=coronal window=0:600")`);
- `orient.py`: radiological orientation from the direction cosines (SimpleITK's `DICOMOrient`);
- `scene.py`: the volume-wide work done once (orientation, automatic window, overlays checked and
  combined into one label volume);
- `draw.py`: one picture of a scene (windowing, aspect, magnification, SimpleITK's
  `LabelOverlay` / `LabelMapContourOverlay`, `Tile` for mosaics);
- `legend.py`, `colors.py`: the legend of label maps and the colour table.

`render(image, view, masks, labels)` is the whole pipeline; `png_bytes(picture)` encodes a
picture. SimpleITK, numpy and Pillow are imported only when a picture is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

from voxcas.pictures.view import View, parse_view
from voxcas.values import Image

__all__ = ["View", "parse_view", "png_bytes", "render"]


def render(
    image: Image, view: View | None = None, masks: Sequence[Image] = (), labels: Image | None = None
) -> Image:
    """The picture of `image` (a 2D uint8 grey or RGB image) as `view` asks, with its overlays."""
    from voxcas.pictures.draw import draw
    from voxcas.pictures.scene import prepare

    return draw(prepare(image, masks, labels), view or View())


def png_bytes(picture: Image, compress_level: int = 6) -> bytes:
    """PNG bytes of a picture made by `render` (Pillow's encoder, in memory)."""
    import io

    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.fromarray(picture.array).save(buffer, format="PNG", compress_level=compress_level)
    return buffer.getvalue()
