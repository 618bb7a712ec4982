"""Configuration of one `vox serve` process: where the store is, who may call, what programs may read.

A plain frozen dataclass (no pydantic, no fastapi) so the CLI can build it without importing the
web stack. `create_app(settings)` reads it once; nothing reads the environment behind its back
(the CLI maps `VOX_TOKEN` / `VOX_STORE` onto it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from voxcas.errors import UsageError
from voxcas.lang.budget import DEFAULT_MAX_NODES

if TYPE_CHECKING:
    from voxcas.store.base import Store

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Everything the HTTP app needs to know.

    - `store_path`: the store directory (None: the nearest `.vox/` above the working directory).
    - `store`: an already open store to use instead (tests, embedding); shared by every thread.
    - `token`: when set, every route except `/health` and the docs needs `Authorization: Bearer <token>`.
    - `data_roots`: directories programs submitted over HTTP may read files from (none: no file reads).
    - `out_root`: where `save` goals of HTTP runs write (one sub-directory per run); None refuses them.
    - `max_run_seconds`: a run still going after this is cancelled (reduction included).
    - `max_nodes`: a submitted program whose plan has more nodes is refused (None: no limit).
    - `max_body_bytes` / `max_bundle_bytes`: request size limits (bundle uploads get the larger one).
    - `run_workers`: how many runs execute at once; more wait in a queue.
    - `workers_per_run`: the executor's worker count for each run (None: its default).
    """

    store_path: Path | None = None
    store: Store | None = None
    token: str | None = None
    data_roots: tuple[Path, ...] = ()
    out_root: Path | None = None
    max_run_seconds: float = 3600.0
    max_nodes: int | None = DEFAULT_MAX_NODES
    max_body_bytes: int = 4 * MIB
    max_bundle_bytes: int = 1024 * MIB
    run_workers: int = 2
    workers_per_run: int | None = None

    def __post_init__(self) -> None:
        if self.max_run_seconds <= 0:
            raise UsageError(f"--max-run-seconds must be positive, got {self.max_run_seconds}")
        if self.max_nodes is not None and self.max_nodes < 1:
            raise UsageError(f"--max-nodes must be at least 1, got {self.max_nodes}")
        if self.max_body_bytes <= 0 or self.max_bundle_bytes <= 0:
            raise UsageError("request size limits must be positive")
        if self.run_workers < 1:
            raise UsageError(f"the run pool needs at least one worker, got {self.run_workers}")
        if self.token is not None and not self.token.strip():
            raise UsageError("--token is empty")

    @property
    def resolved_roots(self) -> tuple[Path, ...]:
        """The data roots as absolute, symlink-free paths (what reads are checked against)."""
        return tuple(Path(os.path.realpath(root)) for root in self.data_roots)
