"""Threads, sync, processes and a dask.distributed cluster give identical outputs and node ids."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from voxcas.execute import RunOptions, run_file
from voxcas.store.memory import MemoryStore

REPO = Path(__file__).resolve().parents[2]
SLOWNS = REPO / "tests" / "cli" / "slowns"  # `slowtest.step(x, ms)`: x + 1 after ms milliseconds

PROGRAMS = {
    "numbers.imgql": """
n = length(range(0, 5))
xs = for i in range(0, 12) do (i * n) % 7 + length(range(0, i))
print "xs" xs
print "big" filter x in xs do x > 9
print "total" fold + xs
print "nested" for i in range(0, 3) do for j in range(0, 2) do i * 10 + j + n
""",
    "images.imgql": """
import "vox1"
img = load(concat($dir, "/img.nii.gz"))
m = img >. 100
print "vol" volume(m)
print "near" volume(N(m))
print "grown" volume(grow(m, img >. 50))
print "vols" for t in [50, 100, 200] do volume(img >. t)
print "img" img
""",
    "failing.imgql": """
n = length(range(0, 3))
bad = index([1, 2], n)
print "bad" bad + 1
print "items" for i in range(0, 4) do index([10, 20, 30], i)
print "ok" n * 2
""",
}


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import numpy as np

    from voxcas.output import write_value
    from voxcas.values import Image

    root = tmp_path_factory.mktemp("programs")
    array = np.zeros((6, 8, 9), dtype=np.float32)
    array[2:4, 3:6, 4:7] = 150
    array[0, 0, 0] = 90
    write_value(Image.from_array(array, spacing=(1.0, 1.0, 2.0)), root / "img.nii.gz")
    for name, text in PROGRAMS.items():
        (root / name).write_text(text)
    return root


@pytest.fixture(scope="module")
def cluster_address() -> Iterator[str]:
    from distributed import LocalCluster

    old = os.environ.get("PYTHONPATH")
    # workers import voxcas, and the slow test namespace (spawned workers start from our sys.path)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO), str(SLOWNS), old or ""])
    sys.path.insert(0, str(SLOWNS))
    try:
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            yield cluster.scheduler_address
    finally:
        sys.path.remove(str(SLOWNS))
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def run_with(scheduler: str, program: Path) -> tuple[str, list[str], list[str], dict[str, Any], int]:
    cwd = os.getcwd()
    os.chdir(program.parent)  # relative paths in programs resolve against the working directory
    try:
        store = MemoryStore()
        summary = run_file(program, store, RunOptions(scheduler=scheduler, workers=2))
        results = {r.node: r.digest for r in store.results()}
        failures = [f.message for f in summary.failures]
        return summary.status, summary.outputs, failures, results, summary.computed
    finally:
        os.chdir(cwd)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_every_scheduler_gives_the_same_outputs_and_the_same_stored_results(
    programs: Path, cluster_address: str, name: str
) -> None:
    reference = run_with("threads", programs / name)
    assert reference[0] == ("failed" if name == "failing.imgql" else "ok")
    assert reference[1] and reference[4] > 0
    for scheduler in ("sync", "processes", cluster_address):
        assert run_with(scheduler, programs / name) == reference, scheduler


def test_an_unreachable_cluster_is_a_usage_error(programs: Path) -> None:
    from voxcas.errors import UsageError

    with pytest.raises(UsageError) as info:
        run_with("tcp://127.0.0.1:9", programs / "numbers.imgql")
    assert str(info.value).startswith("cannot reach the dask scheduler at tcp://127.0.0.1:9: ")


@pytest.mark.slow
def test_cancelling_a_run_on_the_cluster_returns_without_waiting_for_running_tasks(
    cluster_address: str,
) -> None:
    import threading

    from voxcas.execute import run_workplan
    from voxcas.execute.progress import Progress
    from voxcas.lang import reduce_source
    from voxcas.primitives.registry import NAMESPACE_MODULES, Registry

    registry = Registry({**NAMESPACE_MODULES, "slowtest": "vox_slowtest_namespace"})
    text = (
        'import "slowtest"\nx = slowtest.step(0, 10)\n'
        'print "s" slowtest.step(x, 30000) + slowtest.step(x, 30001)\n'
    )
    options = RunOptions(scheduler=cluster_address, registry=registry)

    class CancelSoonAfterTheFirstResult(Progress):
        def posttask(self, node: Any, status: str, *_: Any) -> None:
            threading.Timer(0.5, options.cancel.set).start()  # both long steps are running by then

    plan = reduce_source(text, "p.imgql", registry=registry)
    summary = run_workplan(plan, MemoryStore(), options, CancelSoonAfterTheFirstResult())
    # had the run waited for the long steps, they would have been recorded as computed too
    assert (summary.status, summary.computed) == ("cancelled", 1), summary.failures


@pytest.mark.slow
def test_a_store_with_a_blob_directory_gets_the_same_results_on_the_cluster(
    tmp_path: Path, cluster_address: str
) -> None:
    import numpy as np

    from voxcas.output import write_value
    from voxcas.store.fsck import fsck
    from voxcas.store.sqlite import SqliteStore
    from voxcas.values import Image

    noise = np.random.default_rng(3).standard_normal((40, 80, 90)).astype(np.float32)  # 1.15 MB raw
    write_value(Image.from_array(noise), tmp_path / "noise.nii.gz")
    program = tmp_path / "big.imgql"
    program.write_text(
        'import "vox1"\nimg = load(concat($dir, "/noise.nii.gz"))\n'
        'print "sum" volume(img >. 0)\nprint "img" img\n'
    )
    found = {}
    for name, scheduler in (("threads", "threads"), ("cluster", cluster_address)):
        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            with SqliteStore(tmp_path / name, create=True, blobs=tmp_path / f"blobs-{name}") as store:
                summary = run_file(program, store, RunOptions(scheduler=scheduler, workers=2))
                results = {r.node: r.digest for r in store.results()}
                files = {d for d, _ in store.blobs.stored()}
                assert fsck(store).ok
        finally:
            os.chdir(cwd)
        assert summary.status == "ok", [f.message for f in summary.failures]
        found[name] = (summary.outputs, results, files)
    assert found["cluster"] == found["threads"]
    assert found["threads"][2]  # the image's bytes are files of the blob directory
    from distributed import Client

    with Client(cluster_address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        prefixes = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))
    assert "stored" in prefixes, prefixes  # the workers persisted the values (`stored-` tasks)


@pytest.mark.slow
def test_a_worker_killed_mid_run_is_replaced_and_the_run_gives_the_same_results(
    tmp_path: Path, cluster_address: str
) -> None:
    import signal
    import threading

    from distributed import Client, LocalCluster

    from voxcas.execute import run_workplan
    from voxcas.execute.progress import Progress
    from voxcas.lang import reduce_source
    from voxcas.primitives.registry import NAMESPACE_MODULES, Registry
    from voxcas.store.fsck import fsck
    from voxcas.store.sqlite import SqliteStore

    registry = Registry({**NAMESPACE_MODULES, "slowtest": "vox_slowtest_namespace"})
    text = (
        'import "slowtest"\na = slowtest.step(0, 1500)\nb = slowtest.step(10, 1500)\n'
        'print "c" slowtest.step(a, 200) + slowtest.step(b, 200)\n'
    )
    plan = reduce_source(text, "p.imgql", registry=registry)
    outcomes = {}
    # a cluster of its own (cluster_address set PYTHONPATH for its workers): one worker dies here
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster.scheduler_address, set_as_default=False) as client,  # type: ignore[no-untyped-call]
    ):
        pids = client.run(os.getpid)
        killed: list[int] = []

        def kill_a_busy_worker() -> None:  # SIGKILL the first worker seen running a slow step
            while not killed:
                for address, keys in client.processing().items():
                    if any("slowtest.step" in str(k) for k in keys):
                        killed.append(pids[address])
                        os.kill(pids[address], signal.SIGKILL)
                        return
                threading.Event().wait(0.05)

        for name, scheduler in (("threads", "threads"), ("cluster", cluster.scheduler_address)):
            if name == "cluster":
                threading.Thread(target=kill_a_busy_worker, daemon=True).start()
            with SqliteStore(tmp_path / name, create=True, blobs=tmp_path / f"blobs-{name}") as store:
                options = RunOptions(scheduler=scheduler, registry=registry)
                summary = run_workplan(plan, store, options, Progress())
                results = {r.node: r.digest for r in store.results()}
                assert fsck(store).ok
            outcomes[name] = (summary.status, summary.outputs, results)
        assert killed and killed[0] not in client.run(os.getpid).values()  # killed mid-run, replaced
    assert outcomes["cluster"] == outcomes["threads"]
    assert outcomes["threads"][0] == "ok"


class BlobTraffic:
    """Counts the blob bytes this process (the client) reads and writes itself; the workers are
    other processes, so what they read and write is not counted."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from voxcas.store.blobs_dir import DirectoryBlobs

        self.reads: list[str] = []
        self.puts: list[str] = []
        self.counting = False  # only while a run runs (fsck after it reads every object)
        read, put = DirectoryBlobs.read, DirectoryBlobs.put

        def counted_read(tier: DirectoryBlobs, digest: Any, size: int, hasher: Any = None) -> bytearray:
            if self.counting:
                self.reads.append(digest)
            return read(tier, digest, size, hasher)

        def counted_put(tier: DirectoryBlobs, digest: Any, stored: Any) -> None:
            if self.counting:
                self.puts.append(digest)
            put(tier, digest, stored)

        monkeypatch.setattr(DirectoryBlobs, "read", counted_read)
        monkeypatch.setattr(DirectoryBlobs, "put", counted_put)


