"""Numbers too large, export targets that are not new files, temporaries left by a killed export:
through the `vox` CLI as a user reaches it, one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from vox_process import run_vox

from voxcas.plan.identity import node_id
from voxcas.plan.nodes import Const, PlanNode
from voxcas.store.sqlite import SqliteStore


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with one result of one run."""
    root = tmp_path_factory.mktemp("targets")
    with SqliteStore(root / ".vox", create=True) as store:
        run = store.start_run("p.imgql", None, [])
        node = PlanNode(node_id(Const("int", 7)), Const("int", 7))
        store.put_result(node, 7, run=run)
        store.finish_run(run, "ok", computed=1, reused=0, failed=0)
        (root / "run").write_text(run)
    return root


def test_gc_keeps_every_run_when_asked_to_keep_more_than_sqlite_can_count(store_dir: Path) -> None:
    result = run_vox("gc", "--keep-runs", "9" * 30, "--dry-run", "--grace", "0s", cwd=store_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("would delete 0 results, 0 objects")


def test_gc_keep_runs_in_scientific_notation_is_a_usage_error(store_dir: Path) -> None:
    result = run_vox("gc", "--keep-runs", "1e23", cwd=store_dir)
    assert result.returncode == 2
    assert "'1e23' is not a valid integer" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_size_or_duration_beyond_any_store_is_a_usage_error(store_dir: Path) -> None:
    big_size = run_vox("gc", "--max-size", "9" * 30 + "T", "--dry-run", cwd=store_dir)
    assert one_line_error(big_size) == f"error: invalid size '{'9' * 30}T': more than 8 EiB"
    assert big_size.returncode == 2
    long = run_vox("gc", "--grace", "9" * 30 + "d", "--dry-run", cwd=store_dir)
    assert one_line_error(long) == f"error: invalid duration '{'9' * 30}d': more than 10,000 years"


def test_export_into_a_directory_is_refused_and_writes_nothing(store_dir: Path, tmp_path: Path) -> None:
    run = (store_dir / "run").read_text()
    target = tmp_path / "out"
    target.mkdir()
    line = one_line_error(run_vox("export", run, "-o", target, cwd=store_dir))
    assert line == f"error: cannot write bundle {target}: it is a directory; give the path of a new file"
    assert list(target.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary file either


def test_export_onto_a_device_is_refused_and_leaves_the_device_alone(store_dir: Path) -> None:
    run = (store_dir / "run").read_text()
    before = os.stat("/dev/null")
    line = one_line_error(run_vox("export", run, "-o", "/dev/null", cwd=store_dir))
    assert line == "error: cannot write bundle /dev/null: it is a device; give the path of a new file"
    after = os.stat("/dev/null")
    assert (after.st_ino, after.st_rdev, after.st_mode) == (before.st_ino, before.st_rdev, before.st_mode)


def test_export_onto_a_symbolic_link_is_refused(store_dir: Path, tmp_path: Path) -> None:
    run = (store_dir / "run").read_text()
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    link = tmp_path / "bundle.voxb"
    link.symlink_to(precious)
    line = one_line_error(run_vox("export", run, "-o", link, cwd=store_dir))
    assert line == f"error: cannot write bundle {link}: it is a symbolic link; give the path of a new file"
    assert precious.read_text() == "keep me" and link.is_symlink()


def test_export_removes_the_temporary_file_a_killed_export_left(store_dir: Path, tmp_path: Path) -> None:
    run = (store_dir / "run").read_text()
    # a process id that is certainly gone: a child that has exited and been reaped
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = int(child.stdout)
    stale = tmp_path / f".b.voxb.{dead}.tmp"
    stale.write_bytes(b"half a bundle")
    result = run_vox("export", run, "-o", tmp_path / "b.voxb", cwd=store_dir)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.voxb"]


def test_export_replaces_an_older_bundle_at_the_same_path(store_dir: Path, tmp_path: Path) -> None:
    run = (store_dir / "run").read_text()
    target = tmp_path / "b.voxb"
    target.write_bytes(b"an older bundle")
    assert run_vox("export", run, "-o", target, cwd=store_dir).returncode == 0
    assert target.read_bytes().startswith(b"SQLite format 3\0")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--max-size", "10Q"), "error: invalid size '10Q': use a number with K, M, G or T (e.g. 5G)"),
        (("--max-size", "-1G"), "error: invalid size '-1G': use a number with K, M, G or T (e.g. 5G)"),
        (("--keep", "everything"), "error: invalid --keep 'everything': use one of all, goals"),
        (
            ("--keep", "goals", "--min-saving", "fast"),
            "error: invalid saving 'fast': use seconds per size, e.g. 60s/G or 1s/100M",
        ),
    ],
)
def test_a_bad_gc_policy_is_one_line_and_exit_2(store_dir: Path, args: tuple[str, ...], message: str) -> None:
    result = run_vox("gc", *args, "--dry-run", cwd=store_dir)
    assert one_line_error(result) == message
    assert result.returncode == 2
