"""Garbage collection: delete results nobody keeps and the objects no kept result reaches.

Mark and sweep, in ONE write transaction (writers wait for it; readers never block):

0. **Leases** (`voxcas.store.lease`): every run in flight holds one. The grace period is
   extended back to the start of the oldest live lease, so steps 2 and 4 keep every result and
   object written since then; a lease of a process that is gone is deleted, not obeyed.
1. **Kept runs**: every run a ref points at, the newest `keep_runs` runs, runs that hold a live
   lease, and runs still marked `running` that started within the grace period.
2. **Kept results**: results computed by a kept run, nodes a kept run noted as computed or reused
   (`run_nodes`), the goal nodes of kept runs, every result younger than the grace period, and,
   with `older_than`, every result younger than that.
   With the retention policy `keep="goals"` (`voxcas.store.retention`), of a kept run's results
   only its goals and those saving at least `min_saving` seconds per stored byte are kept.
   A `settle` run (`vox run --keep goals`, at its end) is finished: its young results and the
   objects they reach are judged by the policy, not spared by the grace period.
3. **Size cap** (`max_size`): while the objects kept by step 2 take more than `max_size` stored
   bytes, kept results are dropped in order of least seconds saved per byte, the oldest first
   among equals (never the goals of kept runs, nor, with `keep="all"`, the results of ref'd runs,
   unless `force`; never those inside the grace period), then the mark is recomputed.
4. **Kept objects**: the digests of kept results, values named by kept `value` nodes, objects younger
   than the grace period, the program and imported texts of every run (`run_sources`: history),
   and, transitively, every item of a kept sequence or mapping.
5. **Sweep** (unless `dry_run`): delete the other results, objects and their item rows, and node
   records that no result, run, run name or failure mentions (nor the constant and closure
   arguments of a kept application: a reader's path, which `vox show` prints). Then an
   incremental vacuum returns free pages to the file system and a TRUNCATE checkpoint empties
   the WAL.
6. **Blob files** (a store with `vox init --blobs DIR`): files of the blob directory that no object
   row names and that were not modified within the grace period are deleted (the bytes of objects
   just swept, blobs a worker wrote but nobody indexed, temporary files of a killed writer).
   The files of a `settle` run's own objects that were just swept go at once (`drop_blobs`).

Run records, failures and refs are history and are never deleted by gc.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from typing import Any

from voxcas.errors import UsageError
from voxcas.ids import Digest, RunId
from voxcas.store.retention import Dropped, Retention
from voxcas.store.sqlite import SqliteStore
from voxcas.store.sqlite_gc import mark_and_sweep, vacuum

__all__ = [
    "DEFAULT_GRACE",
    "DEFAULT_KEEP_RUNS",
    "Dropped",
    "GcReport",
    "gc",
    "parse_duration",
    "parse_size",
    "settle_run",
]

DEFAULT_KEEP_RUNS = 5
DEFAULT_GRACE = 3600.0  # seconds

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SIZES = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_FOREVER = 10_000 * 365.25 * 86400  # seconds: any longer duration is a mistake
_FOREVER_TEXT = "10,000 years"
_MAX_SIZE = float(1 << 63)  # SQLite integers are 64-bit
_MAX_KEEP_RUNS = (1 << 63) - 1  # keeping more runs than SQLite can count keeps them all


def parse_duration(text: str) -> float:
    """`90s`, `15m`, `12h`, `30d`, `2w` (a bare number is seconds) → seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text.lower())
    if not match:
        raise UsageError(f"invalid duration '{text}': use a number with s, m, h, d or w (e.g. 30d)")
    seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds > _FOREVER:
        raise UsageError(f"invalid duration '{text}': more than {_FOREVER_TEXT}")
    return seconds


