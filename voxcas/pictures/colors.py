"""Colours of overlays: names and `#rrggbb` text, and the colour table of label maps.

- `parse_color(text)`: a colour name from `NAMED` or `#rrggbb` → `(r, g, b)`, else a `UsageError`
  naming the text.
- `label_color(value)`: the colour of label `value` of a label map (and of the i-th mask of an
  overlay, counted from 1). The first six are those ITK-SNAP gives new labels (red, green, blue,
  yellow, cyan, magenta); the table then goes on with twelve more and repeats. A label's colour
  depends only on its value, so label 2 has the same colour in every case of a dataset.
- `colormap(values)`: the flat `[r, g, b, r, g, b, ...]` list SimpleITK's `LabelOverlay` and
  `LabelMapContourOverlay` take: entry *v* is the colour of label *v* (entry 0, the background,
  is never drawn).
"""

from __future__ import annotations

from collections.abc import Iterable

from voxcas.errors import UsageError

RGB = tuple[int, int, int]

NAMED: dict[str, RGB] = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "cyan": (0, 255, 255),
    "magenta": (255, 0, 255),
    "orange": (255, 128, 0),
    "purple": (128, 0, 255),
    "pink": (255, 105, 180),
    "white": (255, 255, 255),
    "black": (0, 0, 0),
}

LABEL_TABLE: tuple[RGB, ...] = (
    (255, 0, 0),
    (0, 255, 0),
    (0, 0, 255),
    (255, 255, 0),
    (0, 255, 255),
    (255, 0, 255),
    (255, 128, 0),
    (128, 0, 255),
    (0, 128, 255),
    (255, 0, 128),
    (128, 255, 0),
    (0, 255, 128),
    (255, 160, 122),
    (154, 205, 50),
    (70, 130, 180),
    (218, 112, 214),
    (244, 164, 96),
    (127, 255, 212),
)


def parse_color(text: str) -> RGB:
    """`red`, `yellow`, ... or `#rrggbb` as an (r, g, b) triple of 0–255 integers."""
    name = text.strip().lower()
    if name in NAMED:
        return NAMED[name]
    body = name[1:] if name.startswith("#") else ""
    if len(body) == 6 and all(c in "0123456789abcdef" for c in body):
        return (int(body[0:2], 16), int(body[2:4], 16), int(body[4:6], 16))
    known = ", ".join(NAMED)
    raise UsageError(f"unknown colour {text!r} (use #rrggbb or one of {known})")


def color_text(color: RGB) -> str:
    """The `#rrggbb` form of a colour."""
    return "#{:02x}{:02x}{:02x}".format(*color)


def label_color(value: int) -> RGB:
    """The colour of label `value` (≥ 1) in the default table."""
    return LABEL_TABLE[(value - 1) % len(LABEL_TABLE)]


def colormap(colors: dict[int, RGB]) -> list[int]:
    """SimpleITK's flat colormap: entry v (v = 0 … max label) is the colour of label v."""
    top = max(colors, default=0)
    flat: list[int] = []
    for value in range(top + 1):
        flat.extend(colors.get(value, (0, 0, 0)))
    return flat


def default_colors(values: Iterable[int]) -> dict[int, RGB]:
    """The table colour of each label value."""
    return {v: label_color(v) for v in values if v > 0}
