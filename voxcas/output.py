"""Writing a runtime value to a file, by extension: what `save "path" e` and `vox cat -o` do.

- `.nii` `.nii.gz` `.mha` `.mhd` `.nrrd` `.tif` `.tiff`: an image, every voxel (bool masks as
  uint8 0/1).
- `.png` `.jpg` `.jpeg` `.bmp`: an image as a uint8 picture (`voxcas.pictures.render`): the image
  when 2D, its middle axial slice in radiological orientation when 3D; `picture(...)` values
  (2D already) are written pixel for pixel.
- `.json`: null, booleans, numbers, strings, sequences, mappings; numbers exact (shortest
  round-trip floats; `NaN`/`Infinity` as Python's JSON extensions).
- `.csv`: a sequence of numbers (one per line) or of rows (sequences of scalars).
- `.txt`: anything, as `format_value` renders it (the text `print` shows), then a newline.

A file name holding a Python format field (`overlays/case_{:03d}.png`, `mask_{}.nii.gz`) with a
sequence value writes one file per item, the field replaced by the item's index (0, 1, ...):
`save "overlays/case_{:03d}.png" for f in cases do overlay(load(f), seg(f))` saves one picture
per case.

Parent directories are created. A value that cannot go in the format the extension names, or an
unknown extension, raises `PrimitiveError("save", ...)` naming the path.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from voxcas.errors import PrimitiveError
from voxcas.values import Image, format_value, kind_of

TEXT_EXTENSIONS: tuple[str, ...] = (".json", ".csv", ".txt")


def _a(kind: str) -> str:
    """The kind with its article: "an int", "a float"."""
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def write_value(value: Any, path: Path, op: str = "save") -> None:
    """Write `value` to `path` in the format its extension names (see the module docstring).

    The file is opened through the run's access policy (`voxcas.access`): its resolved path must
    lie where the run may write, else `AccessDeniedError` names `op` and the path."""
    from voxcas.access import current
    from voxcas.primitives.imageio import (
        PICTURE_WRITE_EXTENSIONS,
        WRITE_EXTENSIONS,
        extension_of,
        write_image,
    )

    path = Path(path)
    ext = extension_of(path)
    kind = kind_of(value)
    if kind == "sequence" and "{" in path.name:
        for index, item in enumerate(value):
            write_value(item, path.parent / item_name(path.name, index), op)
        return
    if ext in WRITE_EXTENSIONS:
        if not isinstance(value, Image):
            raise PrimitiveError("save", f"cannot write {_a(kind)} to '{path}': '{ext}' is an image format")
        if ext in PICTURE_WRITE_EXTENSIONS:
            value = draw_picture(value, path, ext)
        write_image(value, path, op)
        return
    if ext not in TEXT_EXTENSIONS:
        what = _a(kind)
        known = (
            "use .nii.gz, .mha, .nrrd, .png, ..." if isinstance(value, Image) else "use .json, .csv or .txt"
        )
        raise PrimitiveError(
            "save", f"cannot write {what} to '{path}': unknown extension '{ext or path.name}' ({known})"
        )
    if ext == ".json":
        text = json.dumps(to_json(value, path), ensure_ascii=False, indent=2) + "\n"
    elif ext == ".csv":
        text = to_csv(value, path)
    else:
        text = format_value(value) + "\n"
    with current().open_write(path, op, mode="w", encoding="utf-8") as handle:
        handle.write(text)


def draw_picture(image: Image, path: Path, ext: str) -> Image:
    """What a picture file of `image` holds: the image itself if it is a picture already (a
    `picture(...)` value, a loaded PNG), else the default view `voxcas.pictures.render` draws."""
    from voxcas.errors import UsageError
    from voxcas.pictures import render
    from voxcas.primitives.imageio import is_picture

    if is_picture(image, ext):
        return image
    if image.components not in (1, 3, 4):
        raise PrimitiveError(
            "save",
            f"cannot write an image with {image.components} components to '{path}' (use .nii.gz or .mha)",
        )
    try:
        return render(image)
    except UsageError as exc:
        raise PrimitiveError("save", f"cannot draw '{path}': {exc}") from None


def write_picture(
    value: Any, path: Path, view: str = "", masks: Sequence[Any] = (), labels: Any = None
) -> None:
    """Write the picture of an image as `view` asks, with masks or a label map drawn over it
    (`vox cat ID -o x.png --view ... --overlay MASK --labels MAP`). A `UsageError` names the problem."""
    from voxcas.errors import UsageError
    from voxcas.pictures import parse_view, render
    from voxcas.primitives.imageio import PICTURE_WRITE_EXTENSIONS, extension_of, write_image

    path = Path(path)
    ext = extension_of(path)
    if ext not in PICTURE_WRITE_EXTENSIONS:
        raise UsageError(
            f"a view or overlays need a picture file (.png, .jpg, .bmp), not '{ext or path.name}'"
        )
    parsed = parse_view(view)
    for what, item in [("the value", value), *(("an overlay", m) for m in masks), ("the label map", labels)]:
        if item is not None and not isinstance(item, Image):
            raise UsageError(f"{what} is {_a(kind_of(item))}, not an image: it has no picture")
    write_image(render(value, parsed, list(masks), labels), path)


def save_target_problem(target: str) -> str | None:
    """What is wrong with a literal `save` path, known before anything runs, or None.

    The same rules `save_path` and `write_value` apply when the goal runs: a relative path that
    stays inside the output directory, with an extension voxcas can write."""
    from pathlib import PurePath

    from voxcas.primitives.imageio import WRITE_EXTENSIONS, extension_of

    pure = PurePath(target)
    if not target or pure.is_absolute() or ".." in pure.parts:
        return f"save path {target!r} must be relative and stay inside the run's output directory"
    ext = extension_of(target)
    if ext not in WRITE_EXTENSIONS and ext not in TEXT_EXTENSIONS:
        return (
            f"cannot save to '{target}': unknown extension '{ext or pure.name}' "
            "(use .json, .csv or .txt for values; .nii.gz, .mha, .nrrd, .png, ... for images)"
        )
    return None


def save_path(out_dir: Path, target: str) -> Path:
    """Where `save target` writes: `target` taken from the run's output directory.

    Every save target (a literal or one computed at run time) must be a relative path that
    stays inside `out_dir`, symlinks resolved; otherwise `AccessDeniedError` names it."""
    import os
    from pathlib import PurePath

    from voxcas.errors import AccessDeniedError

    pure = PurePath(target)
    if target and not pure.is_absolute() and ".." not in pure.parts:
        path = Path(out_dir) / target
        real_root = os.path.realpath(out_dir)
        real = os.path.realpath(path)
        if real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep):
            return path
    raise AccessDeniedError(
        f"save path {target!r} must be relative and stay inside the run's output directory"
    )


def item_name(template: str, index: int) -> str:
    """A file name template with its format field filled with an item index (numbered fields
    and format specs only, see `voxcas.fieldformat`)."""
    from voxcas.fieldformat import fill

    try:
        return fill(template, index)
    except ValueError as exc:
        raise PrimitiveError(
            "save", f"bad file name template '{template}': {exc}"
        ) from None


def to_json(value: Any, path: Path) -> Any:
    """A JSON-ready structure for `value`; images, arrays and bytes are refused."""
    kind = kind_of(value)
    if kind in ("null", "str"):
        return value
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "sequence":
        return [to_json(v, path) for v in value]
    if kind == "mapping":
        return {str(k): to_json(v, path) for k, v in value.items()}
    hint = " (use .nii.gz, .mha, .nrrd or .png)" if kind == "image" else ""
    raise PrimitiveError("save", f"cannot write {_a(kind)} to the JSON file '{path}'{hint}")


def _csv_cell(value: Any, path: Path) -> str | int | float:
    kind = kind_of(value)
    if kind == "bool":
        return "true" if value else "false"
    if kind == "int":
        return int(value)
    if kind == "float":
        x = float(value)
        return repr(x) if math.isfinite(x) else format_value(x)
    if kind == "str":
        return str(value)
    raise PrimitiveError("save", f"cannot write {_a(kind)} in a cell of the CSV file '{path}'")


def to_csv(value: Any, path: Path) -> str:
    """CSV text: one line per item of a sequence; an item that is a sequence becomes a row."""
    if not isinstance(value, Sequence) or isinstance(value, str | bytes | Mapping):
        raise PrimitiveError(
            "save", f"cannot write {_a(kind_of(value))} to the CSV file '{path}': expected a sequence"
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for item in value:
        if kind_of(item) == "sequence":
            writer.writerow([_csv_cell(v, path) for v in item])
        else:
            writer.writerow([_csv_cell(item, path)])
    return buffer.getvalue()
