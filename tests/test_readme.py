"""The README works as written: its shell blocks, run in a fresh clone, succeed and leave no stray files.

The commands are parsed from README.md's ```sh blocks, so the test follows every edit of the
README. The clone reuses this test's virtual environment (linked as `.venv`, so the README's
`. .venv/bin/activate` line runs as written) instead of installing a new one, and the code under
test is the clone's own (PYTHONPATH): the README must work with only what the repository holds.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
STAMP = ".venv/.installed"  # the Makefile's marker of an installed venv


def shell_blocks(text: str) -> list[list[str]]:
    """The commands of each ```sh block, comments stripped, in order."""
    blocks = re.findall(r"^```sh\n(.*?)^```$", text, re.M | re.S)
    return [
        [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()] for block in blocks
    ]


def fresh_clone(tmp: Path) -> Path:
    """A git clone of this repository, with the working tree's versions of its tracked files
    (so uncommitted edits are what is tested) and this venv linked in as `.venv`."""
    clone = tmp / "voxcas"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, tracked):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, clone / name)
    (clone / ".venv").symlink_to(Path(sys.prefix))
    return clone


def untracked_or_changed(clone: Path) -> set[str]:
    """Every path git reports in the clone: changed, untracked or ignored (build caches aside)."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=clone, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return {line[3:] for line in status.splitlines() if "__pycache__" not in line}


def test_the_readme_opens_with_make_demo_and_make_test() -> None:
    first = shell_blocks(README.read_text(encoding="utf-8"))[0]
    assert first[:2] == ["make demo", "make test"]


def test_every_readme_command_runs_in_a_fresh_clone_and_leaves_no_stray_files(tmp_path: Path) -> None:
    blocks = shell_blocks(README.read_text(encoding="utf-8"))
    commands = [c for block in blocks for c in block if c != "make test"]  # make test is this suite
    assert commands[0] == "make demo" and any(c.startswith("vox ") for c in commands)
    clone = fresh_clone(tmp_path)
    # make must not reinstall into the shared venv: its marker counts as up to date (-o)
    commands = [f"make -o {STAMP} demo" if c == "make demo" else c for c in commands]
    script = "set -e\n" + "".join(f"echo '+ {c}' >&2\n{c} >/dev/null\n" for c in commands)
    env = {k: v for k, v in os.environ.items() if k not in ("VOX_STORE", "VIRTUAL_ENV", "PYTHONPATH")}
    env.update(PYTHONPATH=str(clone), PYTHONDONTWRITEBYTECODE="1", PATH="/usr/bin:/bin")
    before = untracked_or_changed(clone)
    done = subprocess.run(["bash", "-c", script], cwd=clone, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "error" not in done.stderr.lower(), done.stderr[-3000:]

    after = untracked_or_changed(clone)
    assert [p for p in after - before if not p.startswith("demo-out/")] == []
    assert (clone / "demo-out" / ".vox").is_dir()  # the demo's store is the one the commands used
