"""Run the benchmarks: `python -m bench [--only NAME] [--report FILE]`."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from pathlib import Path

import bench
from bench.report import Report, write


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", default=[], help="run only bench_NAME (repeatable)")
    parser.add_argument("--report", type=Path, default=Path("bench/report.md"))
    args = parser.parse_args()
    report = Report()
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    for name in names:
        if args.only and name.removeprefix("bench_") not in args.only and name not in args.only:
            continue
        module = importlib.import_module(f"bench.{name}")
        module.run(report)
    write(report, args.report)
    print(f"\nreport written to {args.report}")


if __name__ == "__main__":
    main()
