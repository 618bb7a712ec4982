"""Canonical encodings of stored values (never pickle), and their compression.

Every object's *encoding* starts with a header line that names its kind, padded with spaces to a
multiple of 8 bytes so that array data that follows stays aligned:

    b"vox1 <kind>    \\n" + payload

The digest of an object is `sha256:` of the whole uncompressed encoding (header included), so an
encoding describes itself: a bundle cannot pass an array off as a string. Payloads:

- scalar: compact JSON `["null"]`, `["bool", true]`, `["int", "12"]`, `["float", "-0.0"]`,
  `["str", "é"]` (ints as text, floats via `repr`, so NaN/inf/-0.0 round-trip; numpy scalars
  normalised to Python ones);
- bytes: the bytes themselves;
- sequence: compact JSON list of item digests (like a git tree);
- range: compact JSON `[start, stop, step]` of a Python `range`, which decodes to that range: a
  `range(0, 10**9)` is one small object, not a billion items (issue 10);
- mapping: compact JSON object `{key: item digest}`, keys sorted;
- ndarray: an Arrow IPC stream of one record batch, the flattened C-order data as one column,
  schema metadata `dtype` (numpy `dtype.str`, little-endian) and `shape`;
- image: as ndarray, plus `spacing`, `origin`, `direction` and `components` in the metadata.

Arrays of every numeric dtype are encoded by viewing their bytes as an Arrow primitive type of the
same width (bool → uint8, complex → float pairs, datetime/timedelta → int64); the numpy dtype tag
restores them. Object, string, void and long-double arrays are refused with `EncodingError`.
Decoded arrays are read-only views of the stored bytes (values are immutable).

A large array's encoding may be held as `Pieces` (`encode(..., pieces=True)`, what the SQLite
store asks for): the header and Arrow framing as small buffers around the array's own memory, so
encoding copies nothing; hashing, the compression probe and the blob write read the array where
it is. The bytes are those of the joined encoding (same digest).

Compression (`compress`) is a separate stage: zstd level 1 when it saves at least 10 % (small
objects) or 25 % (objects over 1 MiB). Large payloads are probed first: a few 64 KiB samples are
compressed, and only a promising probe pays for the full pass. The higher bar for large objects is
a measured trade: a smooth float32 MRI-like volume compresses to ~84 % (zstd only entropy-codes its
exponent bytes), and paying for that 16 % halves put and get throughput (bench/bench_store.py);
masks (~5 %) and integer scans (~50 %) still compress.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from voxcas.errors import CorruptObjectError, EncodingError
from voxcas.ids import DIGEST_PREFIX, Digest, digest_bytes, digest_chunks, is_hex
from voxcas.values import Image, kind_of

if TYPE_CHECKING:
    import numpy as np

KINDS = ("scalar", "bytes", "sequence", "mapping", "ndarray", "image", "range")
CONTAINER_KINDS = ("sequence", "mapping")
MAGIC = b"vox1 "

CODEC_NONE = "none"
CODEC_ZSTD = "zstd"
ZSTD_LEVEL = 1
PROBE_THRESHOLD = 1 << 20  # payloads above 1 MiB are probed before compressing
PIECES_FROM = 1 << 20  # arrays from this size on may be encoded as `Pieces` (never a small object)
_PROBE_CHUNK = 64 << 10
_PROBE_SAMPLES = 8
_SAVING = 0.9  # keep the compressed form only when it is at most 90 % of the original ...
_LARGE_SAVING = 0.75  # ... or 75 % for payloads above PROBE_THRESHOLD


@dataclass(frozen=True, slots=True)
class Pieces:
    """An encoding held as consecutive buffers, never joined: the header and Arrow framing around
    an array's own bytes (`encode(..., pieces=True)`), so encoding a large array copies nothing."""

    parts: tuple[memoryview, ...]
    nbytes: int

    @classmethod
    def of(cls, parts: Sequence[Any]) -> Pieces:
        views = tuple(memoryview(p).cast("B") for p in parts)
        return cls(tuple(v for v in views if v.nbytes), sum(v.nbytes for v in views))

    def tobytes(self) -> bytes:
        return b"".join(self.parts)

    def slice(self, start: int, length: int) -> bytes:
        """`length` bytes from `start` (across parts), copied: for small samples only."""
        out, offset = [], 0
        for part in self.parts:
            end = offset + part.nbytes
            if end > start and offset < start + length:
                out.append(part[max(0, start - offset) : min(part.nbytes, start + length - offset)])
            offset = end
        return b"".join(out)


