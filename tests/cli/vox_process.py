"""`run_vox`: the real `vox` command line in a child process, for the CLI tests of this folder.

Imported by the test modules here (pytest puts the folder on sys.path; the module has a unique
name in the tests tree).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_vox(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`vox ARGS` run from `cwd` with this checkout's code, no VOX_STORE from the environment."""
    env = {k: v for k, v in os.environ.items() if k != "VOX_STORE"}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "voxcas.cli.app", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
