"""Benchmarks: `make bench` runs every `bench/bench_*.py` and writes a Markdown report.

Each module defines `run(report: Report) -> None` and records figures with `report.row`,
always beside a baseline measured in the same run (the machines are noisy: ratios, not seconds,
are what we compare). Tests never time anything; this is the only place that does.
"""