def nbytes(data: Any) -> int:
    """The length of an encoding or of stored bytes (bytes-like or `Pieces`)."""
    if type(data) is bytes:
        return len(data)
    if isinstance(data, Pieces):
        return data.nbytes
    return memoryview(data).nbytes


@dataclass(frozen=True, slots=True)
class Encoded:
    """An object ready to store: its kind, uncompressed encoding, digest and child digests."""

    kind: str
    data: Any  # bytes-like (bytes or a pyarrow Buffer) or `Pieces`, the uncompressed encoding
    digest: Digest
    children: tuple[Digest, ...] = ()

    @property
    def size(self) -> int:
        return nbytes(self.data)


def _header(kind: str) -> bytes:
    line = MAGIC + kind.encode("ascii")
    pad = (-(len(line) + 1)) % 8
    return line + b" " * pad + b"\n"


_HEADERS = {kind: _header(kind) for kind in KINDS}


def _json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _finish(kind: str, payload: bytes, children: tuple[Digest, ...] = ()) -> Encoded:
    data = _HEADERS[kind] + payload
    return Encoded(kind, data, digest_bytes(data), children)


# -- scalars --------------------------------------------------------------------------------------


def _scalar_item(value: Any) -> list[Any]:
    if value is None:
        return ["null"]
    kind = kind_of(value)
    if kind == "bool":
        return ["bool", bool(value)]
    if kind == "int":
        return ["int", str(int(value))]
    if kind == "float":
        x = float(value)
        return ["float", "nan" if math.isnan(x) else repr(x)]
    if kind == "str":
        return ["str", value]
    raise EncodingError(f"cannot store a value of kind '{kind}' as a scalar")


def encode_scalar(value: Any) -> Encoded:
    if type(value) is int:  # the common case, without the JSON encoder: same bytes as _json
        return _finish("scalar", b'["int","%d"]' % value)
    return _finish("scalar", _json(_scalar_item(value)))


def _decode_scalar(payload: memoryview) -> Any:
    item = json.loads(bytes(payload).decode("utf-8"))
    tag = item[0]
    if tag == "null" and len(item) == 1:
        return None
    if len(item) != 2:
        raise ValueError(f"bad scalar {item!r}")
    raw = item[1]
    if tag == "bool" and isinstance(raw, bool):
        return raw
    if tag == "int" and isinstance(raw, str):
        return int(raw)
    if tag == "float" and isinstance(raw, str):
        return float(raw)
    if tag == "str" and isinstance(raw, str):
        return raw
    raise ValueError(f"bad scalar {item!r}")


# -- containers -----------------------------------------------------------------------------------


def encode_sequence(digests: Sequence[Digest]) -> Encoded:
    items = tuple(digests)
    return _finish("sequence", _json(list(items)), items)


def encode_range(value: range) -> Encoded:
    """A range as its bounds: stored in constant space however many items it has."""
    try:
        return _finish("range", _json([value.start, value.stop, value.step]))
    except ValueError as exc:  # bounds too large to write in decimal
        raise EncodingError(f"cannot store a range with such bounds: {exc}") from None


def _decode_range(payload: memoryview) -> range:
    bounds = json.loads(bytes(payload).decode("utf-8"))
    if not (
        isinstance(bounds, list)
        and len(bounds) == 3
        and all(type(b) is int for b in bounds)
        and bounds[2] != 0
    ):
        raise ValueError(f"bad range {bounds!r}")
    return range(*bounds)


