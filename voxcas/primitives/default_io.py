"""The file readers of the `default` namespace: `dir` (a dataset listing) and `load` (by extension).

Both declare `reads_files`: their node ids include a fingerprint of what they read (for `dir`, its
sorted listing; for `load`, the file's content digest), and the reducer reports a missing path
before anything runs. `dir` is also foldable: with constant arguments it becomes a constant list
of paths while reducing. Images are read by `voxcas.primitives.imageio.read_image`, imported only
when an image is loaded.

They are declared on `READERS`, a fragment of the `default` namespace that `voxcas.primitives.default`
merges into its own (so this module does not import that one back).
"""

from __future__ import annotations

from typing import Any

from voxcas.errors import PrimitiveError
from voxcas.primitives.registry import Namespace, Param

READERS = Namespace(
    "default", doc="the file readers of the default namespace", libraries=("python", "numpy", "SimpleITK")
)
prim = READERS.primitive


def is_image_path(path: str) -> bool:
    """Whether `load` reads this path as an image (by extension, or a directory: a DICOM series)."""
    from voxcas.primitives.imageio import is_image_path as image_path

    return image_path(path)


def _dir_listing(
    root: str, pattern: str = "*", recursive: bool = False, full_paths: bool = True
) -> list[str]:
    import fnmatch
    import os

    from voxcas.access import current as access_policy
    from voxcas.plan.observe import observe_tree

    access_policy().check_listing(root, "default.dir")
    observe_tree(root, recursive)
    if not os.path.isdir(root):
        raise PrimitiveError("default.dir", f"no such directory '{root}'", "root")
    found: list[str] = []
    if recursive:
        for current, dirs, files in os.walk(root):
            dirs.sort()
            for name in files:
                if fnmatch.fnmatchcase(name, pattern):
                    found.append(os.path.join(current, name))
    else:
        for name in os.listdir(root):
            if fnmatch.fnmatchcase(name, pattern):
                found.append(os.path.join(root, name))
    if not full_paths:
        found = [os.path.relpath(path, root).replace(os.sep, "/") for path in found]
    return sorted(found)


def _dir_fingerprint(args: list[Any]) -> str:
    import hashlib
    import json

    listing = _dir_listing(*args)
    return "sha256:" + hashlib.sha256(json.dumps(listing).encode()).hexdigest()


@prim(
    "dir",
    params=(
        Param("root", "str"),
        Param("pattern", "str", default="*"),
        Param("recursive", "bool", default=False),
        Param("full_paths", "bool", default=True),
    ),
    reads_files=True,
    path_params=(0,),
    fingerprint=_dir_fingerprint,
    foldable=True,
)
def dir_(root: str, pattern: str = "*", recursive: bool = False, full_paths: bool = True) -> tuple[str, ...]:
    """Sorted paths of the entries of root whose name matches a glob pattern (a dataset); with
    full_paths false, names relative to root, as VoxLogicA-2's four-argument `dir`
    (`implementation/python/voxlogica/primitives/default/dir.py`)."""
    return tuple(_dir_listing(root, pattern, recursive, full_paths))


def _parse_cell(cell: str) -> Any:
    text = cell.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return cell


@prim("load", params=(Param("path", "str"),), reads_files=True, path_params=(0,))
def load(path: str) -> Any:
    """Read a file by extension: images (NIfTI, MHA, NRRD, PNG, DICOM directory…), .json, .csv, text."""
    lower = path.lower()
    if is_image_path(path):
        from voxcas.primitives.imageio import read_image

        return read_image(path, "default.load")
    from voxcas.access import current

    try:
        with current().open_read(path, "default.load", mode="r", encoding="utf-8", newline="") as handle:
            if lower.endswith(".json"):
                import json

                try:
                    return json.load(handle)
                except ValueError as exc:
                    raise PrimitiveError("default.load", f"invalid JSON in '{path}': {exc}", "path") from None
            if lower.endswith(".csv"):
                import csv

                rows = [[_parse_cell(c) for c in row] for row in csv.reader(handle) if row]
                return rows
            return handle.read()
    except FileNotFoundError:
        from voxcas.errors import InputFileError

        raise InputFileError(f"default.load: no such file '{path}'") from None
    except UnicodeDecodeError:
        raise PrimitiveError("default.load", f"'{path}' is not UTF-8 text", "path") from None
