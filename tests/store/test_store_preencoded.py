"""Values encoded away from the store (on a cluster worker) index exactly as values put here."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from store_helpers import const_node, same_value

from voxcas.errors import CorruptObjectError
from voxcas.store.base import PendingResult
from voxcas.store.blobs_dir import DirectoryBlobs
from voxcas.store.fsck import fsck
from voxcas.store.preencoded import InTier, PreEncoded, pre_encode
from voxcas.store.sqlite import SqliteStore
from voxcas.values import Image

VALUES = [
    7,
    "text",
    [1, [2.5, "x"], {"k": None}],
    np.random.default_rng(1).standard_normal((30, 40, 300)).astype(np.float32),  # 1.4 MB, stored raw
    [Image.from_array(np.random.default_rng(2).integers(0, 255, (64, 128, 130), dtype=np.uint8)), 3],
]


@pytest.mark.parametrize("value", VALUES, ids=[f"value{i}" for i in range(len(VALUES))])
def test_a_pre_encoded_value_indexes_as_the_value_itself(tmp_path: Path, value: object) -> None:
    with SqliteStore(tmp_path / "here", create=True, blobs=tmp_path / "b-here") as here:
        expected = here.put_result(const_node(1), value)
        objects_here = sorted((o.digest, o.kind, o.size, o.stored_size) for o in here.objects())
    with SqliteStore(tmp_path / "there", create=True, blobs=tmp_path / "b-there") as there:
        assert isinstance(there.blobs, DirectoryBlobs)
        worker_tier = DirectoryBlobs(Path(there.blobs.location))  # as a worker opens it
        pre = pickle.loads(pickle.dumps(pre_encode(value, worker_tier)))  # it travels to the client
        assert pre.digest == expected
        assert there.put_results([PendingResult(const_node(1), pre)]) == [expected]
        assert sorted((o.digest, o.kind, o.size, o.stored_size) for o in there.objects()) == objects_here
        assert same_value(there.get(expected), value)
        assert fsck(there).ok


def test_only_small_objects_travel_in_a_pre_encoded_value(tmp_path: Path) -> None:
    tier = DirectoryBlobs(tmp_path / "b", create=True)
    pre = pre_encode(VALUES[3], tier)
    ((header, _, stored),) = pre.rows
    assert isinstance(stored, InTier) and header.data == b""
    assert len(pickle.dumps(pre)) < 1000 < pre.encoded_size
    assert tier.has(pre.digest)


def test_a_pre_encoded_value_whose_blob_is_gone_is_refused(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / ".vox", create=True, blobs=tmp_path / "b") as store:
        assert isinstance(store.blobs, DirectoryBlobs)
        pre = pre_encode(VALUES[3], store.blobs)
        store.blobs.delete(pre.digest)
        with pytest.raises(CorruptObjectError, match="not in the blob tier"):
            store.put_results([PendingResult(const_node(2), pre)])
        assert store.lookup(const_node(2).id) is None


def test_pre_encoded_values_are_plain_data(tmp_path: Path) -> None:
    pre = pre_encode([1, 2], DirectoryBlobs(tmp_path / "b", create=True))
    assert isinstance(pre, PreEncoded) and len(pre.rows) == 3  # two items, then the sequence