def encode_mapping(items: Mapping[str, Digest]) -> Encoded:
    keys = sorted(items)
    return _finish("mapping", _json({k: items[k] for k in keys}), tuple(items[k] for k in keys))


def _check_digest(text: Any) -> Digest:
    if not (
        isinstance(text, str)
        and text.startswith(DIGEST_PREFIX)
        and len(text) == 71
        and is_hex(text[len(DIGEST_PREFIX) :])
    ):
        raise ValueError(f"bad item digest {text!r}")
    return Digest(text)


# -- arrays ---------------------------------------------------------------------------------------


def _arrow_type_for(dtype: np.dtype[Any]) -> Any:
    """The Arrow primitive type an array's bytes are viewed as."""
    import numpy as np
    import pyarrow as pa

    kind, size = dtype.kind, dtype.itemsize
    if kind == "b":
        return pa.uint8()
    if kind == "i" and size in (1, 2, 4, 8):
        return pa.from_numpy_dtype(np.dtype(f"<i{size}"))
    if kind == "u" and size in (1, 2, 4, 8):
        return pa.from_numpy_dtype(np.dtype(f"<u{size}"))
    if kind == "f" and size in (2, 4, 8):
        return pa.from_numpy_dtype(np.dtype(f"<f{size}"))
    if kind == "c" and size in (8, 16):
        return pa.from_numpy_dtype(np.dtype(f"<f{size // 2}"))
    if kind in "mM" and size == 8:
        return pa.int64()
    raise EncodingError(f"cannot store an array of dtype '{dtype}' (kind ndarray): only numeric dtypes")


def _view_type(arrow_type: Any) -> str:
    import numpy as np

    return str(np.dtype(arrow_type.to_pandas_dtype()).str)


class _PiecesSink:
    """A file for `pyarrow.PythonFile` that keeps what it is given: pyarrow hands the IPC writer's
    body buffers over as `pyarrow.Buffer`s of the array's own memory (no copy)."""

    def __init__(self, header: bytes) -> None:
        self.parts: list[Any] = [header]
        self.closed = False

    def write(self, data: Any) -> int:
        self.parts.append(data)
        return memoryview(data).nbytes

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True


def encode_array(
    array: np.ndarray, geometry: dict[str, Any] | None = None, *, pieces: bool = False
) -> Encoded:
    """Encode an ndarray (geometry None) or an image's array with its geometry.

    With `pieces`, an array of `PIECES_FROM` bytes or more is encoded as `Pieces` that share the
    array's memory (its bytes are hashed and written where they are); the bytes, and so the digest,
    are those of the joined encoding."""
    import numpy as np
    import pyarrow as pa

    if not isinstance(array, np.ndarray):
        raise EncodingError(f"cannot store a value of kind '{kind_of(array)}' as an array")
    arrow_type = _arrow_type_for(array.dtype)
    dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
    data = np.ascontiguousarray(array, dtype=dtype).reshape(-1)
    flat = data.view(_view_type(arrow_type)) if data.size else np.empty(0, _view_type(arrow_type))
    column = pa.Array.from_buffers(arrow_type, flat.size, [None, pa.py_buffer(flat)])
    meta = {"dtype": str(np.dtype(dtype).str), "shape": _json(list(array.shape)).decode()}
    kind = "ndarray"
    if geometry is not None:
        kind = "image"
        meta.update({k: _json(v).decode() for k, v in geometry.items()})
    batch = pa.RecordBatch.from_arrays(
        [column], schema=pa.schema([pa.field("data", arrow_type, False)], metadata=meta)
    )
    if pieces and data.nbytes >= PIECES_FROM:
        parts = _PiecesSink(_HEADERS[kind])
        with pa.ipc.new_stream(pa.PythonFile(parts, mode="w"), batch.schema) as writer:
            writer.write_batch(batch)
        joined = Pieces.of(parts.parts)
        return Encoded(kind, joined, digest_chunks(list(joined.parts)))
    sink = pa.BufferOutputStream()
    sink.write(_HEADERS[kind])
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    buf = sink.getvalue()
    return Encoded(kind, buf, digest_bytes(memoryview(buf)))


