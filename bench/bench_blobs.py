"""Blob tiers: put and verified get of a 240×240×155 float32 volume with the bytes inside
store.db (the SQLite tier, today's default) against a blob directory (one fsynced file per object),
on the same bytes in the same run, plus the loose-file floor (write + fsync + rename).

The figure decides the default tier of a local store (docs/store.md, "Where large objects live").
Each repetition stores a distinct array (one voxel differs): putting an existing object is a no-op.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import Report, best_of

SHAPE = (155, 240, 240)
REPEAT = 5


def _volume() -> Any:
    import numpy as np

    return np.random.default_rng(11).standard_normal(SHAPE).astype(np.float32)  # stored raw


def _tier(work: Path, name: str, array: Any) -> tuple[float, float]:
    """Best put and best verified get (seconds) of `array` in a fresh store of tier `name`."""
    from voxcas.store.sqlite import SqliteStore

    blobs = work / f"blobs-{name}" if name == "directory" else None
    store = SqliteStore(work / f"store-{name}", create=True, blobs=blobs, inline=blobs is None)
    variants = []
    for i in range(REPEAT + 1):
        v = array.copy()
        v.flat[0] = i + 1
        variants.append(v)
    store.put(variants.pop())  # warm up
    puts, digests = [], []
    for v in variants:
        t0 = time.perf_counter()
        digests.append(store.put(v))
        puts.append(time.perf_counter() - t0)
    get = best_of(lambda: store.get(digests[0]), REPEAT)
    store.close()
    return min(puts), get


def _loose_file(work: Path, data: bytes) -> float:
    def write() -> None:
        tmp, final = work / "loose.tmp", work / "loose.bin"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.replace(tmp, final)

    return best_of(write, REPEAT)


def run(report: Report) -> None:
    work = Path(tempfile.mkdtemp(prefix="vox-bench-blobs-"))
    try:
        array = _volume()
        mb = array.nbytes / 1e6
        inline_put, inline_get = _tier(work, "inline", array)
        dir_put, dir_get = _tier(work, "directory", array)
        loose = _loose_file(work, array.tobytes())
        report.section(f"blob tiers: float32 volume {mb:.1f} MB, stored raw")
        report.row(
            "put, blob directory",
            mb / dir_put,
            "MB/s",
            baseline=mb / inline_put,
            baseline_name="put, in store.db",
        )
        report.row(
            "verified get, blob directory",
            mb / dir_get,
            "MB/s",
            baseline=mb / inline_get,
            baseline_name="get, in store.db",
        )
        report.row(
            "put, blob directory",
            mb / dir_put,
            "MB/s",
            baseline=mb / loose,
            baseline_name="loose file write+fsync",
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
