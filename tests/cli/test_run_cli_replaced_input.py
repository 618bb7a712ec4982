"""An input replaced while `vox run` reads it never binds the new content to the old node id.

`slowtest.read_until` (tests/cli/slowns) reads its file, then waits for a flag file: the test
replaces the input with a plain copy of the same size while the reader is still running, then
lets it finish. The node must fail with one line naming the file; the next runs (plain and
`--no-cache`) must print the new content; and once the old bytes are back, the old content."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SLOWNS = Path(__file__).resolve().parent / "slowns"
WAIT = 60.0  # bound on waiting for the child to reach the read, never a timing assertion


def _vox(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "VOX_STORE"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(SLOWNS)])
    return subprocess.Popen(
        [sys.executable, "-m", "voxcas.cli.app", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(*args: str, cwd: Path) -> tuple[int, str, str]:
    child = _vox("run", *args, "--no-progress", cwd=cwd)
    out, err = child.communicate(timeout=120)
    return child.returncode, out, err


def test_a_same_size_copy_over_an_input_during_its_read_fails_the_node_and_binds_nothing(
    tmp_path: Path,
) -> None:
    from voxcas.store.sqlite import SqliteStore

    SqliteStore(tmp_path / ".vox", create=True).close()
    (tmp_path / "old.txt").write_text("AAAA")
    (tmp_path / "new.txt").write_text("BBBB")  # same size: only the content tells them apart
    shutil.copyfile(tmp_path / "old.txt", tmp_path / "in.txt")
    (tmp_path / "prog.imgql").write_text('import "slowtest"\nprint "t" slowtest.read_until("in.txt", "go")\n')

    child = _vox("run", "prog.imgql", "--no-progress", cwd=tmp_path)
    deadline = time.monotonic() + WAIT
    while not (tmp_path / "go.reading").exists() and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.01)
    assert (tmp_path / "go.reading").exists(), child.communicate()
    shutil.copyfile(tmp_path / "new.txt", tmp_path / "in.txt")  # `cp new.txt in.txt` mid-read
    (tmp_path / "go").touch()
    out, err = child.communicate(timeout=120)
    assert child.returncode == 1, err
    assert "'in.txt' changed while the run was using it" in err
    assert "t=" not in out

    for args in ((), ("--no-cache",)):
        code, out, err = _run("prog.imgql", *args, cwd=tmp_path)
        assert (code, out) == (0, "t=BBBB\n"), err
    shutil.copyfile(tmp_path / "old.txt", tmp_path / "in.txt")
    for args in ((), ("--no-cache",), ()):
        code, out, err = _run("prog.imgql", *args, cwd=tmp_path)
        assert (code, out) == (0, "t=AAAA\n"), err
