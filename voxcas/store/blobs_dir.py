"""`DirectoryBlobs`: the bytes of large objects as files in a content-addressed directory.

Layout: `DIR/VOXCAS-BLOBS` (a marker written when the tier is created: a directory without it is
an unmounted share or a wrong path, never silently an empty tier) and one file per object,
`DIR/<first two hex digits>/<the other 62>`, holding the object's stored (possibly compressed)
bytes. The index row in SQLite records kind, sizes and codec; reads are re-hashed by the store.

A put writes a temporary file beside its final name (`.tmp-…`, a name no reader looks at),
fsyncs it, renames it over the final name and fsyncs the shard directory: readers in any process
or machine see the whole object or nothing, and a second writer of the same digest renames the
same bytes over the first (harmless). A file that already exists with the right length is only
touched, so gc's grace period (which spares files modified recently) protects a writer that
relies on it; one of another length (truncated) is written again.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from voxcas.errors import CorruptObjectError, StoreError
from voxcas.ids import DIGEST_PREFIX, Digest, is_hex
from voxcas.store.blobs import BlobStore, Bytes

MARKER = "VOXCAS-BLOBS"
_CHUNK = 4 << 20


def _fail(root: Path, exc: OSError) -> StoreError:
    return StoreError(f"cannot write to the blob directory {root}: {exc.strerror or exc}")


class DirectoryBlobs(BlobStore):
    """Large objects' bytes in `root` (see the module docstring)."""

    def __init__(self, root: Path, *, create: bool = False, shared: bool = True) -> None:
        self.root = Path(root).expanduser().absolute()
        self.location = str(self.root)
        self.shared = shared
        marker = self.root / MARKER
        if create and not marker.is_file():
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                self._write_file(marker, (b"voxcas blob tier: one file per object, named by its digest\n",))
            except OSError as exc:
                raise _fail(self.root, exc) from None
        elif not marker.is_file():
            raise StoreError(
                f"the blob directory {self.root} is missing or is not a voxcas blob tier "
                f"(no {MARKER} in it); is its file system mounted?"
            )

    def path(self, digest: Digest) -> Path:
        hexd = digest[len(DIGEST_PREFIX) :]
        return self.root / hexd[:2] / hexd[2:]

    def _write_file(self, final: Path, parts: tuple[Bytes, ...]) -> None:
        tmp = final.with_name(f".tmp-{final.name[:8]}-{os.getpid()}-{secrets.token_hex(6)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            for part in parts:  # one after another: an encoding in pieces is never joined
                view = memoryview(part).cast("B")
                while view:
                    view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        try:
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        dirfd = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)

    def put(self, digest: Digest, stored: Bytes) -> None:
        self._put(digest, stored)

    def put_pieces(self, digest: Digest, parts: tuple[memoryview, ...]) -> None:
        self._put(digest, parts)

    def _put(self, digest: Digest, stored: Bytes | tuple[memoryview, ...]) -> None:
        final = self.path(digest)
        parts: tuple[Bytes, ...] = stored if isinstance(stored, tuple) else (stored,)
        size = sum(memoryview(part).nbytes for part in parts)
        try:
            if final.is_file() and final.stat().st_size == size:
                os.utime(final)
                return
            final.parent.mkdir(exist_ok=True)
            self._write_file(final, parts)
        except OSError as exc:
            raise _fail(self.root, exc) from None

    def read(self, digest: Digest, size: int, hasher: Any = None) -> bytearray:
        path = self.path(digest)
        try:
            f = path.open("rb", buffering=0)
        except FileNotFoundError:
            raise CorruptObjectError(
                f"object {digest} is missing from the blob directory {self.root}"
            ) from None
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
        with f:
            found = os.fstat(f.fileno()).st_size
            if found != size:
                raise CorruptObjectError(
                    f"object {digest} is corrupt: {found} bytes in {path}, {size} expected"
                )
            data = bytearray(size)
            view = memoryview(data)
            offset = 0
            while offset < size:
                got = f.readinto(view[offset : offset + _CHUNK])
                if not got:
                    raise CorruptObjectError(f"object {digest} is corrupt: {path} ended early")
                if hasher is not None:
                    hasher.update(view[offset : offset + got])
                offset += got
        return data

    def has(self, digest: Digest) -> bool:
        return self.path(digest).is_file()

    def delete(self, digest: Digest) -> None:
        try:
            self.path(digest).unlink(missing_ok=True)
        except OSError as exc:
            raise _fail(self.root, exc) from None

    def stored(self) -> Iterator[tuple[Digest, float]]:
        for shard in sorted(os.scandir(self.root), key=lambda e: e.name):
            if len(shard.name) != 2 or not is_hex(shard.name) or not shard.is_dir():
                continue
            for entry in os.scandir(shard.path):
                if entry.name.startswith(".") or len(entry.name) != 62 or not is_hex(entry.name):
                    continue
                try:
                    mtime = entry.stat().st_mtime
                except FileNotFoundError:  # deleted meanwhile
                    continue
                yield Digest(DIGEST_PREFIX + shard.name + entry.name), mtime

    def temporaries(self) -> Iterator[tuple[Path, float]]:
        """Temporary files of puts (a writer killed mid-put leaves one), with their modification time."""
        for shard in os.scandir(self.root):
            if len(shard.name) == 2 and shard.is_dir():
                for entry in os.scandir(shard.path):
                    if entry.name.startswith(".tmp-"):
                        try:
                            yield Path(entry.path), entry.stat().st_mtime
                        except FileNotFoundError:
                            continue

    def __repr__(self) -> str:
        return f"DirectoryBlobs({self.location!r})"
