"""Slices for the image viewer: a volume's geometry as the viewer lays it out, and one plane's PNG.

The viewer draws on the server with `voxcas.pictures`, so what a user scrolls through is the
picture `save "x.png"` and `GET /objects/{digest}/png` give: radiological orientation from the
direction cosines, square pixels from the spacing, SimpleITK's own window and overlay filters.

- `Scenes`: a small least-recently-used cache of prepared scenes (`voxcas.pictures.scene`): the
  volume oriented once, its automatic window, its overlays checked and combined. A slice change
  then costs one slice. Keyed by the image's and overlays' digests (objects never change).
- `image_info(scene)`: the oriented volume's slice counts per axis, spacing, automatic window and
  value range, what the viewer needs to build its three planes and sliders.
- `SliceRequest` / `slice_png(scenes, store, request)`: one plane of one slice, with a window,
  overlays (masks in colours, or one label map), style and opacity.

Errors (an overlay off the image's grid, a slice out of range, an object that is no image) are
`UsageError`s from `voxcas.pictures`, with their messages.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from voxcas.errors import UsageError
from voxcas.ids import Digest
from voxcas.values import Image, kind_of

if TYPE_CHECKING:
    from voxcas.pictures.scene import Scene
    from voxcas.store.base import Store

SceneKey = tuple[Digest, tuple[Digest, ...], Digest | None]
AXES = ("x", "y", "z")
MAX_OVERLAYS = 16


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def load_image(store: Store, digest: Digest) -> Image:
    value = store.get(digest)
    if not isinstance(value, Image):
        raise UsageError(f"object {digest} is {_a(kind_of(value))}, not an image")
    return value


class Scenes:
    """Prepared scenes by (image, masks, label map) digests; at most `capacity` kept."""

    def __init__(self, capacity: int = 4) -> None:
        self.capacity = capacity
        self._scenes: OrderedDict[SceneKey, Scene] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[SceneKey, threading.Lock] = {}

    def get(
        self, store: Store, image: Digest, masks: tuple[Digest, ...] = (), labels: Digest | None = None
    ) -> Scene:
        key: SceneKey = (image, masks, labels)
        with self._lock:
            scene = self._scenes.get(key)
            if scene is not None:
                self._scenes.move_to_end(key)
                return scene
            building = self._building.setdefault(key, threading.Lock())
        with building:  # one thread prepares a scene; others asking for it wait for that one
            with self._lock:
                scene = self._scenes.get(key)
            if scene is None:
                scene = self.prepare_scene(store, key)
                with self._lock:
                    self._scenes[key] = scene
                    while len(self._scenes) > self.capacity:
                        self._scenes.popitem(last=False)
        with self._lock:
            self._building.pop(key, None)
        return scene

    def clear(self) -> None:
        with self._lock:
            self._scenes.clear()

    def peek(self, key: SceneKey) -> Scene | None:
        """The scene if it is cached (not counted as a use)."""
        with self._lock:
            return self._scenes.get(key)

    @staticmethod
    def prepare_scene(store: Store, key: SceneKey) -> Scene:
        from voxcas.pictures.scene import prepare

        image, masks, labels = key
        return prepare(
            load_image(store, image),
            [load_image(store, m) for m in masks],
            load_image(store, labels) if labels is not None else None,
        )


def image_info(scene: Scene, digest: Digest) -> dict[str, Any]:
    """What the viewer needs to lay out an image's three planes (see the module docstring)."""
    import numpy as np

    from voxcas.pictures.orient import slice_count

    volume = scene.volume
    data = volume.array
    low = high = None
    if data.size and data.dtype.kind in "biuf":
        finite = data[np.isfinite(data)] if data.dtype.kind == "f" else data
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
    slices = {axis: slice_count(volume, axis) for axis in AXES} if volume.dim == 3 else {"z": 1}
    return {
        "digest": digest,
        "dim": volume.dim,
        "summary": volume.summary(),
        "slices": slices,
        "spacing": list(volume.spacing),  # in the oriented (x right→left, y front→back, z up) order
        "window": list(scene.auto_window),
        "min": low,
        "max": high,
        "mask": data.dtype.kind == "b",
        "components": volume.components,
    }


@dataclass(frozen=True, slots=True)
class SliceRequest:
    """One plane of one slice as the viewer asks for it."""

    image: Digest
    axis: str = "z"
    index: int | None = None  # None: the middle (or the overlays' centre)
    window: tuple[float, float] | None = None
    masks: tuple[Digest, ...] = ()
    colors: tuple[str, ...] = ()
    labels: Digest | None = None
    style: str = "filled"
    opacity: float | None = None
    zoom: int | None = 1
    legend: bool = False

    def view_text(self) -> str:
        """The `voxcas.pictures` view text of this request (checked by `parse_view`)."""
        if self.axis not in AXES:
            raise UsageError(f"unknown axis {self.axis!r}: expected x, y or z")
        if len(self.masks) > MAX_OVERLAYS:
            raise UsageError(f"at most {MAX_OVERLAYS} overlays at once, got {len(self.masks)}")
        words = [f"axis={self.axis}", f"style={self.style}", f"legend={'yes' if self.legend else 'no'}"]
        if self.index is not None:
            words.append(f"slice={self.index}")
        if self.window is not None:
            words.append(f"window={self.window[0]!r}:{self.window[1]!r}")
        if self.opacity is not None:
            words.append(f"opacity={self.opacity!r}")
        if self.colors:
            words.append("color=" + ",".join(self.colors))
        if self.zoom is not None:
            words.append(f"zoom={self.zoom}")
        return " ".join(words)


def slice_png(scenes: Scenes, store: Store, request: SliceRequest, *, keep: bool = True) -> bytes:
    """PNG bytes of one plane (see the module docstring). `keep=False` (thumbnails of a run's
    page) prepares the volume without caching it, so a page of many cases does not push out
    the volumes being viewed."""
    from voxcas.pictures import parse_view, png_bytes
    from voxcas.pictures.draw import draw

    view = parse_view(request.view_text())
    key: SceneKey = (request.image, request.masks, request.labels)
    scene = scenes.get(store, *key) if keep else scenes.peek(key) or Scenes.prepare_scene(store, key)
    return png_bytes(draw(scene, view), compress_level=1)
