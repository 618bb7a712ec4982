"""What a run is asked to do (`RunOptions`) and what it reports back (`RunSummary`).

Both are plain value types shared by the library API (`voxcas.execute.run_workplan` /
`run_file`), the CLI (`vox run`) and the HTTP API. Nothing here imports Dask or numpy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voxcas.access import AccessPolicy
from voxcas.errors import UsageError

if TYPE_CHECKING:
    from voxcas.ids import NodeId, RunId
    from voxcas.primitives.registry import Registry

LOCAL_SCHEDULERS = ("threads", "sync", "processes")


def check_scheduler(scheduler: str) -> str:
    """Accept `threads`, `sync`, `processes` or a dask.distributed address (`tcp://host:port`)."""
    if scheduler in LOCAL_SCHEDULERS or "://" in scheduler:
        return scheduler
    raise UsageError(
        f"unknown scheduler {scheduler!r}: expected threads, sync, processes "
        "or the address of a dask.distributed scheduler such as tcp://127.0.0.1:8786"
    )


@dataclass(slots=True)
class RunOptions:
    """How to run a program.

    - `scheduler`: "threads" (default), "sync" (one thread, for debugging), "processes", or the
      address of a running dask.distributed scheduler ("tcp://host:8786").
    - `workers`: size of the local pool (threads/processes); None = one per core.
    - `out_dir`: where relative `save` paths go.
    - `show`: names of top-level declarations to compute and print (`vox run --show NAME`).
    - `params`: values replacing top-level declarations (`vox run -p NAME=VALUE`,
      `voxcas.lang.params`): numbers, booleans or strings; part of the ids, kept in the run record.
    - `no_cache`: compute every needed node without reading results from the store (results are
      still written, so the next run reuses them).
    - `rehash`: re-hash every input file instead of trusting the stat cache (what `stat` cannot
      see: a file rewritten keeping its size, inode and times; docs/run.md).
    - `registry`: the primitive registry (None = the built-in one).
    - `program` / `program_text`: what the run record names; `program_text` is hashed for it.
    - `loop_batch`: how many loop items are in flight at once (memory stays bounded by it).
    - `cancel`: set this event to stop the run (the HTTP API's cancel; Ctrl-C does the same); it
      stops the reduction of `run_file` too.
    - `max_nodes`: `run_file` refuses a program whose plan has more nodes (`vox run --max-nodes`,
      `PlanTooLargeError`, exit 2); None: no limit.
    - `trust_imported`: reuse every imported result, not only those of trusted signers
      (`vox run --trust-imported`; `voxcas.store.trust`).
    - `access`: where the run may read and write files (`voxcas.access.AccessPolicy`; None:
      anywhere). Every task runs under it, and so do reduction (`run_file`) and the save goals.
    - `on_warning`: called with each reducer warning before anything runs (they are also in
      `RunSummary.warnings`); `vox run` prints them on stderr.
    """

    scheduler: str = "threads"
    workers: int | None = None
    out_dir: Path = field(default_factory=Path)
    show: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    no_cache: bool = False
    rehash: bool = False
    registry: Registry | None = None
    program: str = "<workplan>"
    program_text: str | None = None
    dialect: str | None = None  # voxlogica1 / voxlogica2 (voxcas.lang.dialect); None: detected
    loop_batch: int = 1000
    cancel: threading.Event = field(default_factory=threading.Event)
    on_warning: Callable[[str], None] | None = None
    trust_imported: bool = False
    access: AccessPolicy | None = None
    max_nodes: int | None = None

    def __post_init__(self) -> None:
        check_scheduler(self.scheduler)
        if self.workers is not None and self.workers < 1:
            raise UsageError(f"--workers must be at least 1, got {self.workers}")
        if self.max_nodes is not None and self.max_nodes < 1:
            raise UsageError(f"--max-nodes must be at least 1, got {self.max_nodes}")
        if self.loop_batch < 1:
            raise UsageError(f"loop batch must be at least 1, got {self.loop_batch}")

    def record(self) -> dict[str, Any]:
        """The options as the run record keeps them."""
        return {
            "scheduler": self.scheduler,
            "workers": self.workers,
            "out_dir": str(self.out_dir),
            "show": list(self.show),
            "params": dict(self.params),
            "no_cache": self.no_cache,
            "rehash": self.rehash,
            "trust_imported": self.trust_imported,
        }


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed node: which, in which primitive, where in the program, and why."""

    node: NodeId
    primitive: str | None
    span: str | None
    message: str  # the full line: "prog.imgql:4:9: error: vox1.near: argument 'a': ..."

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "primitive": self.primitive, "span": self.span, "message": self.message}


@dataclass(slots=True)
class RunSummary:
    """What a run did. `status` is "ok", "failed" or "cancelled"."""

    run: RunId
    status: str = "ok"
    computed: int = 0
    reused: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[Failure] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)  # printed lines, `label=value`
    saved: list[str] = field(default_factory=list)  # files written by `save` goals
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return {"ok": 0, "failed": 1, "cancelled": 130}.get(self.status, 1)

    def counts_line(self) -> str:
        text = f"run {self.run[:12]}: {self.computed} computed, {self.reused} reused"
        if self.failed:
            text += f", {self.failed} failed"
        if self.skipped:
            text += f", {self.skipped} skipped"
        return f"{text} in {self.seconds:.2f} s ({self.status})"

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "status": self.status,
            "computed": self.computed,
            "reused": self.reused,
            "failed": self.failed,
            "skipped": self.skipped,
            "failures": [f.to_json() for f in self.failures],
            "outputs": list(self.outputs),
            "saved": list(self.saved),
            "warnings": list(self.warnings),
            "seconds": round(self.seconds, 6),
        }
