"""The legend under a label map's picture: one colour swatch and label value per label present.

Entries are laid out left to right in rows as wide as the picture, in increasing label order, on
a black band; text is drawn by Pillow in its built-in font. A picture without labels gets no band.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from voxcas.pictures.colors import RGB

if TYPE_CHECKING:
    import numpy as np

ROW = 18  # pixels per legend row
SWATCH = 12
GAP = 10


def with_legend(picture: np.ndarray, colors: dict[int, RGB]) -> np.ndarray:
    """The picture (grey or RGB uint8) as RGB with a legend band below it."""
    import numpy as np
    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFont

    rgb = picture if picture.ndim == 3 else np.repeat(picture[..., None], 3, axis=2)
    if not colors:
        return rgb
    width = rgb.shape[1]
    font = ImageFont.load_default()
    entries: list[tuple[int, int, int, RGB]] = []  # row, x, value, colour
    row, x = 0, GAP // 2
    for value in sorted(colors):
        text_width = int(font.getlength(str(value)))
        step = SWATCH + 4 + text_width + GAP
        if x > GAP // 2 and x + step > width:
            row, x = row + 1, GAP // 2
        entries.append((row, x, value, colors[value]))
        x += step
    band = PILImage.new("RGB", (width, (row + 1) * ROW), (0, 0, 0))
    pen = ImageDraw.Draw(band)
    for r, left, value, color in entries:
        top = r * ROW + (ROW - SWATCH) // 2
        pen.rectangle((left, top, left + SWATCH - 1, top + SWATCH - 1), fill=color)
        pen.text((left + SWATCH + 4, r * ROW + 3), str(value), fill=(255, 255, 255), font=font)
    out: np.ndarray = np.concatenate([rgb, np.asarray(band, dtype=np.uint8)], axis=0)
    return out
