"""Pictures in programs (`default` namespace): `picture`, `picture_overlay`, `picture_labels`.

They are declared on `PICTURES`, a fragment of the `default` namespace that
`voxcas.primitives.default` merges in (so this module does not import it).

Each returns the 2D uint8 picture `voxcas.pictures.render` draws (grey, or RGB with overlays), so
`save "x.png" picture(t1, "axis=coronal")` writes exactly that picture, and the picture is a
stored value like any other (its node id covers the image, the overlays and the view text).
The view text is the one `voxcas.pictures.view` documents, the same as `vox cat --view`; a bad
view word is an error naming the `view` argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voxcas.errors import PrimitiveError, UsageError
from voxcas.primitives.registry import Namespace, Param
from voxcas.values import Image, kind_of

PICTURES = Namespace(
    "default",
    doc="the picture primitives of the default namespace",
    libraries=("python", "numpy", "SimpleITK"),
)
prim = PICTURES.primitive


def _image(name: str, value: Any, argument: str) -> Image:
    if isinstance(value, Image):
        return value
    raise PrimitiveError(f"default.{name}", f"expected an image, got {kind_of(value)}", argument)


def _draw(
    name: str, image: Image, view: str, masks: Sequence[Image] = (), labels: Image | None = None
) -> Image:
    from voxcas.pictures import parse_view, render

    try:
        parsed = parse_view(view)
    except UsageError as exc:
        raise PrimitiveError(f"default.{name}", str(exc), "view") from None
    try:
        return render(image, parsed, masks, labels)
    except UsageError as exc:
        raise PrimitiveError(f"default.{name}", str(exc)) from None


@prim("picture", params=(Param("i", "image"), Param("view", "str", "")), result="image")
def picture(i: Any, view: str = "") -> Image:
    """The picture of an image (radiological slice, window, mosaic, zoom) as the view text asks."""
    return _draw("picture", _image("picture", i, "i"), view)


@prim(
    "picture_overlay",
    params=(Param("i", "image"), Param("masks"), Param("view", "str", "")),
    result="image",
)
def picture_overlay(i: Any, masks: Any, view: str = "") -> Image:
    """The picture of an image with a mask (or a list of masks) drawn over it, filled or outlined."""
    image = _image("picture_overlay", i, "i")
    if isinstance(masks, Image):
        layers: list[Image] = [masks]
    elif kind_of(masks) == "sequence" and len(masks) > 0:
        layers = [_image("picture_overlay", m, "masks") for m in masks]
    else:
        raise PrimitiveError(
            "default.picture_overlay", f"expected a mask or a list of masks, got {kind_of(masks)}", "masks"
        )
    return _draw("picture_overlay", image, view, masks=layers)


@prim(
    "picture_labels",
    params=(Param("i", "image"), Param("labels", "image"), Param("view", "str", "")),
    result="image",
)
def picture_labels(i: Any, labels: Any, view: str = "") -> Image:
    """The picture of an image with a label map drawn over it in the colour table, with a legend."""
    image = _image("picture_labels", i, "i")
    return _draw("picture_labels", image, view, labels=_image("picture_labels", labels, "labels"))