def _noise_volumes(root: Path, count: int) -> list[Path]:
    import numpy as np

    from voxcas.output import write_value
    from voxcas.values import Image

    rng = np.random.default_rng(11)
    paths = []
    for i in range(count):  # 1.15 MB raw each: every image value is a large object (a blob)
        path = root / f"noise{i}.nii.gz"
        write_value(Image.from_array(rng.standard_normal((40, 80, 90)).astype(np.float32)), path)
        paths.append(path)
    return paths


def _run_on(
    root: Path,
    name: str,
    program: Path,
    scheduler: str,
    blobs: bool = True,
    traffic: BlobTraffic | None = None,
) -> tuple[str, list[str], dict[Any, Any], list[str], int]:
    from voxcas.store.fsck import fsck
    from voxcas.store.sqlite import SqliteStore

    cwd = os.getcwd()
    os.chdir(root)
    try:
        with SqliteStore(root / name, create=True, blobs=root / f"blobs-{name}" if blobs else None) as store:
            if traffic is not None:
                traffic.counting = True
            summary = run_file(program, store, RunOptions(scheduler=scheduler, workers=2))
            if traffic is not None:
                traffic.counting = False
            results = {r.node: r.digest for r in store.results()}
            report = fsck(store)
            assert report.ok, report
    finally:
        os.chdir(cwd)
    return summary.status, summary.outputs, results, summary.warnings, summary.computed


