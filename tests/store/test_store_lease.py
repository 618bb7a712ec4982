"""gc never deletes what a run in flight wrote or will read: the run holds a lease, not an age.

The attack of issue 10: `vox gc --grace 0s --keep-runs 0` while a run writes deleted item objects
that the run's loop result then pointed to; fsck reported missing objects and every later run
failed until `--no-cache`. Here a real `vox run` in a child process runs a slow loop while the
test collects garbage again and again (`--keep-runs 0`: once the run has ended, everything may
go); the run must succeed, the store must pass fsck, and the next run (without `--no-cache`) must
print the same values.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from voxcas.cli.app import main
from voxcas.store import lease
from voxcas.store.gc import gc
from voxcas.store.sqlite import SqliteStore

REPO = Path(__file__).resolve().parents[2]
SLOWNS = REPO / "tests" / "cli" / "slowns"
ITEMS = 40
PROGRAM = f'print "s" for i in range(0, {ITEMS}) do slowtest.step(i, 40)\n'
EXPECTED = "s=[" + ", ".join(str(i + 1) for i in range(ITEMS)) + "]\n"


@pytest.fixture(autouse=True)
def _no_store_left_in_the_environment() -> Iterator[None]:
    """`vox --store DIR` sets VOX_STORE for the process: later tests must not inherit it."""
    yield
    os.environ.pop("VOX_STORE", None)


def vox_child(store: Path, program: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "VOX_STORE"}
    env["PYTHONPATH"] = os.pathsep.join([str(SLOWNS), str(REPO)])
    return subprocess.Popen(
        [sys.executable, "-m", "voxcas.cli.app", "--store", str(store), "run", str(program), "-j", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def vox(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main([str(a) for a in args])
    out = capsys.readouterr()
    code = stop.value.code
    return (0 if code is None else int(code)), out.out, out.err


def item_results(store: Path) -> int:
    with SqliteStore(store) as s:
        return sum(1 for r in s.results() if r.run is not None)


def test_gc_with_no_grace_while_a_run_writes_keeps_what_the_run_needs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = tmp_path / "store"
    SqliteStore(store, create=True).close()
    program = tmp_path / "p.imgql"
    program.write_text(PROGRAM)
    child = vox_child(store, program)
    collected_during_the_run = 0
    try:
        while child.poll() is None and item_results(store) == 0:
            time.sleep(0.05)  # waiting for the run to have stored something, not timing it
        while child.poll() is None:
            with SqliteStore(store) as s:
                gc(s, keep_runs=0, grace=0.0)
            collected_during_the_run += 1
        out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    assert out == EXPECTED
    assert collected_during_the_run >= 1  # gc really ran while the run was writing
    code, fsck_out, fsck_err = vox(capsys, "--store", store, "fsck")
    assert code == 0, fsck_out + fsck_err
    again = vox_child(store, program)
    out, err = again.communicate(timeout=120)
    assert (again.returncode, out) == (0, EXPECTED), err


def test_a_held_lease_is_live_and_is_gone_once_released(tmp_path: Path) -> None:
    held = lease.Lease(tmp_path)
    held.name_run("3f" * 16)  # type: ignore[arg-type]
    [live] = lease.live_leases(tmp_path)
    assert live.run == "3f" * 16
    assert live.started == held.started
    held.release()
    assert lease.live_leases(tmp_path) == []
    assert list((tmp_path / lease.LEASE_DIR).iterdir()) == []


def test_the_lease_of_a_dead_process_expires_at_once(tmp_path: Path) -> None:
    # a process that took a lease and died without releasing it (kill -9): its file stays
    script = (
        "import os, sys; from pathlib import Path; from voxcas.store.lease import Lease; "
        f"Lease(Path({str(tmp_path)!r})); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", script], check=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    [left] = list((tmp_path / lease.LEASE_DIR).iterdir())
    assert json.loads(left.read_text())["pid"] != os.getpid()
    assert lease.live_leases(tmp_path) == []
    assert not left.exists()  # the stale lease was removed


def test_a_lease_locked_by_a_live_process_is_live_even_when_its_heartbeat_is_old(tmp_path: Path) -> None:
    held = lease.Lease(tmp_path)
    os.utime(held.path, (0, 0))
    assert [x.started for x in lease.live_leases(tmp_path)] == [held.started]
    held.release()


def test_gc_keeps_what_was_written_after_a_live_lease_began(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "s", create=True) as s:
        held = lease.Lease(s.directory)
        digest = s.put([1, 2, 3])
        report = gc(s, keep_runs=0, grace=0.0, now=time.time() + 3600)
        assert report.objects_deleted == 0
        assert s.has(digest)
        held.release()
        gc(s, keep_runs=0, grace=0.0, now=time.time() + 3600)
        assert not s.has(digest)


def test_a_lease_file_is_locked_while_held(tmp_path: Path) -> None:
    held = lease.Lease(tmp_path)
    with held.path.open("rb") as other, pytest.raises(BlockingIOError):
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    held.release()
