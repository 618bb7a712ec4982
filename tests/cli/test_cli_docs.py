"""docs/cli.md cannot rot: its sessions are what vox prints, and it documents every global option."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _vox(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voxcas.cli.app", *args], capture_output=True, text=True)


def test_the_documented_typo_session_is_what_vox_prints() -> None:
    block = re.search(r"```\n\$ vox rn prog.imgql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block is not None
    done = _vox("rn", "prog.imgql")
    assert done.returncode == 2
    assert done.stderr.replace("python -m voxcas.cli.app", "vox") == block.group(1)


def test_every_global_option_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    listed = [line for line in _vox("--help").stdout.splitlines() if line.lstrip().startswith("-")]
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+|-[A-Za-z])\b", "\n".join(listed)))
    assert {"--version", "-C", "--store", "-h", "--help", "--install-completion"} <= options
    for option in sorted(options):
        assert f"`{option}" in text, option
