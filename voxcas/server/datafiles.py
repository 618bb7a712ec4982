"""The other files a reader opens when it is given one path: header data files, series members.

A MetaImage header (`.mhd`, `.mha`) names its voxel data with `ElementDataFile = NAME`, a
detached NRRD header (`.nhdr`, `.nrrd`) with `data file: NAME`, relative to the header's
directory; a directory is read as a DICOM series, every file in it a candidate member.
`opened_with(path)` lists those files (absolute, not yet resolved) so the guard can hold them to
the data roots like the path itself. Headers whose data are a list (`LIST`) or a numbered
pattern (`%03d`) cannot be checked file by file: `UncheckableHeader` says so and the guard
refuses them.
"""

from __future__ import annotations

import os
import re

HEADER_BYTES = 64 * 1024  # headers are short text; the data file line is within the first lines

_META_EXTENSIONS = (".mhd", ".mha")
_NRRD_EXTENSIONS = (".nhdr", ".nrrd")
_META_LINE = re.compile(r"^\s*ElementDataFile\s*=\s*(.*?)\s*$", re.MULTILINE)
_NRRD_LINE = re.compile(r"^(?:data file|datafile)\s*:\s*(.*?)\s*$", re.MULTILINE)


class UncheckableHeader(Exception):
    """A header naming its data in a way that cannot be checked file by file (`LIST`, a pattern)."""


def opened_with(path: str) -> list[str]:
    """The files a reader given `path` (already resolved) also opens; [] for a plain file."""
    if os.path.isdir(path):
        with os.scandir(path) as entries:
            return sorted(os.path.join(path, e.name) for e in entries)
    lower = path.lower()
    if lower.endswith(_META_EXTENSIONS):
        return _named(path, _META_LINE, local="LOCAL")
    if lower.endswith(_NRRD_EXTENSIONS):
        return _named(path, _NRRD_LINE, local=None)
    return []


def _named(path: str, line: re.Pattern[str], local: str | None) -> list[str]:
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEADER_BYTES)
    except OSError:
        return []  # the reader reports an unreadable file itself
    text = head.split(b"\n\n", 1)[0].decode("latin-1")  # NRRD: the header ends at a blank line
    out: list[str] = []
    for match in line.finditer(text):
        name = match.group(1)
        if local is not None and name.upper() == local:
            continue
        if name.upper().startswith("LIST") or "%" in name or " " in name.strip():
            raise UncheckableHeader(f"header '{path}' names its data as {name!r}")
        out.append(os.path.join(os.path.dirname(path), name))
    return out
