"""HTTP API and push/pull: what the network layer costs over the library calls it wraps.

Every figure is measured against a real uvicorn server on 127.0.0.1 (started here, stopped at the
end) and stands beside the same operation done directly on the store in the same run:

- object reads: a 240×240×155 float32 volume over `GET /objects/{digest}` vs `store.get_encoded`;
- small requests: `GET /objects/{d}?format=json` of a scalar vs `store.get` + `json.dumps`;
- push: a run of 500 small results and a volume to an empty peer vs `export_bundle` + `import_bundle`
  between two local stores; then the same push again (the peer has everything) and a push after one
  new result: bytes on the wire vs the full bundle;
- runs: `POST /runs` of a program over the synthetic dataset until it is finished vs
  `run_workplan` of the same plan on a fresh store.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.report import Report, best_of

DATA = Path("/work/shared/data")
MB = 1e6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serving(settings: Any) -> Iterator[str]:
    import uvicorn

    from voxcas.server.app import create_app

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def _volume() -> Any:
    import numpy as np
    from scipy import ndimage

    from voxcas.values import Image

    rng = np.random.default_rng(0)
    noise = rng.normal(size=(155, 240, 240)).astype(np.float32)
    return Image.from_array(ndimage.uniform_filter(noise, 3) * 100)


def _run_with(store: Any, values: list[Any]) -> str:
    from voxcas.plan.identity import node_id
    from voxcas.plan.nodes import Apply, Const, PlanNode
    from voxcas.store.base import PendingResult

    run = store.start_run("bench.imgql", None, [])
    pending = []
    for i, value in enumerate(values):
        arg = Const("int", i)
        definition = Apply("bench.value", "1", (node_id(arg),))
        store.put_nodes([PlanNode(node_id(arg), arg)])
        pending.append(PendingResult(PlanNode(node_id(definition), definition), value, run=run))
    store.put_results(pending)
    store.note_run_nodes(run, [(p.node.id, "computed") for p in pending])  # results bound to older runs too
    store.finish_run(run, "ok", computed=len(values), reused=0, failed=0)
    return str(run)


def run(report: Report) -> None:
    import httpx

    from voxcas.remote import push
    from voxcas.server.settings import ServerSettings
    from voxcas.store.bundle import export_bundle, import_bundle
    from voxcas.store.sqlite import SqliteStore

    tmp = Path(tempfile.mkdtemp(prefix="vox-bench-server-"))
    try:
        report.section("HTTP API over uvicorn on 127.0.0.1 (vs the same store call in-process)")
        store = SqliteStore(tmp / "served", create=True)
        volume = store.put(_volume())
        scalar = store.put(42.5)
        size = len(store.get_encoded(volume))
        with _serving(ServerSettings(store_path=tmp / "served")) as url, httpx.Client(base_url=url) as http:
            direct = best_of(lambda: store.get_encoded(volume), 3)
            over_http = best_of(lambda: http.get(f"/objects/{volume}").content, 3)
            report.row(
                "GET /objects (35.7 MB volume)",
                size / over_http / MB,
                "MB/s",
                baseline=size / direct / MB,
                baseline_name="store.get_encoded",
            )
            n = 300
            t_health = best_of(lambda: [http.get("/health") for _ in range(n)], 3)
            t_http = best_of(lambda: [http.get(f"/objects/{scalar}?format=json") for _ in range(n)], 3)
            report.row(
                "GET /objects?format=json (scalar)",
                n / t_http,
                "req/s",
                baseline=n / t_health,
                baseline_name="GET /health (framework floor)",
            )
            report.note("one client, sequential requests; the server shares one SQLite connection")
        store.close()

        report.section("push to a peer (vs export + import between two local stores)")
        local = SqliteStore(tmp / "local", create=True)
        values: list[Any] = [float(i) * 1.5 for i in range(500)] + [_volume()]
        run_id = _run_with(local, values)
        SqliteStore(tmp / "peer", create=True).close()
        with _serving(ServerSettings(store_path=tmp / "peer")) as url:
            t0 = time.perf_counter()
            first = push(local, url, [run_id])
            t_push = time.perf_counter() - t0
            t0 = time.perf_counter()
            export_bundle(local, [run_id], tmp / "full.voxb")
            copy = SqliteStore(tmp / "copy", create=True)
            import_bundle(copy, tmp / "full.voxb")
            copy.close()
            t_local = time.perf_counter() - t0
            report.row(
                f"push {first.objects_sent} objects, {first.bundle_bytes / MB:.1f} MB, to an empty peer",
                t_push,
                "s",
                baseline=t_local,
                baseline_name="export_bundle + import_bundle locally",
            )
            t0 = time.perf_counter()
            again = push(local, url, [run_id])
            t_again = time.perf_counter() - t0
            full = (tmp / "full.voxb").stat().st_size
            report.row(
                f"push again (peer has all {again.objects_total} objects): bytes sent",
                again.bundle_bytes / MB,
                "MB",
                baseline=full / MB,
                baseline_name="full bundle",
            )
            report.row("push again: time", t_again, "s", baseline=t_push, baseline_name="first push")
            one_more = _run_with(local, [*values, "one new result"])
            t0 = time.perf_counter()
            delta = push(local, url, [one_more])
            t_delta = time.perf_counter() - t0
            report.row(
                f"push a run with 1 new object of {delta.objects_total}: bytes sent",
                delta.bundle_bytes / MB,
                "MB",
                baseline=full / MB,
                baseline_name="full bundle",
            )
            report.row(
                "push a run with 1 new object: time",
                t_delta,
                "s",
                baseline=t_push,
                baseline_name="first push",
            )
        local.close()

        _bench_runs(report, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _bench_runs(report: Report, tmp: Path) -> None:
    import httpx

    from voxcas.execute import RunOptions, run_workplan
    from voxcas.lang import reduce_source
    from voxcas.server.settings import ServerSettings
    from voxcas.store.sqlite import SqliteStore

    images = DATA / "synthetic" / "images"
    if not images.is_dir():
        report.section("runs over HTTP")
        report.note(f"skipped: {images} not found")
        return
    program = (
        'import "vox1"\n'
        f'imgs = dir("{images}", "*.nii.gz")\n'
        "vols = for f in imgs do volume(load(f) >. 128)\n"
        'print "vols" vols\n'
    )
    report.section("runs over HTTP (vs run_workplan in-process), synthetic dataset of 20 volumes")
    with SqliteStore(tmp / "warm-up", create=True) as scratch:  # imports and page cache, for both sides
        run_workplan(reduce_source(program, "program.imgql"), scratch, RunOptions(program="program.imgql"))
    SqliteStore(tmp / "runs-http", create=True).close()
    settings = ServerSettings(store_path=tmp / "runs-http", data_roots=(images,))
    with _serving(settings) as url, httpx.Client(base_url=url) as http:
        t0 = time.perf_counter()
        run_id = http.post("/runs", json={"program": program}).json()["id"]
        while http.get(f"/runs/{run_id}").json()["status"] in ("queued", "running"):
            time.sleep(0.01)
        t_http = time.perf_counter() - t0
        t0 = time.perf_counter()
        rerun = http.post("/runs", json={"program": program}).json()["id"]
        while http.get(f"/runs/{rerun}").json()["status"] in ("queued", "running"):
            time.sleep(0.01)
        t_http_cached = time.perf_counter() - t0
    with SqliteStore(tmp / "runs-direct", create=True) as store:
        t0 = time.perf_counter()
        run_workplan(reduce_source(program, "program.imgql"), store, RunOptions(program="program.imgql"))
        t_direct = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_workplan(reduce_source(program, "program.imgql"), store, RunOptions(program="program.imgql"))
        t_direct_cached = time.perf_counter() - t0
    report.row(
        "POST /runs → finished (first run)", t_http, "s", baseline=t_direct, baseline_name="run_workplan"
    )
    report.row(
        "POST /runs → finished (all cached)",
        t_http_cached,
        "s",
        baseline=t_direct_cached,
        baseline_name="run_workplan",
    )
    report.note("HTTP times include reduction, the read guard, queueing and 10 ms polling")
