"""`python -m voxcas.demo [--out DIR]`: generate the demo dataset, then run the brain-lesion
program over it twice through the real `vox run` CLI, showing that the second run reuses
everything. See docs/demo.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PROGRAM = "brain_tumour.imgql"
DEMO_REF = "demo"  # the ref the demo points at its last run


def find_program() -> Path:
    """examples/brain_tumour.imgql of the source tree this package comes from."""
    here = Path(__file__).resolve()
    candidate = here.parents[2] / "examples" / PROGRAM
    if not candidate.is_file():
        raise SystemExit(f"error: cannot find the demo program '{candidate}' (run from a voxcas checkout)")
    return candidate


def run_cli(program: Path, out: Path) -> tuple[dict[str, Any], float]:
    """One `vox run --json` in a fresh interpreter; its summary and wall time."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    cmd = [
        sys.executable, "-m", "voxcas.cli.app", "run", str(program),
        "--store", str(out / ".vox"), "--out", str(out / "results"), "--json", "--no-progress",
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=out, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"error: vox run failed with exit status {done.returncode}")
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary, wall


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m voxcas.demo", description=__doc__)
    parser.add_argument(
        "--out", type=Path, default=Path("demo-out"), help="working directory (default: ./demo-out)"
    )
    parser.add_argument("--cases", type=int, default=6, help="number of synthetic cases (default 6)")
    parser.add_argument("--seed", type=int, default=2024, help="random seed of the dataset (default 2024)")
    parser.add_argument(
        "--fresh", action="store_true", help="delete the store first, so the first run is cold"
    )
    args = parser.parse_args(argv)

    from voxcas.demo.dataset import generate

    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if args.fresh and (out / ".vox").exists():
        shutil.rmtree(out / ".vox")
    start = time.perf_counter()
    cases = generate(out / "data", cases=args.cases, seed=args.seed)
    print(f"dataset: {len(cases)} cases in {out / 'data'} ({time.perf_counter() - start:.1f} s)")
    program = out / PROGRAM
    shutil.copyfile(find_program(), program)
    print(f"program: {program}\n")

    for attempt in ("first run", "second run"):
        summary, wall = run_cli(program, out)
        print(f"== {attempt}: vox run {PROGRAM}")
        for line in summary["outputs"]:
            print(f"   {line}")
        print(
            f"   {summary['computed']} nodes computed, {summary['reused']} reused, "
            f"{wall:.2f} s wall for the whole process\n"
        )
    tag_demo_run(out / ".vox", summary["run"])
    print(f"overlays: {out / 'results' / 'overlays'}")
    print(f"ref:      {DEMO_REF} -> run {summary['run'][:12]} (vox -C {args.out} show {DEMO_REF})")


def tag_demo_run(store_dir: Path, run: str) -> None:
    """Point the ref `demo` at the last run: its results survive gc and `vox show demo` finds it."""
    from voxcas.ids import RunId
    from voxcas.store.locate import open_located_store

    with open_located_store(store_dir) as store:
        store.tag(DEMO_REF, RunId(run))


if __name__ == "__main__":
    main()
