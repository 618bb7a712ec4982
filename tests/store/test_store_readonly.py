"""A store this process may not write: read commands work read-only, writing ones say why in a line.

The attack of issue 10: on a read-only store every command, `ls` and `cat` included, crashed with
a traceback. Here the store's directory and files are made read-only (`chmod -w`) and `vox` runs
in a child process; when the tests run as root, the child gives up the capabilities that let root
write anywhere (CAP_DAC_OVERRIDE and friends), so the permissions hold for it as for anyone. The
oracle for the read commands is the same command run on the store before it was made read-only.
"""

from __future__ import annotations

import ctypes
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from voxcas.store.sqlite import SqliteStore

REPO = Path(__file__).resolve().parents[2]
PROGRAM = 'n = length(range(0, 2))\nprint "x" n + 40\n'
_PR_CAPBSET_DROP = 24
_CAPS = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER


def _as_anyone() -> None:
    """In the child, before exec: root keeps its uid but loses the right to ignore permissions."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in _CAPS:
            if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def vox(*args: str | Path, cwd: Path, readonly: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VOX_STORE"}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "voxcas.cli.app", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_as_anyone if readonly else None,
    )


def make_readonly(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def make_writable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


@pytest.fixture
def work(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "p.imgql").write_text(PROGRAM)
    done = vox("--store", "s", "run", "p.imgql", cwd=tmp_path, readonly=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "x=42\n"
    yield tmp_path
    make_writable(tmp_path / "s")


def _object(work: Path) -> str:
    with SqliteStore(work / "s") as s:
        return str(next(iter(s.results())).digest)


READS = (("ls",), ("log",), ("show", "latest"), ("refs",), ("du",), ("fsck",), ("status", "p.imgql"))


def test_the_probe_child_cannot_write_a_read_only_file(work: Path) -> None:
    make_readonly(work / "s")
    script = f"import os; print(os.access({str(work / 's' / 'store.db')!r}, os.W_OK))"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    probe = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, preexec_fn=_as_anyone
    )
    assert probe.stdout == "False\n"


def test_read_commands_give_the_same_answers_on_a_read_only_store(work: Path) -> None:
    commands = [*READS, ("cat", _object(work))]
    before = [vox("--store", "s", *c, cwd=work, readonly=False) for c in commands]
    make_readonly(work / "s")
    for command, was in zip(commands, before, strict=True):
        now = vox("--store", "s", *command, cwd=work, readonly=True)
        assert (now.returncode, now.stdout, now.stderr) == (0, was.stdout, was.stderr), command


WRITES = (
    ("tag", "v1", "latest"),
    ("untag", "v1"),
    ("gc",),
    ("run", "p.imgql"),
    ("run", "--no-cache", "p.imgql"),
)


def test_writing_commands_fail_with_one_line_saying_the_store_is_read_only(work: Path) -> None:
    make_readonly(work / "s")
    for command in WRITES:
        done = vox("--store", "s", *command, cwd=work, readonly=True)
        assert done.returncode == 1, command
        lines = done.stderr.splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith(f"error: cannot write to the store {work / 's'}: it is read-only"), lines


def test_a_read_only_reader_sees_commits_still_in_the_write_ahead_log(work: Path) -> None:
    from store_helpers import const_node

    with SqliteStore(work / "s") as writer:  # a writer keeps the store open: its -wal holds this
        writer.put_result(const_node(7, label="seven"), "fresh value")
        digest = writer.lookup(const_node(7).id)
        assert (work / "s" / "store.db-wal").stat().st_size > 0
        make_readonly(work / "s")
        done = vox("--store", "s", "cat", str(digest), cwd=work, readonly=True)
        make_writable(work / "s")
    assert (done.returncode, done.stdout) == (0, "fresh value\n"), done.stderr