@pytest.mark.slow
def test_on_a_shared_tier_the_client_never_reads_or_writes_blob_bytes_and_results_match(
    tmp_path: Path, cluster_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _noise_volumes(tmp_path, 1)
    first, second = tmp_path / "first.imgql", tmp_path / "second.imgql"
    head = 'import "vox1"\nimg = load(concat($dir, "/noise0.nii.gz"))\nm = img >. 0\n'
    first.write_text(head + 'print "n" volume(m)\n')
    # the second program needs the stored image and mask (stored inputs of a new stage)
    second.write_text(head + 'print "g" volume(grow(m, img >. -1))\nprint "k" volume(N(m))\n')
    found = {}
    for name, scheduler in (("threads", "threads"), ("cluster", cluster_address)):
        traffic = BlobTraffic(monkeypatch) if name == "cluster" else None
        found[name] = [
            _run_on(tmp_path, name, program, scheduler, traffic=traffic)[:3] for program in (first, second)
        ]
        if traffic is not None:
            assert traffic.reads == [] and traffic.puts == []  # the workers did both
            monkeypatch.undo()
    assert found["cluster"] == found["threads"]
    assert all(status == "ok" for status, _, _ in found["threads"])
    from distributed import Client

    with Client(cluster_address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        prefixes = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))
    assert "loaded-load" in prefixes, prefixes  # stored inputs were read on the workers


