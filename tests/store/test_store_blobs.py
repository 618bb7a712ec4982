"""The blob tiers: one contract for every `BlobStore`, then what a blob directory adds to a store
(its files, a missing or unwritable directory, gc of blobs nobody indexed, damage found by fsck)."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from store_helpers import const_node

from voxcas.errors import CorruptObjectError, StoreError, UsageError
from voxcas.ids import DIGEST_PREFIX, Digest
from voxcas.store.blobs import LARGE, BlobStore
from voxcas.store.blobs_dir import MARKER, DirectoryBlobs
from voxcas.store.blobs_url import UrlBlobs
from voxcas.store.fsck import fsck
from voxcas.store.gc import gc
from voxcas.store.sqlite import SqliteStore


def digest_of(data: bytes) -> Digest:
    return Digest(DIGEST_PREFIX + hashlib.sha256(data).hexdigest())


def payload(seed: int, size: int = 2 * LARGE) -> bytes:
    return np.random.default_rng(seed).bytes(size)


def memory_url() -> str:
    """A fresh location in fsspec's in-memory file system (shared by this process only)."""
    import uuid

    return f"memory://vox-{uuid.uuid4().hex}/blobs"


@pytest.fixture(params=["inline", "directory", "url"])
def tier(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[SqliteStore, BlobStore]]:
    """A store and its blob tier; the inline tier keeps bytes in object rows, so each test puts
    objects through the store and then talks to the tier directly."""
    blobs = {"inline": None, "directory": tmp_path / "blobs", "url": memory_url()}[request.param]
    store = SqliteStore(tmp_path / ".vox", create=True, blobs=blobs)
    yield store, store.blobs
    store.close()


# -- the contract of every tier -----------------------------------------------------------------


def test_a_tier_returns_exactly_the_bytes_put_and_feeds_the_hasher(
    tier: tuple[SqliteStore, BlobStore],
) -> None:
    store, blobs = tier
    data = payload(1)
    digest = store.put(data)  # raw bytes of this size are stored uncompressed: stored == encoding
    stored = store.get_encoded(digest)
    hasher = hashlib.sha256()
    assert bytes(blobs.read(digest, len(stored), hasher)) == stored
    assert DIGEST_PREFIX + hasher.hexdigest() == digest
    assert blobs.has(digest)


def test_a_second_put_of_the_same_digest_is_harmless(tier: tuple[SqliteStore, BlobStore]) -> None:
    store, blobs = tier
    digest = store.put(payload(2))
    stored = store.get_encoded(digest)
    blobs.put(digest, stored)
    assert bytes(blobs.read(digest, len(stored))) == stored


def test_reading_with_the_wrong_size_is_corruption_never_data(tier: tuple[SqliteStore, BlobStore]) -> None:
    store, blobs = tier
    digest = store.put(payload(3))
    size = len(store.get_encoded(digest))
    with pytest.raises(CorruptObjectError, match=digest):
        blobs.read(digest, size + 1)


# -- the directory tier -------------------------------------------------------------------------


def test_a_large_object_is_a_sharded_file_named_by_its_digest(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / ".vox", create=True, blobs=tmp_path / "blobs") as store:
        data = payload(4)
        digest = store.put(data)
        small = store.put(b"tiny")
    hexd = digest.removeprefix(DIGEST_PREFIX)
    files = sorted(p.relative_to(tmp_path / "blobs") for p in (tmp_path / "blobs").rglob("*") if p.is_file())
    assert files == sorted([Path(MARKER), Path(hexd[:2], hexd[2:])])
    assert small != digest
    with SqliteStore(tmp_path / ".vox") as again:  # the tier is remembered by the store
        assert again.get(digest) == data


def test_files_of_a_put_never_show_under_a_temporary_name(tmp_path: Path) -> None:
    blobs = DirectoryBlobs(tmp_path / "b", create=True)
    data = payload(5)
    blobs.put(digest_of(data), data)
    assert [d for d, _ in blobs.stored()] == [digest_of(data)]
    assert list(blobs.temporaries()) == []


def _put_many(root: str, seed: int) -> None:
    blobs = DirectoryBlobs(Path(root))
    for i in range(6):
        data = payload(i, LARGE + 1000 * i)  # every process writes the same six blobs
        blobs.put(digest_of(data), data)


def test_processes_writing_the_same_blobs_at_once_leave_whole_files(tmp_path: Path) -> None:
    root = tmp_path / "b"
    DirectoryBlobs(root, create=True)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_put_many, args=(str(root), seed)) for seed in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    blobs = DirectoryBlobs(root)
    for i in range(6):
        data = payload(i, LARGE + 1000 * i)
        assert bytes(blobs.read(digest_of(data), len(data))) == data
    assert len(list(blobs.stored())) == 6
    assert list(blobs.temporaries()) == []


