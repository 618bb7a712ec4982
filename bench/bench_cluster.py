"""A cluster of 2 worker processes on loopback: how many bytes travel to the client.

The program loads 4 real-size volumes (240×240×155 float32, 36 MB each) and computes two masks
of each, every value a large object. It runs three times on fresh stores, in one session:
threads (the baseline wall time), the cluster with a store whose large objects live in SQLite
(every value travels to the client), and the cluster with a blob directory (workers persist;
`voxcas.execute.worker_store`). Bytes sent by the workers are distributed's own counters
(`Worker.transfer_outgoing_bytes_total`: what the workers served to the client and to each other);
the result bytes are the uncompressed sizes of the objects the run stored.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import Report

SHAPE = (155, 240, 240)
VOLUMES = 4


def _program(work: Path) -> Path:
    import numpy as np

    from voxcas.output import write_value
    from voxcas.values import Image

    rng = np.random.default_rng(5)
    lines = ['import "vox1"']
    for i in range(VOLUMES):
        path = work / f"v{i}.nii"
        write_value(Image.from_array(rng.standard_normal(SHAPE).astype(np.float32)), path)
        lines += [f'v{i} = load("{path}")', f"m{i} = v{i} >. 0.5", f'print "n{i}" volume(N(m{i}))']
    program = work / "bench.imgql"
    program.write_text("\n".join(lines) + "\n")
    return program


def _sent(client: Any) -> int:
    counts = client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total)
    return int(sum(counts.values()))


def _run(program: Path, store_dir: Path, blobs: Path | None, scheduler: str) -> tuple[float, int]:
    from voxcas.execute import RunOptions, run_file
    from voxcas.store.sqlite import SqliteStore

    with SqliteStore(store_dir, create=True, blobs=blobs) as store:
        t0 = time.perf_counter()
        summary = run_file(program, store, RunOptions(scheduler=scheduler, workers=2))
        seconds = time.perf_counter() - t0
        assert summary.status == "ok", summary.failures
        return seconds, sum(o.size for o in store.objects())


def run(report: Report) -> None:
    from distributed import Client, LocalCluster

    work = Path(tempfile.mkdtemp(prefix="vox-bench-cluster-"))
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1]), old or ""])
    try:
        program = _program(work)
        threads, _ = _run(program, work / "threads", None, "threads")
        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster.scheduler_address, set_as_default=False) as client,  # type: ignore[no-untyped-call]
        ):
            address = cluster.scheduler_address
            before = _sent(client)
            shipped_time, result_bytes = _run(program, work / "shipped", None, address)
            shipped = _sent(client) - before
            before = _sent(client)
            persisted_time, _ = _run(program, work / "persisted", work / "blobs", address)
            persisted = _sent(client) - before
        mb = 1e6
        report.section(f"cluster: {VOLUMES} volumes 240×240×155 float32, 2 worker processes on loopback")
        report.row(
            "bytes sent by workers, blob directory (workers persist)",
            persisted / mb,
            "MB",
            baseline=result_bytes / mb,
            baseline_name="bytes of the results computed",
            target="<= 2 %",
            ok=persisted <= 0.02 * result_bytes,
        )
        report.row(
            "bytes sent by workers, store.db only (values travel)",
            shipped / mb,
            "MB",
            baseline=result_bytes / mb,
            baseline_name="bytes of the results computed",
        )
        report.row(
            "wall time, cluster + blob directory",
            persisted_time,
            "s",
            baseline=threads,
            baseline_name="threads",
        )
        report.row(
            "wall time, cluster, values travel", shipped_time, "s", baseline=threads, baseline_name="threads"
        )
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
        shutil.rmtree(work, ignore_errors=True)
