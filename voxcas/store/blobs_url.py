"""`UrlBlobs`: the bytes of large objects in an fsspec file system named by a URL (`s3://…`,
`gs://…`, `memory://…`), an optional tier (`pip install 'voxcas[fsspec]'`, plus the protocol's
own package, e.g. `s3fs` or `gcsfs`).

Layout as `DirectoryBlobs`: `URL/VOXCAS-BLOBS` (written when the tier is created; a URL without
it is a wrong bucket or prefix, never silently an empty tier) and one object per blob,
`URL/<first two hex digits>/<the other 62>`, holding the stored (possibly compressed) bytes.

A put writes the whole object in one call (`pipe_file`): object stores make an upload visible
only once it is complete, so readers never see half an object, and a second writer of the same
digest writes the same bytes (harmless). An object already there with the right length is left
alone (object stores cannot touch a file, so gc's grace period counts from its first write).
Every failure of the file system is a `StoreError` naming the URL, in one line.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from voxcas.errors import CorruptObjectError, StoreError
from voxcas.ids import DIGEST_PREFIX, Digest, is_hex
from voxcas.store.blobs import BlobStore, Bytes

MARKER = "VOXCAS-BLOBS"


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


class UrlBlobs(BlobStore):
    """Large objects' bytes under the fsspec URL `url` (see the module docstring)."""

    shared = True  # given explicitly (vox init --blobs URL): cluster workers reach it too

    def __init__(self, url: str, *, create: bool = False) -> None:
        self.location = url.rstrip("/")
        try:
            import fsspec
        except ImportError:
            raise StoreError(
                f"the blob tier {self.location} needs fsspec: pip install 'voxcas[fsspec]'"
            ) from None
        try:
            self.fs, root = fsspec.core.url_to_fs(self.location)
        except ImportError as exc:  # the protocol's own package (s3fs, gcsfs, ...) is missing
            raise StoreError(f"cannot open the blob tier {self.location}: {_reason(exc)}") from None
        except (ValueError, OSError) as exc:  # an unknown protocol, a malformed URL
            raise StoreError(f"cannot open the blob tier {self.location}: {_reason(exc)}") from None
        self.root = str(root).rstrip("/")
        marker = f"{self.root}/{MARKER}"
        try:
            present = self.fs.isfile(marker)
            if create and not present:
                self.fs.makedirs(self.root, exist_ok=True)
                self.fs.pipe_file(marker, b"voxcas blob tier: one object per blob, named by its digest\n")
                present = True
        except Exception as exc:  # unreachable, refused: each file system raises its own
            raise StoreError(f"cannot reach the blob tier {self.location}: {_reason(exc)}") from None
        if not present:
            raise StoreError(
                f"the blob tier {self.location} is missing or is not a voxcas blob tier (no {MARKER} in it)"
            )

    def path(self, digest: Digest) -> str:
        hexd = digest[len(DIGEST_PREFIX) :]
        return f"{self.root}/{hexd[:2]}/{hexd[2:]}"

    def put(self, digest: Digest, stored: Bytes) -> None:
        final = self.path(digest)
        data = bytes(memoryview(stored).cast("B"))
        try:
            if self.fs.isfile(final) and self.fs.size(final) == len(data):
                return
            self.fs.pipe_file(final, data)
        except Exception as exc:
            raise StoreError(f"cannot write to the blob tier {self.location}: {_reason(exc)}") from None

    def read(self, digest: Digest, size: int, hasher: Any = None) -> bytearray:
        path = self.path(digest)
        try:
            data = self.fs.cat_file(path)
        except FileNotFoundError:
            raise CorruptObjectError(
                f"object {digest} is missing from the blob tier {self.location}"
            ) from None
        except Exception as exc:
            raise StoreError(f"cannot read {self.location}: {_reason(exc)}") from None
        if len(data) != size:
            raise CorruptObjectError(
                f"object {digest} is corrupt: {len(data)} bytes in {self.location}, {size} expected"
            )
        if hasher is not None:
            hasher.update(data)
        return bytearray(data)

    def has(self, digest: Digest) -> bool:
        try:
            return bool(self.fs.isfile(self.path(digest)))
        except Exception as exc:
            raise StoreError(f"cannot read {self.location}: {_reason(exc)}") from None

    def delete(self, digest: Digest) -> None:
        try:
            self.fs.rm_file(self.path(digest))
        except FileNotFoundError:
            pass
        except Exception as exc:
            raise StoreError(f"cannot write to the blob tier {self.location}: {_reason(exc)}") from None

    def _mtime(self, path: str) -> float:
        """When the blob was written; now when the file system cannot say (never swept early)."""
        try:
            return float(self.fs.modified(path).timestamp())
        except (NotImplementedError, AttributeError, FileNotFoundError):
            return time.time()

    def stored(self) -> Iterator[tuple[Digest, float]]:
        try:
            found = sorted(self.fs.find(self.root))
        except Exception as exc:
            raise StoreError(f"cannot read {self.location}: {_reason(exc)}") from None
        for path in found:
            parts = str(path).rstrip("/").split("/")
            shard, name = parts[-2], parts[-1]
            if len(shard) == 2 and is_hex(shard) and len(name) == 62 and is_hex(name):
                yield Digest(DIGEST_PREFIX + shard + name), self._mtime(str(path))

    def __repr__(self) -> str:
        return f"UrlBlobs({self.location!r})"
