"""`vox status` on a program over a 1,000-file dataset that nothing changed.

Figures: the library call `status_file` (reduction through the reduction cache and the stat
cache, the goals looked up, nothing computed) and the whole `vox status` process, each beside the
floor measured in the same run: `os.stat` of the same 1,000 files in a Python loop (the least any
tool must do to know that nothing changed), and for the process also `python -c pass`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Report, best_of

FILES = 1000
REPEAT = 5
PROGRAM = 'xs = for p in dir("data", "*.txt") do length(load(p))\nprint "n" xs\n'


def _dataset(root: Path) -> list[str]:
    (root / "data").mkdir()
    paths = []
    for i in range(FILES):
        path = root / "data" / f"case_{i:04d}.txt"
        path.write_text(f"case {i}\n" * (1 + i % 7), encoding="utf-8")
        paths.append(str(path))
    (root / "prog.imgql").write_text(PROGRAM, encoding="utf-8")
    old = time.time() - 10  # out of the racy window: the stat cache trusts these files
    for p in [*paths, str(root / "data"), str(root / "prog.imgql")]:
        os.utime(p, (old, old))
    return paths


def run(report: Report) -> None:
    from voxcas.execute import RunOptions, run_file
    from voxcas.execute.status import status_file
    from voxcas.store.sqlite import SqliteStore

    report.section(f"vox status, {FILES}-file dataset, nothing changed")
    with tempfile.TemporaryDirectory(prefix="bench-explain-") as tmp:
        root = Path(tmp)
        paths = _dataset(root)
        cwd = os.getcwd()
        os.chdir(root)
        try:
            with SqliteStore(root / ".vox", create=True) as store:
                summary = run_file("prog.imgql", store, RunOptions(program="prog.imgql"))
                assert summary.status == "ok", summary.failures
                first = status_file("prog.imgql", store)
                assert first.up_to_date, first.to_json()

                def stat_all() -> None:
                    for p in paths:
                        os.stat(p)

                floor = best_of(stat_all, REPEAT)
                library = best_of(lambda: status_file("prog.imgql", store), REPEAT)
            report.row(
                "status_file (library call)",
                library * 1000,
                "ms",
                baseline=floor * 1000,
                baseline_name=f"os.stat of {FILES} files",
            )
            env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
            command = [sys.executable, "-m", "voxcas.cli.app", "status", "prog.imgql"]
            done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stdout + done.stderr
            process = best_of(lambda: subprocess.run(command, cwd=root, env=env, capture_output=True), 3)
            python = best_of(lambda: subprocess.run([sys.executable, "-c", "pass"], capture_output=True), 3)
            report.row(
                "vox status (whole process)",
                process * 1000,
                "ms",
                baseline=(python + floor) * 1000,
                baseline_name="python -c pass + os.stat loop",
            )
        finally:
            os.chdir(cwd)
    report.note("the process figure includes Python start-up and importing voxcas")