def test_a_missing_blob_directory_is_named_in_one_line(tmp_path: Path) -> None:
    SqliteStore(tmp_path / ".vox", create=True, blobs=tmp_path / "blobs").close()
    (tmp_path / "blobs" / MARKER).unlink()
    (tmp_path / "blobs").rmdir()
    with pytest.raises(StoreError) as exc:
        SqliteStore(tmp_path / ".vox")
    message = str(exc.value)
    assert str(tmp_path / "blobs") in message and "\n" not in message


def test_a_blob_directory_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(StoreError) as exc:
        SqliteStore(tmp_path / ".vox", create=True, blobs=tmp_path / "file" / "blobs")
    assert str(tmp_path / "file" / "blobs") in str(exc.value)


def test_a_store_refuses_to_switch_to_another_blob_directory(tmp_path: Path) -> None:
    SqliteStore(tmp_path / ".vox", create=True, blobs=tmp_path / "a").close()
    with pytest.raises(UsageError, match="keeps its large objects in"):
        SqliteStore(tmp_path / ".vox", create=True, blobs=tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_an_inline_store_given_a_blob_directory_keeps_reading_its_old_objects(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / ".vox", create=True, inline=True) as store:
        old = store.put(payload(6))
    with SqliteStore(tmp_path / ".vox", create=True, blobs=tmp_path / "blobs") as store:
        new = store.put(payload(7))
        assert store.get(old) == payload(6) and store.get(new) == payload(7)
        assert not store.blobs.has(old) and store.blobs.has(new)
        assert fsck(store).ok


def test_a_blob_file_that_vanished_is_reported_by_fsck_and_never_read(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / ".vox", create=True, blobs=tmp_path / "blobs") as store:
        digest = store.put_result(const_node(1), payload(8))
        assert isinstance(store.blobs, DirectoryBlobs)
        store.blobs.path(digest).unlink()
        with pytest.raises(CorruptObjectError, match="missing from the blob directory"):
            store.get(digest)
        report = fsck(store)
        assert not report.ok and any(digest in p for p in report.problems)


def test_gc_deletes_blobs_nobody_indexed_only_after_the_grace_period(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / ".vox", create=True, blobs=tmp_path / "blobs") as store:
        kept = store.put_result(const_node(2), payload(9))
        orphan = payload(10)
        store.blobs.put(digest_of(orphan), orphan)  # a worker wrote it; no client indexed it
        assert gc(store, grace=3600).blobs_deleted == 0
        assert store.blobs.has(digest_of(orphan))
        hour_ago = time.time() - 7200
        assert isinstance(store.blobs, DirectoryBlobs)
        os.utime(store.blobs.path(digest_of(orphan)), (hour_ago, hour_ago))
        os.utime(store.blobs.path(kept), (hour_ago, hour_ago))
        report = gc(store, grace=3600)
        assert report.blobs_deleted == 1
        assert not store.blobs.has(digest_of(orphan))
        assert store.get(kept) == payload(9)
        assert fsck(store).ok


def test_gc_removes_the_file_of_an_object_it_sweeps(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / ".vox", create=True, blobs=tmp_path / "blobs") as store:
        digest = store.put(payload(11))  # no result keeps it
        hour_ago = time.time() - 7200
        assert isinstance(store.blobs, DirectoryBlobs)
        os.utime(store.blobs.path(digest), (hour_ago, hour_ago))
        store.connection.execute("UPDATE objects SET created=? WHERE digest=?", (hour_ago, digest))
        report = gc(store, grace=3600)
        assert report.objects_deleted == 1 and report.blobs_deleted == 1
        assert list(store.blobs.stored()) == []


def test_a_new_store_keeps_large_objects_in_its_own_blobs_directory_found_again_when_moved(
    tmp_path: Path,
) -> None:
    with SqliteStore(tmp_path / "a" / ".vox", create=True) as store:
        big, small = store.put(payload(9)), store.put(b"small")
        assert isinstance(store.blobs, DirectoryBlobs) and not store.blobs.shared
        assert store.blobs.root == tmp_path / "a" / ".vox" / "blobs"
        assert store.blobs.has(big) and not store.blobs.has(small)
    (tmp_path / "a" / ".vox").rename(tmp_path / "moved")  # recorded relative to the store
    with SqliteStore(tmp_path / "moved") as store:
        assert isinstance(store.blobs, DirectoryBlobs)
        assert store.blobs.root == tmp_path / "moved" / "blobs"
        assert store.get(big) == payload(9) and fsck(store).ok


def test_a_store_with_its_own_blobs_directory_refuses_another(tmp_path: Path) -> None:
    SqliteStore(tmp_path / ".vox", create=True).close()
    with pytest.raises(UsageError) as info:
        SqliteStore(tmp_path / ".vox", create=True, blobs=tmp_path / "b")
    assert str(info.value) == (
        f"the store {tmp_path / '.vox'} keeps its large objects in {tmp_path / '.vox' / 'blobs'}, "
        f"not in {tmp_path / 'b'}"
    )


# -- the fsspec URL tier ------------------------------------------------------------------------


def test_a_url_tier_keeps_large_objects_as_sharded_objects_and_is_remembered(tmp_path: Path) -> None:
    import fsspec

    url = memory_url()
    with SqliteStore(tmp_path / ".vox", create=True, blobs=url) as store:
        data = payload(12)
        digest = store.put_result(const_node(3), data)
        assert store.blobs.location == url
        stored = store.read_stored(digest)[3]
    hexd = digest.removeprefix(DIGEST_PREFIX)
    fs, root = fsspec.core.url_to_fs(url)
    assert fs.cat_file(f"{root}/{hexd[:2]}/{hexd[2:]}") == bytes(stored)
    with SqliteStore(tmp_path / ".vox") as again:
        assert again.get(digest) == data and fsck(again).ok


def test_gc_sweeps_unindexed_objects_of_a_url_tier_after_the_grace_period(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / ".vox", create=True, blobs=memory_url()) as store:
        kept = store.put_result(const_node(4), payload(13))
        orphan = payload(14)
        store.blobs.put(digest_of(orphan), orphan)  # written by a worker, never indexed
        assert gc(store, grace=3600).blobs_deleted == 0
        assert isinstance(store.blobs, UrlBlobs)
        fs = store.blobs.fs
        for digest in (digest_of(orphan), kept):  # both written two hours ago
            fs.store[fs._strip_protocol(store.blobs.path(digest))].modified = datetime.fromtimestamp(
                time.time() - 7200, tz=UTC
            )
        report = gc(store, grace=3600)
        assert report.blobs_deleted == 1 and not store.blobs.has(digest_of(orphan))
        assert store.get(kept) == payload(13)


def test_a_url_tier_without_its_marker_is_named_in_one_line(tmp_path: Path) -> None:
    import fsspec

    url = memory_url()
    SqliteStore(tmp_path / ".vox", create=True, blobs=url).close()
    fs, root = fsspec.core.url_to_fs(url)
    fs.rm(root, recursive=True)
    with pytest.raises(StoreError) as exc:
        SqliteStore(tmp_path / ".vox")
    assert url in str(exc.value) and "\n" not in str(exc.value)


def test_an_unknown_protocol_is_named_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as exc:
        SqliteStore(tmp_path / ".vox", create=True, blobs="nosuchprotocol://bucket/blobs")
    assert "nosuchprotocol://bucket/blobs" in str(exc.value) and "\n" not in str(exc.value)


def test_a_file_url_is_the_blob_directory_at_its_path(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / ".vox", create=True, blobs=f"file://{tmp_path / 'blobs'}") as store:
        assert isinstance(store.blobs, DirectoryBlobs) and store.blobs.location == str(tmp_path / "blobs")


def test_an_unreachable_blob_url_is_named_in_one_line(tmp_path: Path) -> None:
    import fsspec
    from fsspec.implementations.memory import MemoryFileSystem

    class Unreachable(MemoryFileSystem):  # a service that refuses every connection
        protocol = "unreachable"

        def isfile(self, path: str) -> bool:
            raise ConnectionRefusedError(111, "Connection refused")

    fsspec.register_implementation("unreachable", Unreachable, clobber=True)
    with pytest.raises(StoreError) as exc:
        SqliteStore(tmp_path / ".vox", create=True, blobs="unreachable://host/blobs")
    assert str(exc.value) == "cannot reach the blob tier unreachable://host/blobs: Connection refused"


@pytest.mark.parametrize("kind", ["directory", "url"])
def test_a_damaged_blob_is_discarded_and_the_next_put_stores_it_whole(tmp_path: Path, kind: str) -> None:
    blobs: Path | str = tmp_path / "blobs" if kind == "directory" else memory_url()
    with SqliteStore(tmp_path / ".vox", create=True, blobs=blobs) as store:
        data = payload(15)
        digest = store.put(data)
        other = store.put(payload(16))
        assert not store.discard_damaged(digest)  # whole: left alone
        stored = bytearray(store.read_stored(digest)[3])
        stored[len(stored) // 2] ^= 0xFF  # damaged at the same length: only the hash can tell
        if isinstance(store.blobs, DirectoryBlobs):
            store.blobs.path(digest).write_bytes(bytes(stored))
        else:
            assert isinstance(store.blobs, UrlBlobs)
            store.blobs.fs.pipe_file(store.blobs.path(digest), bytes(stored))
        with pytest.raises(CorruptObjectError):
            store.get(digest)
        store.put(data)  # a put alone keeps the damaged bytes: the row is there
        with pytest.raises(CorruptObjectError):
            store.get(digest)
        assert store.discard_damaged(digest) and not store.has(digest)
        assert store.put(data) == digest
        assert store.get(digest) == data and store.get(other) == payload(16)
        assert fsck(store).ok
