"""A cluster of worker processes on loopback: how many bytes travel to the client, and how long.

The program is a loop over 20 real-size volumes (240×240×155 float32, 36 MB each, generated
here as .nii files): each item loads its volume, thresholds it and dilates the mask, and its
volume is printed; the loop runs as a bag of item tasks. It runs on fresh stores, in one
session: threads (the baseline wall time); a 2-worker cluster with a store whose large objects
live in SQLite (every value travels to the client); a 2-worker cluster with a blob directory
(workers persist, `voxcas.execute.worker_store`); and the same with 1 worker.

Bytes are distributed's own counters: `Worker.transfer_outgoing_bytes_total`, what the workers
served to the client and to each other (a bag item needs nothing from another worker, so it is
what reached the client). The result bytes are the uncompressed sizes of the objects the run
stored. Each cluster run has its own `LocalCluster(processes=True)`, so start-up is included in
none of the wall times (the cluster is up before the clock starts).

Last, the client's side of a large cluster: how many worker-encoded results per second its one
writer indexes (the figure docs/run.md's estimate for 100 workers stands beside).
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
VOLUMES = 20


def _program(work: Path) -> Path:
    import numpy as np

    from voxcas.output import write_value
    from voxcas.values import Image

    rng = np.random.default_rng(5)
    paths = []
    for i in range(VOLUMES):
        path = work / f"v{i:02d}.nii"
        write_value(Image.from_array(rng.standard_normal(SHAPE).astype(np.float32)), path)
        paths.append(f'"{path}"')
    program = work / "bench.imgql"
    program.write_text(
        'import "vox1"\n'
        f"cases = [{', '.join(paths)}]\n"
        'print "n" for p in cases do volume(N(load(p) >. 0.5))\n'
    )
    return program


def _sent(client: Any) -> int:
    counts = client.run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total)
    return int(sum(counts.values()))


def _run(program: Path, store_dir: Path, blobs: Path | None, scheduler: str) -> tuple[float, int, list[str]]:
    from voxcas.execute import RunOptions, run_file
    from voxcas.store.sqlite import SqliteStore

    with SqliteStore(store_dir, create=True, blobs=blobs) as store:
        t0 = time.perf_counter()
        summary = run_file(program, store, RunOptions(scheduler=scheduler, workers=2))
        seconds = time.perf_counter() - t0
        assert summary.status == "ok", summary.failures
        return seconds, sum(o.size for o in store.objects()), summary.outputs


def _on_cluster(
    workers: int, program: Path, store_dir: Path, blobs: Path | None
) -> tuple[float, int, list[str]]:
    """(wall time, bytes the workers sent, outputs) of one run on a fresh local cluster."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster.scheduler_address, set_as_default=False) as client,  # type: ignore[no-untyped-call]
    ):
        before = _sent(client)
        seconds, _, outputs = _run(program, store_dir, blobs, cluster.scheduler_address)
        return seconds, _sent(client) - before, outputs


INDEXED_SCALARS = 5_000
INDEXED_LARGE = 100


def _index_rate(work: Path, count: int, large: bool) -> float:
    """Results per second the client's writer indexes when workers encoded them (`PreEncoded`):
    `count` distinct scalars, or `count` distinct 1.1 MB arrays whose bytes are already in the
    blob directory (written before the clock starts, as workers would)."""
    import numpy as np

    from voxcas.execute.writer import Writer
    from voxcas.ids import RunId
    from voxcas.plan.identity import node_id
    from voxcas.plan.nodes import Const, PlanNode
    from voxcas.store.preencoded import pre_encode
    from voxcas.store.sqlite import SqliteStore

    name = "large" if large else "scalars"
    rng = np.random.default_rng(9)
    with SqliteStore(work / f"index-{name}", create=True, blobs=work / f"index-blobs-{name}") as store:
        pending = []
        for i in range(count):
            value: Any = rng.standard_normal(290_000).astype(np.float32) if large else i * 0.5
            definition = Const("int", i)
            pending.append((PlanNode(node_id(definition), definition), pre_encode(value, store.blobs)))
        writer = Writer(store, RunId("bench-index"))
        t0 = time.perf_counter()
        for node, encoded in pending:
            writer.put(node, encoded, 0.01)
        writer.flush()
        seconds = time.perf_counter() - t0
        writer.close()
    return count / seconds


def run(report: Report) -> None:
    work = Path(tempfile.mkdtemp(prefix="vox-bench-cluster-"))
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1]), old or ""])
    try:
        program = _program(work)
        threads, result_bytes, expected = _run(program, work / "threads", None, "threads")
        shutil.rmtree(work / "threads")
        shipped_time, shipped, out1 = _on_cluster(2, program, work / "shipped", None)
        shutil.rmtree(work / "shipped")
        persisted_time, persisted, out2 = _on_cluster(2, program, work / "persisted", work / "blobs2")
        shutil.rmtree(work / "persisted")
        shutil.rmtree(work / "blobs2")
        one_time, _, out3 = _on_cluster(1, program, work / "one", work / "blobs1")
        assert out1 == out2 == out3 == expected, "the schedulers disagree"
        scalar_rate = _index_rate(work, INDEXED_SCALARS, large=False)
        large_rate = _index_rate(work, INDEXED_LARGE, large=True)
        mb = 1e6
        report.section(
            f"cluster: a loop over {VOLUMES} volumes 240×240×155 float32, worker processes on loopback"
        )
        report.row(
            "bytes sent by 2 workers, blob directory (workers persist)",
            persisted / mb,
            "MB",
            baseline=result_bytes / mb,
            baseline_name="bytes of the results computed",
            target="<= 2 %",
            ok=persisted <= 0.02 * result_bytes,
        )
        report.row(
            "bytes sent by 2 workers, store.db only (values travel)",
            shipped / mb,
            "MB",
            baseline=result_bytes / mb,
            baseline_name="bytes of the results computed",
        )
        for measure, seconds in (
            ("wall time, 2 workers + blob directory", persisted_time),
            ("wall time, 2 workers, values travel", shipped_time),
        ):
            report.row(measure, seconds, "s", baseline=threads, baseline_name="threads")
        report.row(
            "wall time, 2 workers + blob directory",
            persisted_time,
            "s",
            baseline=one_time,
            baseline_name="1 worker + blob directory",
        )
        report.row(
            f"client writer: {INDEXED_LARGE} worker-written 1.1 MB results indexed",
            large_rate,
            "results/s",
            baseline=scalar_rate,
            baseline_name=f"{INDEXED_SCALARS:,} worker-encoded scalar results",
        )
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
        shutil.rmtree(work, ignore_errors=True)
