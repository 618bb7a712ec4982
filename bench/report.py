"""The benchmark report: sections of rows, each a figure beside its same-run baseline."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Row:
    measure: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    ok: bool | None = None

    def ratio(self) -> str:
        if self.baseline in (None, 0) or self.baseline is None:
            return ""
        return f"{self.value / self.baseline:.2f}×"


@dataclass
class Report:
    sections: list[tuple[str, list[Row], list[str]]] = field(default_factory=list)

    def section(self, title: str) -> None:
        self.sections.append((title, [], []))
        print(f"\n## {title}", flush=True)

    def note(self, text: str) -> None:
        self.sections[-1][2].append(text)
        print(f"  {text}", flush=True)

    def row(
        self,
        measure: str,
        value: float,
        unit: str,
        *,
        baseline: float | None = None,
        baseline_name: str = "",
        target: str = "",
        ok: bool | None = None,
    ) -> Row:
        row = Row(measure, value, unit, baseline, baseline_name, target, ok)
        self.sections[-1][1].append(row)
        base = f" (baseline {baseline_name}: {baseline:.4g} {unit}, ratio {row.ratio()})" if baseline else ""
        verdict = "" if ok is None else (" OK" if ok else " MISSED")
        print(f"  {measure}: {value:.4g} {unit}{base} {target}{verdict}", flush=True)
        return row

    def markdown(self) -> str:
        lines = [
            "# voxcas benchmark report",
            "",
            f"- date: {time.strftime('%Y-%m-%d %H:%M:%S')}",
            f"- machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
            f"python {platform.python_version()}",
            "- every figure stands beside a baseline measured in the same run; compare ratios.",
            "",
        ]
        for title, rows, notes in self.sections:
            lines += [f"## {title}", ""]
            lines += [f"- {n}" for n in notes]
            if notes:
                lines.append("")
            if rows:
                lines += [
                    "| measure | value | baseline | ratio | target | met |",
                    "|---|---|---|---|---|---|",
                ]
                for r in rows:
                    base = f"{r.baseline:.4g} {r.unit} ({r.baseline_name})" if r.baseline else ""
                    met = "" if r.ok is None else ("yes" if r.ok else "**no**")
                    value = f"{r.value:.4g} {r.unit}"
                    lines.append(f"| {r.measure} | {value} | {base} | {r.ratio()} | {r.target} | {met} |")
                lines.append("")
        return "\n".join(lines)


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """The best wall time of `repeat` calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def write(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report.markdown(), encoding="utf-8")
