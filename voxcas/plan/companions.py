"""The data files an image header names beside itself, so that a fingerprint can cover them.

A MetaImage header (`.mhd`, also `.mha`) ends with `ElementDataFile = x.raw`, and a detached
NRRD header (`.nhdr`, also `.nrrd`) has a `data file: x.raw` field: the voxels live in *another*
file. Rewriting `x.raw` leaves the header's bytes as they were, so a fingerprint of the header
alone would let a stored result of the old voxels answer for the new ones. `data_files(path)`
lists those files (absolute paths, in the order the header gives them), and
`voxcas.plan.fingerprint.file_fingerprint` folds their fingerprints into the header's.

Both formats allow the same three forms, which are parsed here (the headers are a few lines of
text; no maintained library reads MetaImage headers without reading the voxels too):

- one file name, relative to the header's folder (or absolute);
- `LIST` (MetaImage: optionally followed by a dimension), then one file name per line up to the
  end of the header;
- a `printf`-style pattern with `min max step` (`slice_%03d.raw 1 40 1`; NRRD may add a
  sub-dimension), naming the files `pattern % i` for i from min to max inclusive.

`LOCAL` (MetaImage) or no field at all (attached NRRD data) means no other file.
"""

from __future__ import annotations

import os
import re

HEADER_EXTENSIONS = (".mhd", ".mha", ".nhdr", ".nrrd")
MAX_HEADER = 1 << 16  # header text read at most; the fields come before the voxels
MAX_FILES = 100_000  # a pattern naming more files than this is not believed

_META = re.compile(rb"^\s*ElementDataFile\s*=\s*(.*?)\s*$", re.MULTILINE)
_NRRD = re.compile(rb"^(?:data file|datafile)\s*:\s*(.*?)\s*$", re.MULTILINE)


def data_files(path: str) -> list[str]:
    """The files other than `path` that the image header at `path` stores its voxels in."""
    lower = path.lower()
    if not lower.endswith(HEADER_EXTENSIONS):
        return []
    try:
        with open(path, "rb") as handle:
            head = handle.read(MAX_HEADER)
    except OSError:
        return []  # the header's own fingerprint reports an unreadable file
    if lower.endswith((".nhdr", ".nrrd")):
        head = head.split(b"\n\n", 1)[0]  # an attached header ends at the first empty line
        match = _NRRD.search(head)
    else:
        match = _META.search(head)
    if match is None:
        return []
    names = _names(match.group(1), head[match.end() :])
    folder = os.path.dirname(os.path.abspath(path))
    return [os.path.join(folder, name) for name in names]


def _names(value: bytes, rest: bytes) -> list[str]:
    words = value.split()
    if not words or words[0] == b"LOCAL":
        return []
    if words[0] == b"LIST":
        return [line.strip().decode("utf-8", "surrogateescape") for line in rest.splitlines() if line.strip()]
    if len(words) >= 4 and b"%" in words[0] and all(_is_int(w) for w in words[1:4]):
        pattern = words[0].decode("utf-8", "surrogateescape")
        low, high, step = (int(w) for w in words[1:4])
        if step == 0 or abs((high - low) // step) > MAX_FILES:
            return []
        stop = high + (1 if step > 0 else -1)
        try:
            return [pattern % i for i in range(low, stop, step)]
        except (TypeError, ValueError):
            return []
    return [value.decode("utf-8", "surrogateescape")]


def _is_int(word: bytes) -> bool:
    return re.fullmatch(rb"[+-]?\d+", word) is not None