def _geometry(image: Image) -> dict[str, Any]:
    return {
        "spacing": [float(s) for s in image.spacing],
        "origin": [float(o) for o in image.origin],
        "direction": [float(d) for d in image.direction],
        "components": int(image.components),
    }


def _decode_array(kind: str, data: Any, header_len: int) -> Any:
    import numpy as np
    import pyarrow as pa

    buf = pa.py_buffer(data)
    reader = pa.ipc.open_stream(buf.slice(header_len))
    batch = reader.read_next_batch()
    meta = {k.decode(): v.decode() for k, v in (reader.schema.metadata or {}).items()}
    dtype = np.dtype(meta["dtype"])
    shape = tuple(int(n) for n in json.loads(meta["shape"]))
    column = batch.column(0)
    buffers = column.buffers()
    values = buffers[1]
    raw = np.frombuffer(values, dtype=np.uint8) if values is not None else np.empty(0, np.uint8)
    start = column.offset * column.type.bit_width // 8
    count = math.prod(shape)
    raw = raw[start : start + count * dtype.itemsize]
    array = raw.view(dtype).reshape(shape)
    if kind == "ndarray":
        return array
    return Image(
        array,
        tuple(float(x) for x in json.loads(meta["spacing"])),
        tuple(float(x) for x in json.loads(meta["origin"])),
        tuple(float(x) for x in json.loads(meta["direction"])),
        int(json.loads(meta["components"])),
    )


# -- entry points ---------------------------------------------------------------------------------


def encode(value: Any, put_item: Callable[[Any], Digest], *, pieces: bool = False) -> Encoded:
    """The encoding of a value; container items are stored first through `put_item`. With
    `pieces`, a large array's encoding may be `Pieces` (see `encode_array`)."""
    from voxcas.store.base import StoredSequence

    if type(value) is int:  # the most common value of all: no kind dispatch
        return encode_scalar(value)
    kind = kind_of(value)
    if kind in ("null", "bool", "int", "float", "str"):
        return encode_scalar(value)
    if kind == "bytes":
        return _finish("bytes", bytes(value))
    if kind == "image":
        return encode_array(value.array, _geometry(value), pieces=pieces)
    if kind == "ndarray":
        return encode_array(value, pieces=pieces)
    if isinstance(value, StoredSequence):
        return encode_sequence(value.digests)
    if type(value) is range:
        return encode_range(value)
    if kind == "sequence":
        return encode_sequence([put_item(item) for item in value])
    if kind == "mapping":
        items: dict[str, Digest] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise EncodingError(
                    f"cannot store a mapping with a key of kind '{kind_of(key)}': keys must be str"
                )
            items[key] = put_item(item)
        return encode_mapping(items)
    raise EncodingError(f"cannot store a value of kind '{kind}'")


def split_header(data: Any, digest: str = "") -> tuple[str, int]:
    """The kind named by an encoding's header and the header's length."""
    view = memoryview(data)
    head = bytes(view[:64])
    end = head.find(b"\n")
    if not head.startswith(MAGIC) or end < 0:
        raise CorruptObjectError(f"object {digest or '?'} is corrupt: no voxcas header")
    kind = head[len(MAGIC) : end].decode("ascii", "replace").strip()
    if kind not in KINDS:
        raise CorruptObjectError(f"object {digest or '?'} is corrupt: unknown kind '{kind}'")
    return kind, end + 1


def children_of(data: Any, digest: str = "") -> tuple[str, tuple[Digest, ...]]:
    """The kind of an encoding and the digests of its items (empty for non-containers)."""
    kind, header_len = split_header(data, digest)
    if kind not in CONTAINER_KINDS:
        return kind, ()
    try:
        parsed = json.loads(bytes(memoryview(data)[header_len:]).decode("utf-8"))
        if kind == "sequence":
            if not isinstance(parsed, list):
                raise ValueError("not a list")
            return kind, tuple(_check_digest(d) for d in parsed)
        if not isinstance(parsed, dict):
            raise ValueError("not an object")
        return kind, tuple(_check_digest(parsed[k]) for k in sorted(parsed))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptObjectError(f"object {digest or '?'} is corrupt: {exc}") from None


