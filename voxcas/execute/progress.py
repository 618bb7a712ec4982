"""Progress reporting through a callback object, in the style of dask's callbacks.

The engine calls, from the thread that drives the run:

- `start(run, total, reused)`: the nodes known to need computing and those reused so far;
- `grow(total, reused)`: a loop was expanded: more nodes to compute / more items reused;
- `pretask(node, label)`: a node starts computing (not reported by dask.distributed);
- `posttask(node, status)`: a node ended: "computed", "failed" or "skipped";
- `finish(summary)`: the run ended (any status).

Implementations: `NullProgress` (tests, `--quiet`), `JsonProgress` (one JSON event per line, or
to a callable, for the HTTP API), and `TerminalProgress` (a rich progress bar on a terminal:
done/total, reused, failed, elapsed, ETA). Callbacks must be cheap; the bar refreshes at most
ten times a second.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voxcas.execute.options import RunSummary
    from voxcas.ids import NodeId, RunId


class Progress:
    """Base class: every hook does nothing. Subclass and override what you need."""

    def start(self, run: RunId, total: int, reused: int) -> None:
        pass

    def grow(self, total: int, reused: int) -> None:
        pass

    def pretask(self, node: NodeId, label: str | None) -> None:
        pass

    def posttask(self, node: NodeId, status: str) -> None:
        pass

    def finish(self, summary: RunSummary) -> None:
        pass


class NullProgress(Progress):
    """Reports nothing."""


class CountingProgress(Progress):
    """Keeps the counts a progress display shows; the base of the concrete displays."""

    def __init__(self) -> None:
        self.total = 0
        self.reused = 0
        self.done = 0
        self.failed = 0
        self.skipped = 0
        self.started = time.monotonic()

    def start(self, run: RunId, total: int, reused: int) -> None:
        self.started = time.monotonic()
        self.total, self.reused = total, reused

    def grow(self, total: int, reused: int) -> None:
        self.total += total
        self.reused += reused

    def posttask(self, node: NodeId, status: str) -> None:
        self.done += 1
        if status == "failed":
            self.failed += 1
        elif status == "skipped":
            self.skipped += 1

    def eta(self) -> float | None:
        """Seconds left at the current rate, when it can be estimated."""
        elapsed = time.monotonic() - self.started
        if self.done == 0 or self.total <= self.done:
            return None
        return elapsed / self.done * (self.total - self.done)


class JsonProgress(CountingProgress):
    """One JSON object per event: to a stream (one line each) or to a callable (the HTTP API).

    Events: {"event": "start"|"grow"|"posttask"|"finish", ...counts}; `pretask` is not sent
    (it doubles the traffic and adds nothing a client needs).
    """

    def __init__(self, sink: IO[str] | Callable[[dict[str, Any]], None]) -> None:
        super().__init__()
        self._sink = sink

    def _emit(self, event: dict[str, Any]) -> None:
        if callable(self._sink):
            self._sink(event)
        else:
            self._sink.write(json.dumps(event) + "\n")
            self._sink.flush()

    def _counts(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "done": self.done,
            "reused": self.reused,
            "failed": self.failed,
            "skipped": self.skipped,
            "elapsed": round(time.monotonic() - self.started, 3),
        }

    def start(self, run: RunId, total: int, reused: int) -> None:
        super().start(run, total, reused)
        self._emit({"event": "start", "run": run, **self._counts()})

    def grow(self, total: int, reused: int) -> None:
        super().grow(total, reused)
        self._emit({"event": "grow", **self._counts()})

    def posttask(self, node: NodeId, status: str) -> None:
        super().posttask(node, status)
        self._emit({"event": "posttask", "node": node, "status": status, **self._counts()})

    def finish(self, summary: RunSummary) -> None:
        self._emit({"event": "finish", "status": summary.status, **self._counts()})


class TerminalProgress(CountingProgress):
    """A progress bar on stderr: nodes done/total, reused, failed, elapsed and ETA."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__()
        self._stream = stream
        self._live: Any = None
        self._last = 0.0

    def start(self, run: RunId, total: int, reused: int) -> None:
        super().start(run, total, reused)
        from rich.console import Console
        from rich.live import Live

        console = Console(file=self._stream, stderr=self._stream is None)
        self._live = Live(self._render(), console=console, auto_refresh=False, transient=True)
        self._live.start()

    def _render(self) -> Any:
        from rich.text import Text

        width = 30
        filled = int(width * self.done / self.total) if self.total else width
        bar = "█" * filled + "░" * (width - filled)
        elapsed = time.monotonic() - self.started
        eta = self.eta()
        text = f"{bar} {self.done}/{self.total} computed, {self.reused} reused"
        if self.failed:
            text += f", {self.failed} failed"
        text += f"  {elapsed:.1f}s"
        if eta is not None:
            text += f" (ETA {eta:.0f}s)"
        return Text(text)

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if self._live is not None and (force or now - self._last >= 0.1):
            self._last = now
            self._live.update(self._render(), refresh=True)

    def grow(self, total: int, reused: int) -> None:
        super().grow(total, reused)
        self._refresh()

    def posttask(self, node: NodeId, status: str) -> None:
        super().posttask(node, status)
        self._refresh()

    def finish(self, summary: RunSummary) -> None:
        if self._live is not None:
            self._refresh(force=True)
            self._live.stop()
            self._live = None