def parse_size(text: str) -> int:
    """`500M`, `5G`, `1.5T`, `100k`, `4096` (bytes; powers of 1024) → bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*", text.lower())
    if not match:
        raise UsageError(f"invalid size '{text}': use a number with K, M, G or T (e.g. 5G)")
    size = float(match.group(1)) * _SIZES[match.group(2)]
    if size > _MAX_SIZE:
        raise UsageError(f"invalid size '{text}': more than 8 EiB")
    return int(size)


@dataclass(frozen=True, slots=True)
class GcReport:
    dry_run: bool
    kept_runs: int
    results_deleted: int
    objects_deleted: int
    nodes_deleted: int
    bytes_freed: int  # stored (compressed) bytes of the deleted objects
    results_kept: int
    objects_kept: int
    bytes_kept: int
    plans_deleted: int = 0  # reduction-cache entries (voxcas.plan.cache), rebuilt by the next run
    blobs_deleted: int = 0  # files of a blob directory that no object row names any more
    keep: str = "all"  # the retention policy applied (voxcas.store.retention)
    min_saving: float = 0.0  # seconds saved per stored byte a result needed to stay (keep="goals")
    fits: bool | None = None  # with max_size: whether the kept objects fit under it
    dropped: tuple[Dropped, ...] = ()  # results of kept runs let go, largest first
    leases: int = 0  # live leases of runs in flight, whose work was kept (voxcas.store.lease)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def gc(
    store: SqliteStore,
    *,
    keep_runs: int = DEFAULT_KEEP_RUNS,
    older_than: float | None = None,
    max_size: int | None = None,
    grace: float = DEFAULT_GRACE,
    dry_run: bool = False,
    now: float | None = None,
    retention: Retention | None = None,
    settle: RunId | None = None,
    clear_plans: bool = True,
) -> GcReport:
    """Collect garbage as the module docstring says; return what was (or would be) freed.

    `retention` is the policy (default: keep everything a kept run has); `settle` a finished run
    whose young results the policy judges despite the grace period; `clear_plans=False` leaves
    the reduction cache alone (a run's own gc: the entries stay valid)."""
    if keep_runs < 0:
        raise UsageError(f"--keep-runs must be 0 or more, not {keep_runs}")
    if max_size is not None and max_size < 0:
        raise UsageError(f"--max-size must be 0 or more, not {max_size}")
    policy = retention or Retention()
    keep_runs = min(keep_runs, _MAX_KEEP_RUNS)
    now = time.time() if now is None else now
    grace_cut = now - grace
    swept = mark_and_sweep(
        store,
        keep_runs=keep_runs,
        older_than=older_than,
        max_size=max_size,
        grace_cut=grace_cut,
        now=now,
        dry_run=dry_run,
        retention=policy,
        settle=settle,
    )
    plans_deleted = blobs_deleted = 0
    if not dry_run:
        vacuum(store)
        blobs_deleted = store.sweep_blobs(swept.grace_cut)
        if swept.settled_dead:  # the settled run's own objects: no grace to wait for
            blobs_deleted += store.drop_blobs([Digest(d) for d in swept.settled_dead])
        from voxcas.plan import cache

        plans_deleted = cache.clear(store.directory) if clear_plans else 0
    return GcReport(
        dry_run=dry_run,
        kept_runs=swept.kept_runs,
        results_deleted=swept.results_deleted,
        objects_deleted=swept.objects_deleted,
        nodes_deleted=swept.nodes_deleted,
        bytes_freed=swept.bytes_freed,
        results_kept=swept.results_total - (swept.results_deleted if dry_run else 0),
        objects_kept=swept.objects_total - (swept.objects_deleted if dry_run else 0),
        bytes_kept=swept.bytes_kept,
        plans_deleted=plans_deleted,
        blobs_deleted=blobs_deleted,
        keep=policy.keep,
        min_saving=policy.min_saving if policy.keep == "goals" else 0.0,
        fits=None if max_size is None else swept.bytes_kept <= max_size,
        dropped=swept.dropped,
        leases=swept.leases,
    )


def settle_run(
    store: SqliteStore, run: RunId, retention: Retention, *, grace: float = DEFAULT_GRACE
) -> GcReport:
    """The policy applied at the end of a run (`vox run --keep goals`): every run is kept (nothing
    is collected for age or count), the policy judges every kept run's results, this finished
    run's own young ones included, while other runs' results younger than `grace` stay (runs in
    flight). The reduction cache is left alone: its entries stay valid."""
    return gc(
        store,
        keep_runs=_MAX_KEEP_RUNS,
        grace=grace,
        retention=retention,
        settle=run,
        clear_plans=False,
    )
