"""Progress reporting through a callback object, in the style of dask's callbacks.

The engine calls, from the thread that drives the run:

- `start(run, total, reused)`: the nodes known to need computing and those reused so far;
- `grow(total, reused)`: a loop was expanded: more nodes to compute / more items reused;
- `pretask(node, label)`: a node starts computing (not reported by dask.distributed);
- `posttask(node, status, primitive=None, label=None)`: a node ended: "computed", "failed" or
  "skipped", with its primitive (`vox1.dt`) and goal label when it has them;
- `items(total)`: a loop starts over `total` items; `items_done(count, item)`: `count` more items
  of it ended, the last of them `item` (its path or number, when it is a scalar);
- `finish(summary)`: the run ended (any status).

Implementations: `NullProgress` (tests, `--quiet`), `JsonProgress` (one JSON event per line, or
to a callable, for the HTTP API), and `TerminalProgress` (a rich live display on a terminal:
done/total, reused, failed, loop items "item 5/24", the node running, a clock that ticks on its
own — rich redraws it four times a second from its own thread — and an ETA). Callbacks must be
cheap: they only update counters; drawing happens in rich's refresh thread.

The ETA is shown only once it means something: after two seconds and 5 % of the work, and from
the rate of this run's own work (items of a loop when one is running, else computed nodes), so a
resumed run whose first nodes were reused does not extrapolate from them.
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

    def posttask(
        self, node: NodeId, status: str, primitive: str | None = None, label: str | None = None
    ) -> None:
        pass

    def items(self, total: int) -> None:
        pass

    def items_done(self, count: int, item: Any = None) -> None:
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
        self.items_total = 0
        self.items_finished = 0
        self.last_item: Any = None
        self.running: str | None = None
        self.started = time.monotonic()

    def start(self, run: RunId, total: int, reused: int) -> None:
        self.started = time.monotonic()
        self.total, self.reused = total, reused

    def grow(self, total: int, reused: int) -> None:
        self.total += total
        self.reused += reused

    def pretask(self, node: NodeId, label: str | None) -> None:
        self.running = label

    def posttask(
        self, node: NodeId, status: str, primitive: str | None = None, label: str | None = None
    ) -> None:
        self.done += 1
        if status == "failed":
            self.failed += 1
        elif status == "skipped":
            self.skipped += 1

    def items(self, total: int) -> None:
        self.items_total += total

    def items_done(self, count: int, item: Any = None) -> None:
        self.items_finished += count
        self.last_item = item

    def eta(self) -> float | None:
        """Seconds left at this run's own rate, or None while that rate says nothing yet."""
        elapsed = time.monotonic() - self.started
        if self.items_total and self.items_finished < self.items_total:
            done, total = self.items_finished, self.items_total
        else:
            done, total = self.done, self.total
        if elapsed < 2.0 or done == 0 or total <= done or done < 0.05 * total:
            return None
        return elapsed / done * (total - done)


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

    def posttask(
        self, node: NodeId, status: str, primitive: str | None = None, label: str | None = None
    ) -> None:
        super().posttask(node, status)
        event: dict[str, Any] = {"event": "posttask", "node": node, "status": status}
        event.update({"primitive": primitive, "label": label, **self._counts()})
        self._emit(event)

    def items(self, total: int) -> None:
        super().items(total)
        self._emit({"event": "items", "items_total": self.items_total, **self._counts()})

    def items_done(self, count: int, item: Any = None) -> None:
        super().items_done(count, item)
        shown = item if isinstance(item, bool | int | float | str) else None
        event = {"event": "items_done", "item": shown, "items_done": self.items_finished}
        self._emit({**event, "items_total": self.items_total, **self._counts()})

    def finish(self, summary: RunSummary) -> None:
        self._emit({"event": "finish", "status": summary.status, **self._counts()})


class TerminalProgress(CountingProgress):
    """A live display on stderr: nodes done/total, reused, failed, loop items, the node running,
    a ticking clock and the ETA. rich's `Live` redraws it from its own thread (`get_renderable`),
    so the clock moves while one long node runs."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__()
        self._stream = stream
        self._live: Any = None

    def start(self, run: RunId, total: int, reused: int) -> None:
        super().start(run, total, reused)
        from rich.console import Console
        from rich.live import Live

        console = Console(file=self._stream, stderr=self._stream is None)
        self._live = Live(
            console=console,
            get_renderable=self._render,
            auto_refresh=True,
            refresh_per_second=4,
            transient=True,
        )
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
        if self.items_total:
            text += f"  item {self.items_finished}/{self.items_total}"
            if isinstance(self.last_item, str | int | float) and not isinstance(self.last_item, bool):
                text += f" ({_short(self.last_item)})"
        text += f"  {elapsed:.1f}s"
        if eta is not None:
            text += f" (ETA {eta:.0f}s)"
        if self.running:
            text += f"  {self.running}"
        return Text(text)

    def finish(self, summary: RunSummary) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def _short(item: str | int | float) -> str:
    """An item as the display names it: a path by its last component."""
    text = str(item)
    return text.rstrip("/").rsplit("/", 1)[-1] or text
