"""How a picture is asked for: `View`, and its one-line text form shared by programs, the CLI and HTTP.

A view is a few `key=value` words separated by spaces, the same text everywhere:
`picture(t1, "axis=coronal slice=90 window=0:600")` in a program, `vox cat ID -o x.png --view
"axis=coronal slice=90 window=0:600"` on the command line, `?view=...` over HTTP.

- `axis`: `axial` (`z`, the default), `coronal` (`y`), `sagittal` (`x`);
- `slice`: an index, `middle`, or `centre` (through the overlays' centre; the default with them);
- `window=LO:HI` (shown black … white) or `auto` (0.5th–99.5th percentiles of the volume), or
  `level=` and `width=` together;
- `mosaic`: `N` evenly spaced slices, or `COLSxROWS`;
- `zoom`: a whole magnification, or `auto` (small pictures scaled up to at least 256 pixels);
- `style`: `filled` (default) or `outline`; `opacity` 0 … 1 (default 0.5 filled, 1 outline);
- `color`: the masks' colours in order (`red,#00ff00`; default the label colour table);
- `legend`: `yes` (default) or `no`, for label maps.

Slice indices count in the radiological orientation of `voxcas.pictures.orient`: axial slice 0 is
the most inferior, coronal 0 the most anterior, sagittal 0 the patient's rightmost. `parse_view`
reports the first bad word as a `UsageError` naming it; `View.text()` gives the canonical text back.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field, replace

from voxcas.errors import UsageError
from voxcas.pictures.colors import RGB, color_text, parse_color

AXES: dict[str, str] = {
    "x": "x",
    "sagittal": "x",
    "y": "y",
    "coronal": "y",
    "z": "z",
    "axial": "z",
}
PLANE_NAMES: dict[str, str] = {"x": "sagittal", "y": "coronal", "z": "axial"}
KEYS = ("axis", "slice", "window", "level", "width", "mosaic", "zoom", "style", "opacity", "color", "legend")
STYLES = ("filled", "outline")
MAX_ZOOM = 32
MAX_MOSAIC = 400


@dataclass(frozen=True, slots=True)
class View:
    """What to draw. `slice` is an index, "middle", "centre" or "auto" (centre with overlays)."""

    axis: str = "z"
    slice: int | str = "auto"
    window: tuple[float, float] | None = None  # None: automatic
    mosaic: int | None = None  # number of slices
    columns: int | None = None  # mosaic layout; None: as square as possible
    zoom: int | None = None  # None: automatic
    style: str = "filled"
    opacity: float | None = None  # None: 0.5 filled, 1.0 outline
    colors: tuple[RGB, ...] = field(default=())
    legend: bool = True

    @property
    def plane(self) -> str:
        return PLANE_NAMES[self.axis]

    def overlay_opacity(self) -> float:
        if self.opacity is not None:
            return self.opacity
        return 1.0 if self.style == "outline" else 0.5

    def layout(self) -> tuple[int, int]:
        """Mosaic columns and rows."""
        count = self.mosaic or 1
        columns = self.columns or math.ceil(math.sqrt(count))
        return columns, math.ceil(count / columns)

    def with_slice(self, index: int | str) -> View:
        return replace(self, slice=index)

    def text(self) -> str:
        """The canonical text of this view (only what differs from the defaults)."""
        words: list[str] = []
        default = View()
        if self.axis != default.axis:
            words.append(f"axis={self.plane}")
        if self.slice != default.slice:
            words.append(f"slice={self.slice}")
        if self.window is not None:
            words.append(f"window={_num(self.window[0])}:{_num(self.window[1])}")
        if self.mosaic is not None:
            exact = self.columns is not None and self.columns * self.layout()[1] == self.mosaic
            words.append(f"mosaic={self.columns}x{self.layout()[1]}" if exact else f"mosaic={self.mosaic}")
        if self.zoom is not None:
            words.append(f"zoom={self.zoom}")
        if self.style != default.style:
            words.append(f"style={self.style}")
        if self.opacity is not None:
            words.append(f"opacity={_num(self.opacity)}")
        if self.colors:
            words.append("color=" + ",".join(color_text(c) for c in self.colors))
        if not self.legend:
            words.append("legend=no")
        return " ".join(words)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _number(key: str, text: str, word: str | None = None) -> float:
    """`text` as a finite number; errors quote `key=word` (the whole value, default `text`)."""
    shown = f"{key}={word if word is not None else text}"
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"view {shown}: expected a number") from None
    if not math.isfinite(value):
        raise UsageError(f"view {shown}: expected a finite number")
    return value


def _count(key: str, text: str, top: int) -> int:
    if not text.isdigit() or not 1 <= int(text) <= top:
        raise UsageError(f"view {key}={text}: expected a whole number from 1 to {top}")
    return int(text)


def parse_view(text: str) -> View:
    """The `View` a text asks for (see the module docstring); the empty text is the default view."""
    values: dict[str, str] = {}
    for word in text.split():
        key, eq, value = word.partition("=")
        key = key.lower()
        if not eq or not value:
            raise UsageError(f"view word {word!r} is not key=value (e.g. axis=coronal)")
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (use {', '.join(KEYS)})"
            raise UsageError(f"unknown view option {key!r}{hint}")
        if key in values:
            raise UsageError(f"view option {key!r} is given twice")
        values[key] = value
    view = View()
    if "axis" in values:
        axis = values["axis"].lower()
        if axis not in AXES:
            raise UsageError(f"view axis={values['axis']}: use axial, coronal, sagittal (or z, y, x)")
        view = replace(view, axis=AXES[axis])
    if "slice" in values:
        view = replace(view, slice=_slice(values["slice"]))
    view = replace(view, window=_window(values))
    if "mosaic" in values:
        view = _mosaic(view, values["mosaic"])
        if view.slice not in ("auto",):
            raise UsageError(
                "view: slice and mosaic cannot be combined (a mosaic shows evenly spaced slices)"
            )
    if "zoom" in values and values["zoom"].lower() != "auto":
        view = replace(view, zoom=_count("zoom", values["zoom"], MAX_ZOOM))
    if "style" in values:
        style = values["style"].lower()
        if style not in STYLES:
            raise UsageError(f"view style={values['style']}: use filled or outline")
        view = replace(view, style=style)
    if "opacity" in values:
        opacity = _number("opacity", values["opacity"])
        if not 0.0 <= opacity <= 1.0:
            raise UsageError(f"view opacity={values['opacity']}: expected a number from 0 to 1")
        view = replace(view, opacity=opacity)
    if "color" in values:
        view = replace(view, colors=tuple(parse_color(c) for c in values["color"].split(",")))
    if "legend" in values:
        flag = values["legend"].lower()
        if flag not in ("yes", "no"):
            raise UsageError(f"view legend={values['legend']}: use yes or no")
        view = replace(view, legend=flag == "yes")
    return view


def _slice(text: str) -> int | str:
    word = text.lower()
    if word in ("middle", "auto"):
        return word
    if word in ("centre", "center"):
        return "centre"
    if word.isdigit():
        return int(word)
    raise UsageError(f"view slice={text}: expected a slice index, middle or centre")


def _window(values: dict[str, str]) -> tuple[float, float] | None:
    if "window" in values and ("level" in values or "width" in values):
        raise UsageError("view: give either window=LO:HI or level= and width=, not both")
    if "level" in values or "width" in values:
        if "level" not in values or "width" not in values:
            raise UsageError("view: level= and width= go together (e.g. level=40 width=400)")
        level = _number("level", values["level"])
        width = _number("width", values["width"])
        if width <= 0:
            raise UsageError(f"view width={values['width']}: expected a positive number")
        return level - width / 2, level + width / 2
    if "window" not in values or values["window"].lower() == "auto":
        return None
    lo_text, colon, hi_text = values["window"].partition(":")
    if not colon:
        raise UsageError(f"view window={values['window']}: expected LO:HI (e.g. window=0:600) or auto")
    lo, hi = (_number("window", t, values["window"]) for t in (lo_text, hi_text))
    if hi <= lo:
        raise UsageError(f"view window={values['window']}: the upper end must be above the lower end")
    return lo, hi


def _mosaic(view: View, text: str) -> View:
    word = text.lower()
    if "x" in word:
        cols_text, _, rows_text = word.partition("x")
        columns = _count("mosaic", cols_text, MAX_MOSAIC)
        rows = _count("mosaic", rows_text, MAX_MOSAIC)
        if columns * rows > MAX_MOSAIC:
            raise UsageError(f"view mosaic={text}: at most {MAX_MOSAIC} slices")
        return replace(view, mosaic=columns * rows, columns=columns)
    return replace(view, mosaic=_count("mosaic", word, MAX_MOSAIC))
