"""Store throughput: put / verified get of a 240×240×155 float32 volume (smoothed noise, pure
noise, and the real T1 when present), a uint8 mask, and 10,000 small scalar results.

Every figure stands beside floors measured in the same run on the same bytes:
- `sha256+zstd`: hashing the bytes and compressing them with zstd level 1 (what any
  content-addressed, compressed store must at least do on put; the store skips compression when
  a probe says it will not pay, so it can beat this floor);
- `file write` / `file read+sha256`: writing the raw bytes to a file (no fsync) / reading them back
  and hashing them (the least a verified read from disk costs).
Puts go to a fresh store on local disk; each repetition stores a distinct array (one voxel differs)
because putting an existing object is a no-op.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import Report, best_of

SHAPE = (155, 240, 240)  # numpy order of a 240×240×155 volume
PUT_TARGET = 400.0  # MB/s
GET_TARGET = 600.0  # MB/s
SCALARS = 10_000
SCALAR_TARGET = 0.5  # seconds
REPEAT = 5
T1 = Path("/work/shared/data/chris_t1.nii.gz")


def _volumes() -> list[tuple[str, Any]]:
    import numpy as np
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(42)
    noise = rng.standard_normal(SHAPE).astype(np.float32)
    smooth = gaussian_filter(noise, 2.0) * 300.0 + 500.0  # MRI-like: smooth intensities, noisy mantissas
    mask = (gaussian_filter(noise, 4.0) > 0.02).astype(np.uint8)
    out = [
        ("float32 volume, smoothed noise", smooth.astype(np.float32)),
        ("float32 volume, pure noise", noise),
        ("uint8 mask", mask),
    ]
    if T1.exists():
        import SimpleITK as sitk

        t1 = sitk.GetArrayFromImage(sitk.ReadImage(str(T1)))
        out.append((f"real T1 MRI {'x'.join(map(str, t1.shape[::-1]))} {t1.dtype}", t1))
    return out


def _mbps(nbytes: int, seconds: float) -> float:
    return nbytes / seconds / 1e6


def _floor_put(data: bytes) -> float:
    import zstandard

    compressor = zstandard.ZstdCompressor(level=1)
    return best_of(lambda: (hashlib.sha256(data).digest(), compressor.compress(data)), REPEAT)


def _floor_file_write(data: bytes, path: Path) -> float:
    def write() -> None:
        with path.open("wb") as f:
            f.write(data)

    return best_of(write, REPEAT)


def _floor_file_read(path: Path) -> float:
    return best_of(lambda: hashlib.sha256(path.read_bytes()).digest(), REPEAT)


def _bench_array(report: Report, name: str, array: Any, work: Path) -> None:
    from voxcas.store.sqlite import SqliteStore

    nbytes = array.nbytes
    data = array.tobytes()
    report.section(f"store: {name} ({nbytes / 1e6:.1f} MB)")
    store = SqliteStore(work / f"store-{abs(hash(name))}", create=True)
    variants = []
    for i in range(REPEAT + 1):
        v = array.copy()
        v.flat[0] = i + 1  # a distinct object per repetition
        variants.append(v)
    store.put(variants.pop())  # warm up: imports, first allocation of pages
    put_times = []
    digests = []
    for v in variants:
        t0 = time.perf_counter()
        digests.append(store.put(v))
        put_times.append(time.perf_counter() - t0)
    get_time = best_of(lambda: [store.get(d) for d in digests[:1]], REPEAT)
    stored, size, how = store.query(
        "SELECT stored_size, size, codec FROM objects WHERE digest=?", (digests[0],)
    )[0]
    store.close()
    file = work / "floor.bin"
    floor_put = _floor_put(data)
    floor_write = _floor_file_write(data, file)
    floor_read = _floor_file_read(file)
    put_best, put_mean = min(put_times), sum(put_times) / len(put_times)
    big = nbytes > 10e6
    report.row(
        "put (best)",
        _mbps(nbytes, put_best),
        "MB/s",
        baseline=_mbps(nbytes, floor_put),
        baseline_name="sha256+zstd",
        target=f">= {PUT_TARGET:.0f} MB/s" if big else "",
        ok=_mbps(nbytes, put_best) >= PUT_TARGET if big else None,
    )
    report.row(
        "put (mean of 5, background checkpoints included)",
        _mbps(nbytes, put_mean),
        "MB/s",
        baseline=_mbps(nbytes, floor_write),
        baseline_name="file write",
    )
    report.row(
        "verified get",
        _mbps(nbytes, get_time),
        "MB/s",
        baseline=_mbps(nbytes, floor_read),
        baseline_name="file read+sha256",
        target=f">= {GET_TARGET:.0f} MB/s" if big else "",
        ok=_mbps(nbytes, get_time) >= GET_TARGET if big else None,
    )
    report.note(f"stored as {how}: {stored / size:.3f} of {size / 1e6:.1f} MB encoding")


def _bench_scalars(report: Report, work: Path) -> None:
    import apsw

    from voxcas.plan.identity import node_id
    from voxcas.plan.nodes import Const, PlanNode
    from voxcas.store.base import PendingResult
    from voxcas.store.sqlite import SqliteStore

    report.section(f"store: {SCALARS:,} small scalar results")
    rounds = []
    for r in range(3):
        store = SqliteStore(work / f"scalars-{r}", create=True)
        pending = []
        for i in range(SCALARS):
            definition = Const("int", r * SCALARS + i)
            pending.append(PendingResult(PlanNode(node_id(definition), definition), i * 0.5, 0.01))
        t0 = time.perf_counter()
        store.put_results(pending)
        rounds.append(time.perf_counter() - t0)
        store.close()

    def plain() -> None:  # the floor: the same number of rows into plain SQLite tables, one transaction
        path = work / "plain.db"
        path.unlink(missing_ok=True)
        conn = apsw.Connection(str(path))
        conn.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE o(d TEXT PRIMARY KEY, v BLOB); CREATE TABLE r(n TEXT PRIMARY KEY, d TEXT)")
        with conn:
            conn.executemany(
                "INSERT INTO o VALUES(?,?)",
                ((hashlib.sha256(str(i).encode()).hexdigest(), str(i)) for i in range(SCALARS)),
            )
            conn.executemany(
                "INSERT INTO r VALUES(?,?)",
                ((hashlib.sha256(b"n" + str(i).encode()).hexdigest(), str(i)) for i in range(SCALARS)),
            )
        conn.close()

    floor = best_of(plain, 3)
    report.row(
        "put_results, one batch",
        min(rounds),
        "s",
        baseline=floor,
        baseline_name="plain SQLite rows",
        target=f"<= {SCALAR_TARGET} s",
        ok=min(rounds) <= SCALAR_TARGET,
    )
    store = SqliteStore(work / "scalars-single", create=True)
    t0 = time.perf_counter()
    for i in range(1000):
        definition = Const("int", -i - 1)
        store.put_result(PlanNode(node_id(definition), definition), i)
    single = (time.perf_counter() - t0) / 1000
    store.close()
    report.row("put_result, one transaction each", single * 1e3, "ms/result")


LOOP_ITEMS = 200_000


def _bench_wal(report: Report, work: Path) -> None:
    """The WAL's peak size while `vox run` stores a 200,000-item loop, beside the documented bound.

    The peak is polled from another thread (`os.stat` every millisecond); the frames written in all
    are counted in the WAL hook: without checkpoints the WAL would hold them all.
    """
    import os
    import threading

    from voxcas.execute import RunOptions, run_file
    from voxcas.store import sqlite_conn
    from voxcas.store.sqlite import SqliteStore

    report.section(f"store: WAL size during a {LOOP_ITEMS:,}-item loop")
    program = work / "loop.imgql"
    program.write_text(
        f'b = length(range(0, 1))\nprint "n" length(for i in range(0, {LOOP_ITEMS}) do i + b)\n'
    )
    frames = [0, 0, 0]  # total written, last count, largest transaction
    hook = sqlite_conn.Checkpointer.hook

    def counting(self: Any, conn: Any, dbname: str, pages: int) -> int:
        # a transaction's frames: the growth since the last commit, or all of them after a restart
        # (a restart followed by a larger count is missed: this undercounts, the bound gets tighter)
        added = pages - frames[1] if pages >= frames[1] else pages
        frames[0] += added
        frames[2] = max(frames[2], added)
        frames[1] = pages
        return hook(self, conn, dbname, pages)

    wal = work / "loop" / "store.db-wal"
    peak = [0]
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            with contextlib.suppress(FileNotFoundError):
                peak[0] = max(peak[0], os.stat(wal).st_size)
            done.wait(0.001)

    watcher = threading.Thread(target=poll, daemon=True)
    sqlite_conn.Checkpointer.hook = counting  # type: ignore[method-assign]
    store = SqliteStore(work / "loop", create=True)
    watcher.start()
    try:
        t0 = time.perf_counter()
        summary = run_file(program, store, RunOptions(program=str(program)))
        seconds = time.perf_counter() - t0
    finally:
        done.set()
        watcher.join()
        store.close()
        sqlite_conn.Checkpointer.hook = hook  # type: ignore[method-assign]
    largest = frames[2] * sqlite_conn.PAGE_SIZE
    bound = sqlite_conn.WAL_LIMIT + largest
    mib = 1 << 20
    report.row(
        "WAL peak",
        peak[0] / mib,
        "MiB",
        baseline=bound / mib,
        baseline_name="documented bound: WAL_LIMIT + largest transaction",
        target=f"<= {bound / mib:.0f} MiB",
        ok=peak[0] <= bound,
    )
    report.row(
        "WAL frames written in all (the WAL without checkpoints)",
        frames[0] * sqlite_conn.PAGE_SIZE / mib,
        "MiB",
    )
    report.row("largest single transaction (the loop's sequence and its item rows)", largest / mib, "MiB")
    report.note(f"{summary.computed:,} nodes computed in {seconds:.1f} s; status {summary.status}")


def run(report: Report) -> None:
    work = Path(tempfile.mkdtemp(prefix="vox-bench-store-"))  # local disk, removed afterwards
    try:
        _bench_wal(report, work)
        for name, array in _volumes():
            _bench_array(report, name, array, work)
        _bench_scalars(report, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
