"""Fault tests: writers killed with SIGKILL at random points, several writers at once.

The child (`store_fault_writer.py`) prints each node id right after its transaction commits, so
every id the parent reads was committed before the kill and must survive it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from store_fault_writer import node_for, value_for
from store_helpers import same_value

from voxcas.store.fsck import fsck
from voxcas.store.sqlite import SqliteStore

WRITER = Path(__file__).with_name("store_fault_writer.py")


def start_writer(store: Path, seed: int, count: int | None = None) -> tuple[subprocess.Popen[str], list[str]]:
    args = [sys.executable, str(WRITER), str(store), str(seed)] + ([str(count)] if count is not None else [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.endswith("\n"):  # a complete line: its commit happened before the print
                lines.append(line.strip())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    proc.reader = reader  # type: ignore[attr-defined]
    return proc, lines


def check_committed(store_dir: Path, committed: dict[str, tuple[int, int]], *, full: bool = True) -> None:
    """The store opens and holds every committed result; `full`: fsck passes and every value is exact."""
    with SqliteStore(store_dir) as store:
        found = store.lookup_many(committed)  # type: ignore[arg-type]
        lost = [f"{node} (seed {seed}, k {k})" for node, (seed, k) in committed.items() if node not in found]
        assert not lost, f"committed results were lost: {lost}"
        if not full:
            assert store.query("PRAGMA quick_check") == [("ok",)]
            return
        report = fsck(store)
        assert report.ok, report.problems
        for node, (seed, k) in committed.items():
            assert same_value(store.get(found[node]), value_for(seed, k))  # type: ignore[index]


def index(seed: int, upto: int) -> dict[str, tuple[int, int]]:
    return {node_for(seed, k).id: (seed, k) for k in range(upto)}


def kill_writers(store_dir: Path, kills: int, seed: int) -> None:
    """Start a writer, SIGKILL it at a random moment, check the store; `kills` times."""
    rng = random.Random(seed)
    committed: dict[str, tuple[int, int]] = {}
    for n in range(1, kills + 1):
        proc, lines = start_writer(store_dir, n)
        deadline = time.monotonic() + 60
        while not lines and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)  # the child has started writing
        time.sleep(rng.uniform(0.0, 0.25))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        proc.reader.join(timeout=60)  # type: ignore[attr-defined]
        assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
        known = index(n, len(lines) + 10)
        committed.update({line: known[line] for line in lines})
        check_committed(store_dir, committed, full=n % 5 == 0)  # fsck after every fifth kill
    assert len(committed) >= kills
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    cli = subprocess.run(
        [sys.executable, "-m", "voxcas.cli.app", "fsck", "--store", str(store_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert cli.returncode == 0 and cli.stdout.endswith("ok\n"), cli.stdout + cli.stderr


@pytest.mark.slow
def test_a_writer_killed_at_random_points_loses_nothing_it_committed(tmp_path: Path) -> None:
    kill_writers(tmp_path / ".vox", kills=20, seed=20261129)


@pytest.mark.slow
def test_a_writer_killed_at_random_points_with_a_blob_directory_loses_nothing(tmp_path: Path) -> None:
    SqliteStore(tmp_path / ".vox", create=True, blobs=tmp_path / "blobs").close()
    kill_writers(tmp_path / ".vox", kills=10, seed=20261203)


@pytest.mark.stress
def test_a_hundred_kills_lose_nothing_committed(tmp_path: Path) -> None:
    kill_writers(tmp_path / ".vox", kills=100, seed=int(time.time()))


@pytest.mark.parametrize("tier", ["inline", "directory"])
def test_four_processes_writing_at_once_never_see_a_lock_error(tmp_path: Path, tier: str) -> None:
    store_dir = tmp_path / ".vox"
    blobs = tmp_path / "blobs" if tier == "directory" else None
    SqliteStore(store_dir, create=True, blobs=blobs, inline=tier == "inline").close()
    writers = [start_writer(store_dir, seed, count=60) for seed in range(101, 105)]
    committed: dict[str, tuple[int, int]] = {}
    for seed, (proc, lines) in zip(range(101, 105), writers, strict=True):
        proc.wait(timeout=300)
        proc.reader.join(timeout=60)  # type: ignore[attr-defined]
        stderr = proc.stderr.read() if proc.stderr else ""
        assert proc.returncode == 0, stderr
        assert "locked" not in stderr
        known = index(seed, 70)
        committed.update({line: known[line] for line in lines})
    assert len(committed) == 4 * 60
    check_committed(store_dir, committed)


def test_gc_running_beside_a_writer_deletes_nothing_young_and_locks_nobody_out(tmp_path: Path) -> None:
    from voxcas.store.gc import gc

    store_dir = tmp_path / ".vox"
    SqliteStore(store_dir, create=True).close()
    proc, lines = start_writer(store_dir, 201, count=40)
    with SqliteStore(store_dir) as store:
        while proc.poll() is None:
            report = gc(store, keep_runs=0)  # default grace: everything here is young
            assert report.results_deleted == report.objects_deleted == 0
            time.sleep(0.01)
    proc.reader.join(timeout=60)  # type: ignore[attr-defined]
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    known = index(201, 45)
    assert len(lines) == 40
    check_committed(store_dir, {line: known[line] for line in lines})
