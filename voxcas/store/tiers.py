"""Opening a blob tier by the location a store records for it (`meta.blobs`).

A path is a blob directory (`voxcas.store.blobs_dir`); a URL with a protocol (`s3://…`,
`gs://…`, `memory://…`) is an fsspec tier (`voxcas.store.blobs_url`), except `file://…`,
which is the blob directory at that path (a local directory gets the directory tier's
temporary-name-and-rename writes).
"""

from __future__ import annotations

from pathlib import Path

from voxcas.store.blobs import BlobStore
from voxcas.store.blobs_dir import DirectoryBlobs


def normal_location(location: str | Path) -> str:
    """How a store records the tier at `location`: an absolute path, or the URL without a
    trailing slash."""
    text = str(location)
    if text.startswith("file://"):
        text = text[len("file://") :]
    if "://" in text:
        return text.rstrip("/")
    return str(Path(text).expanduser().absolute())


def open_tier(location: str | Path, *, create: bool = False) -> BlobStore:
    """The tier at `location` (created there with `create`); `StoreError` in one line if it is
    missing, unreachable or cannot be written."""
    where = normal_location(location)
    if "://" in where:
        from voxcas.store.blobs_url import UrlBlobs

        return UrlBlobs(where, create=create)
    return DirectoryBlobs(Path(where), create=create)