def decode(data: Any, digest: str, load_item: Callable[[Digest], Any], store: Any) -> Any:
    """The value of a verified encoding. Sequences come back as a lazy `StoredSequence` of `store`."""
    from voxcas.store.base import StoredSequence

    kind, header_len = split_header(data, digest)
    try:
        if kind == "scalar":
            return _decode_scalar(memoryview(data)[header_len:])
        if kind == "bytes":
            return bytes(memoryview(data)[header_len:])
        if kind == "sequence":
            return StoredSequence(store, children_of(data, digest)[1])
        if kind == "range":
            return _decode_range(memoryview(data)[header_len:])
        if kind == "mapping":
            parsed = json.loads(bytes(memoryview(data)[header_len:]).decode("utf-8"))
            return {k: load_item(_check_digest(parsed[k])) for k in sorted(parsed)}
        return _decode_array(kind, data, header_len)
    except CorruptObjectError:
        raise
    except Exception as exc:  # undecodable bytes under a matching digest: a codec bug or a foreign writer
        raise CorruptObjectError(
            f"object {digest} is corrupt: cannot decode its {kind} encoding ({exc})"
        ) from None


def verify(data: Any, digest: str) -> None:
    """Raise `CorruptObjectError` unless `data` hashes to `digest`."""
    actual = digest_bytes(memoryview(data))
    if actual != digest:
        raise CorruptObjectError(f"object {digest} is corrupt: its content hashes to {actual}")


# -- compression stage ----------------------------------------------------------------------------


def _probe_says_compressible(data: memoryview | Pieces) -> bool:
    import zstandard

    size = data.nbytes
    step = size // _PROBE_SAMPLES
    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_content_size=False)
    raw = packed = 0
    for i in range(_PROBE_SAMPLES):
        if isinstance(data, Pieces):
            sample: bytes | memoryview = data.slice(i * step, _PROBE_CHUNK)
        else:
            sample = data[i * step : i * step + _PROBE_CHUNK]
        raw += len(sample)
        packed += len(compressor.compress(sample))
    return packed <= raw * _LARGE_SAVING


COMPRESS_FROM = 128  # encodings shorter than this are stored as they are


def compress(data: Any) -> tuple[str, Any]:
    """(codec, stored bytes): zstd when it saves at least 10 %, else the encoding itself."""
    import zstandard

    view = data if isinstance(data, Pieces) else memoryview(data).cast("B")
    size = view.nbytes
    if size < COMPRESS_FROM:
        return CODEC_NONE, data
    if size > PROBE_THRESHOLD and not _probe_says_compressible(view):
        return CODEC_NONE, data
    threads = 2 if size > 4 * PROBE_THRESHOLD else 0
    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, threads=threads)
    if isinstance(view, Pieces):  # one frame over the parts, with the content size, like compress()
        packer = compressor.compressobj(size=size)
        packed = b"".join([*(packer.compress(part) for part in view.parts), packer.flush()])
    else:
        packed = compressor.compress(view)
    if len(packed) <= size * (_LARGE_SAVING if size > PROBE_THRESHOLD else _SAVING):
        return CODEC_ZSTD, packed
    return CODEC_NONE, data


def decompress(codec: str, stored: Any, size: int, digest: str) -> Any:
    """The uncompressed encoding of stored bytes (`size` is the expected length)."""
    if codec == CODEC_NONE:
        return stored
    if codec == CODEC_ZSTD:
        import zstandard

        try:
            out = zstandard.ZstdDecompressor().decompress(stored, max_output_size=size)
        except zstandard.ZstdError as exc:
            raise CorruptObjectError(f"object {digest} is corrupt: cannot decompress it ({exc})") from None
        return out
    raise CorruptObjectError(f"object {digest} is corrupt: unknown codec '{codec}'")