@pytest.mark.slow
def test_a_loop_on_a_shared_tier_keeps_its_items_values_on_the_workers(
    tmp_path: Path, cluster_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _noise_volumes(tmp_path, 4)  # two items per worker: the loop runs as a bag of items
    listed = ", ".join(f'"{p}"' for p in paths)
    program = tmp_path / "loop.imgql"
    program.write_text(  # a loop over paths, then one over the images the first one stored
        f'import "vox1"\nprint "vols" for p in [{listed}] do volume(N(load(p) >. 0.5))\n'
        f"imgs = for p in [{listed}] do load(p)\n"
        'print "again" for img in imgs do volume(img >. 0.5)\n'
        f'ref = load("{paths[0]}")\n'  # an image every item needs: computed once, read by each item
        f'print "shared" for p in [{listed}] do volume(load(p) >. 0 & (ref >. 1))\n'
    )
    from distributed import Client

    def sent(client: Any) -> list[str]:  # what workers sent to a client, from their own logs
        logs = client.run(
            lambda dask_worker: [
                str(key)
                for e in dask_worker.transfer_outgoing_log
                if e.get("who") is None  # None: a client, not another worker
                for key in e["keys"]
            ]
        )
        return [key for keys in logs.values() for key in keys]

    found = {}
    with Client(cluster_address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        for name, scheduler in (("threads", "threads"), ("cluster", cluster_address)):
            traffic = BlobTraffic(monkeypatch) if name == "cluster" else None
            client.run(lambda dask_worker: dask_worker.transfer_outgoing_log.clear())
            found[name] = _run_on(tmp_path, name, program, scheduler, traffic=traffic)[:3]
            travelled = sent(client)
            files = {f.name for f in (tmp_path / f"blobs-{name}").rglob("*") if f.is_file()}
            if traffic is not None:
                assert traffic.puts == [] and traffic.reads == []  # each item's images stayed on its worker
                monkeypatch.undo()
                # the client fetched only rows to index (of items, of persisted nodes, of loads) and
                # the outcomes of fused scalar chunks, never a node's value
                rows = ("item-", "stored-", "loaded-", "fused-")
                assert travelled and all(k.startswith(rows) for k in travelled), travelled
            found[name] += (files,)
    assert found["cluster"] == found["threads"]
    assert len(found["threads"][3] - {"VOXCAS-BLOBS"}) == len(paths)  # each item's image is a blob


@pytest.mark.slow
def test_a_blob_that_fails_verification_on_a_worker_is_recomputed_and_replaced(
    tmp_path: Path, cluster_address: str
) -> None:
    from voxcas.store.sqlite import SqliteStore

    _noise_volumes(tmp_path, 1)
    first, second = tmp_path / "first.imgql", tmp_path / "second.imgql"
    head = 'import "vox1"\nimg = load(concat($dir, "/noise0.nii.gz"))\nm = img >. 0\n'
    first.write_text(head + 'print "n" volume(m)\n')
    second.write_text(head + 'print "g" volume(grow(m, img >. -1))\n')
    _run_on(tmp_path, "threads", first, "threads")
    _, expected, _, _, undamaged = _run_on(tmp_path, "threads", second, "threads")
    _run_on(tmp_path, "cluster", first, cluster_address)
    with SqliteStore(tmp_path / "cluster") as store:
        files = sorted(p for p in (tmp_path / "blobs-cluster").rglob("*") if len(p.name) == 62)
        assert files
        for path in files:  # damage every large object, keeping its length
            data = bytearray(path.read_bytes())
            data[len(data) // 2] ^= 0xFF
            path.write_bytes(bytes(data))
    status, outputs, _, _, computed = _run_on(tmp_path, "cluster", second, cluster_address)
    assert (status, outputs) == ("ok", expected)
    assert computed == undamaged + 1  # the damaged image was loaded again, not used
    with SqliteStore(tmp_path / "cluster") as store:  # and the store holds them whole again
        for path in files:
            digest: Any = "sha256:" + path.parent.name + path.name
            store.get(digest)


@pytest.mark.slow
def test_without_a_shared_tier_a_cluster_run_says_once_that_results_travel(
    tmp_path: Path, cluster_address: str
) -> None:
    from voxcas.execute.placement import NO_SHARED_TIER

    _noise_volumes(tmp_path, 1)
    program = tmp_path / "p.imgql"
    program.write_text(
        'import "vox1"\nimg = load(concat($dir, "/noise0.nii.gz"))\n'
        'print "n" volume(img >. 0)\nprint "k" volume(N(img >. 0))\n'
    )
    status, _, _, warnings, _ = _run_on(tmp_path, "inline", program, cluster_address, blobs=False)
    assert status == "ok" and warnings == [NO_SHARED_TIER]
    *_, again, computed = _run_on(tmp_path, "inline", program, cluster_address, blobs=False)
    assert (again, computed) == ([], 0)  # answered from the store: nothing travels, nothing said
    _, _, _, shared, _ = _run_on(tmp_path, "shared", program, cluster_address)
    assert shared == []


def test_cancel_is_seen_while_dask_orders_a_graph_and_nothing_runs_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    import dask.local

    from voxcas.errors import RunCancelled
    from voxcas.execute.schedulers import Scheduler

    ordering, release, ordered = threading.Event(), threading.Event(), threading.Event()
    real_order = dask.local.order

    def slow_order(dsk: Any, *args: Any, **kwargs: Any) -> Any:  # a graph that takes long to order
        ordering.set()
        release.wait(60)
        ordered.set()
        return real_order(dsk, *args, **kwargs)

    monkeypatch.setattr(dask.local, "order", slow_order)
    ran: list[Any] = []
    cancel = threading.Event()
    scheduler = Scheduler("threads", 2)
    threading.Thread(target=lambda: (ordering.wait(60), cancel.set()), daemon=True).start()
    try:
        with pytest.raises(RunCancelled):
            scheduler.run({"a": (ran.append, 1)}, ["a"], lambda k: None, lambda k, r: None, cancel=cancel)
        assert not ordered.is_set()  # the caller returned while Dask was still ordering
    finally:
        release.set()
        for thread in threading.enumerate():
            if thread.name == "voxcas-graph":
                thread.join(60)
        scheduler.close()
    assert ran == []  # once ordered, the graph found every submission refused


@pytest.mark.slow
def test_two_clients_sharing_one_store_and_blob_tier_on_a_cluster_never_corrupt_each_other(
    tmp_path: Path, cluster_address: str
) -> None:
    import subprocess

    from voxcas.store.fsck import fsck
    from voxcas.store.sqlite import SqliteStore

    _noise_volumes(tmp_path, 2)
    programs = []
    for i, extra in enumerate(("volume(N(m))", "volume(grow(m, img >. -1))")):
        program = tmp_path / f"client{i}.imgql"
        program.write_text(  # the same image and mask in both: both write the same blobs
            'import "vox1"\nimg = load(concat($dir, "/noise0.nii.gz"))\nm = img >. 0\n'
            f'other = load(concat($dir, "/noise1.nii.gz")) >. {i}\n'
            f'print "a" {extra}\nprint "b" volume(other)\n'
        )
        programs.append(program)
    alone = [_run_on(tmp_path, f"threads{i}", p, "threads") for i, p in enumerate(programs)]
    expected = [run[1] for run in alone]
    SqliteStore(tmp_path / "shared", create=True, blobs=tmp_path / "blobs-shared").close()
    env = {k: v for k, v in os.environ.items() if k != "VOX_STORE"}
    clients = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "voxcas.cli.app", "run", str(p), "--store", str(tmp_path / "shared")),
                *("--scheduler", cluster_address, "--quiet", "--no-progress"),
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in programs
    ]  # both at once
    outputs = [c.communicate(timeout=300) for c in clients]
    assert [c.returncode for c in clients] == [0, 0], [err for _, err in outputs]
    assert [out.splitlines() for out, _ in outputs] == expected
    with SqliteStore(tmp_path / "shared") as store:
        assert fsck(store).ok  # every object whole, every row's blob present
        found = {r.digest for r in store.results()}
    # the values both clients stored are the ones each computes alone (digests name content)
    assert found == {d for run in alone for d in run[2].values()}
