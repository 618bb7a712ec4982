"""Properties of the canonical encodings: every value kind round-trips, digests are SHA-256 of the
uncompressed encoding, puts are idempotent, compression never changes the encoding."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from store_helpers import STORE_SETTINGS, same_value

from voxcas.errors import CorruptObjectError
from voxcas.ids import Digest
from voxcas.store import codec
from voxcas.store.memory import MemoryStore
from voxcas.store.sqlite import SqliteStore
from voxcas.values import Image

NUMERIC_DTYPES = [
    np.dtype(t).newbyteorder(order)
    for t in ("i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16")
    for order in ("<", ">")
] + [np.dtype("bool"), np.dtype("datetime64[s]"), np.dtype("timedelta64[ms]")]

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)
arrays = st.sampled_from(NUMERIC_DTYPES).flatmap(lambda dt: hnp.arrays(dt, shapes))


@st.composite
def images(draw: st.DrawFn) -> Image:
    dim = draw(st.sampled_from([2, 3]))
    components = draw(st.sampled_from([1, 1, 3]))
    shape = draw(hnp.array_shapes(min_dims=dim, max_dims=dim, min_side=1, max_side=4))
    if components > 1:
        shape = (*shape, components)
    array = draw(hnp.arrays(st.sampled_from([np.uint8, np.float32, np.int16]), shape))
    finite = st.floats(-1e6, 1e6, allow_nan=False)
    spacing = draw(st.lists(st.floats(0.01, 100), min_size=dim, max_size=dim))
    origin = draw(st.lists(finite, min_size=dim, max_size=dim))
    direction = draw(st.lists(finite, min_size=dim * dim, max_size=dim * dim))
    return Image.from_array(array, spacing, origin, direction, components)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.binary(max_size=64),
    st.sampled_from([np.int32(-3), np.float64("nan"), np.bool_(True), np.uint64(2**64 - 1), np.float32(0.1)]),
)
values = st.recursive(
    st.one_of(scalars, arrays, images()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=8,
)


def _encode_pure(value: Any) -> codec.Encoded:
    """Encode without a store: item digests computed recursively."""
    return codec.encode(value, lambda item: _encode_pure(item).digest)


@STORE_SETTINGS
@given(values)
def test_every_value_kind_round_trips_through_the_memory_store(value: Any) -> None:
    store = MemoryStore()
    assert same_value(store.get(store.put(value)), value)


@STORE_SETTINGS
@given(values)
def test_the_digest_is_sha256_of_the_uncompressed_encoding(value: Any) -> None:
    enc = _encode_pure(value)
    assert enc.digest == "sha256:" + hashlib.sha256(memoryview(enc.data)).hexdigest()
    store = MemoryStore()
    assert store.put(value) == enc.digest
    assert hashlib.sha256(store.get_encoded(enc.digest)).hexdigest() == enc.digest[7:]


@STORE_SETTINGS
@given(values)
def test_putting_the_same_value_twice_is_idempotent(value: Any) -> None:
    store = MemoryStore()
    first = store.put(value)
    objects = sorted(o.digest for o in store.objects())
    assert store.put(value) == first
    assert sorted(o.digest for o in store.objects()) == objects


@STORE_SETTINGS
@given(st.binary(max_size=5000) | arrays.map(lambda a: _encode_pure(a).data))
def test_compression_never_changes_the_encoding(data: Any) -> None:
    how, stored = codec.compress(data)
    assert bytes(codec.decompress(how, stored, memoryview(data).nbytes, "sha256:x")) == bytes(data)


def test_values_round_trip_through_the_sqlite_store(sqlite_store: SqliteStore) -> None:
    @STORE_SETTINGS
    @given(values)
    def check(value: Any) -> None:
        assert same_value(sqlite_store.get(sqlite_store.put(value)), value)

    check()


@pytest.mark.parametrize("x", [float("nan"), float("inf"), float("-inf"), -0.0, 0.0, 1e-310, 0.1])
def test_special_floats_round_trip_exactly(x: float) -> None:
    store = MemoryStore()
    assert same_value(store.get(store.put(x)), x)


def test_byte_order_does_not_change_the_digest() -> None:
    little = np.arange(10, dtype="<i4")
    assert _encode_pure(little).digest == _encode_pure(little.astype(">i4")).digest


def test_a_non_contiguous_array_encodes_like_its_copy() -> None:
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    assert _encode_pure(base[:, ::2]).digest == _encode_pure(np.ascontiguousarray(base[:, ::2])).digest


def test_decoded_arrays_are_read_only() -> None:
    store = MemoryStore()
    array = store.get(store.put(np.zeros(4)))
    with pytest.raises(ValueError):
        array[0] = 1


def test_large_incompressible_data_is_stored_raw_and_compressible_data_compressed() -> None:
    noise = np.random.default_rng(1).standard_normal(1 << 19).astype(np.float32)
    assert codec.compress(_encode_pure(noise).data)[0] == codec.CODEC_NONE
    assert codec.compress(_encode_pure(np.zeros(1 << 20, np.uint8)).data)[0] == codec.CODEC_ZSTD


def test_an_encoding_without_a_header_is_corrupt() -> None:
    with pytest.raises(CorruptObjectError) as exc:
        codec.decode(b"garbage", "sha256:ab", lambda d: None, None)
    assert str(exc.value) == "object sha256:ab is corrupt: no voxcas header"


def test_undecodable_bytes_under_a_valid_header_are_corrupt() -> None:
    with pytest.raises(CorruptObjectError) as exc:
        codec.decode(b"vox1 scalar    \n[1,2,3]", "sha256:cd", lambda d: None, None)
    assert str(exc.value).startswith("object sha256:cd is corrupt: cannot decode its scalar encoding")


def test_verify_names_both_digests() -> None:
    data = b"vox1 bytes     \nabc"
    wrong = Digest("sha256:" + "0" * 64)
    with pytest.raises(CorruptObjectError) as exc:
        codec.verify(data, wrong)
    actual = "sha256:" + hashlib.sha256(data).hexdigest()
    assert str(exc.value) == f"object {wrong} is corrupt: its content hashes to {actual}"


@STORE_SETTINGS
@given(st.integers())
def test_the_fast_int_encoding_equals_the_canonical_json(n: int) -> None:
    assert codec.encode_scalar(n).data == codec._HEADERS["scalar"] + codec._json(codec._scalar_item(n))


def test_a_range_of_a_billion_items_is_one_small_object_that_decodes_to_the_same_range() -> None:
    store = MemoryStore()
    digest = store.put(range(0, 10**9))
    assert store.get(digest) == range(0, 10**9)
    assert store.get(store.put(range(5, -7, -3))) == range(5, -7, -3)
    encoded = codec.encode(range(0, 10**9), lambda item: pytest.fail("no item is stored"))
    assert encoded.kind == "range" and encoded.size < 64 and encoded.children == ()
    assert bytes(encoded.data) == b"vox1 range     \n[0,1000000000,1]"  # header padded to 16


@pytest.mark.parametrize(
    "array",
    [
        np.random.default_rng(3).normal(size=(40, 80, 90)).astype(np.float32),  # stays raw
        np.random.default_rng(4).random((130, 90, 100)) > 0.7,  # compresses
        np.arange(2 << 20, dtype=np.uint8).reshape(2048, 1024)[:, ::2],  # not contiguous
    ],
)
def test_a_large_array_in_pieces_is_the_joined_encoding_without_copying_the_array(array: Any) -> None:
    values: list[Any] = [array]
    if array.ndim == 3:
        values.append(Image(array, (1.0, 2.0, 3.0), (0.0, 0.0, 0.0), tuple(np.eye(3).ravel()), 1))
    for value in values:
        joined = codec.encode(value, lambda _: Digest(""))
        pieces = codec.encode(value, lambda _: Digest(""), pieces=True)
        assert isinstance(pieces.data, codec.Pieces)
        data = pieces.data.tobytes()
        assert data == bytes(joined.data) and pieces.size == len(data)
        assert pieces.digest == joined.digest == "sha256:" + hashlib.sha256(data).hexdigest()
        if array.flags.c_contiguous:  # the array's own memory is one of the parts
            base = array.__array_interface__["data"][0]
            assert any(np.frombuffer(p, np.uint8).ctypes.data == base for p in pieces.data.parts)
        how, stored = codec.compress(pieces.data)
        assert how == codec.compress(joined.data)[0]
        restored = codec.decompress(how, stored.tobytes() if how == "none" else stored, len(data), "d")
        assert bytes(restored) == data


def test_a_slice_of_pieces_reads_across_their_boundaries() -> None:
    pieces = codec.Pieces.of([b"abc", b"", memoryview(b"defgh"), bytearray(b"ij")])
    assert pieces.nbytes == 10 and len(pieces.parts) == 3
    assert [pieces.slice(start, 4) for start in (0, 2, 7, 9, 10)] == [b"abcd", b"cdef", b"hij", b"j", b""]
