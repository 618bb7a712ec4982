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
3. **Size cap** (`max_size`): while the objects kept by step 2 take more than `max_size` stored
   bytes, the oldest kept results are dropped (never those of ref'd runs nor those inside the grace
   period), then the mark is recomputed.
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

Run records, failures and refs are history and are never deleted by gc.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from typing import Any

from voxcas.errors import UsageError
from voxcas.store.lease import MARGIN_SECONDS, live_leases
from voxcas.store.sqlite import SqliteStore

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
    leases: int = 0  # live leases of runs in flight, whose work was kept

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_TEMP = """
CREATE TEMP TABLE IF NOT EXISTS gc_runs(id TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS gc_pin(node TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS gc_keep(node TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS gc_objs(digest TEXT PRIMARY KEY);
DELETE FROM gc_runs; DELETE FROM gc_pin; DELETE FROM gc_keep; DELETE FROM gc_objs;
"""

# nodes of the runs in `table` that keep results alive
_RUN_NODES = """
SELECT node FROM results WHERE run IN (SELECT id FROM {t})
UNION SELECT node FROM run_nodes WHERE status IN ('computed', 'reused') AND run IN (SELECT id FROM {t})
UNION SELECT json_extract(g.value, '$.node') FROM runs, json_each(runs.goals) AS g
      WHERE runs.id IN (SELECT id FROM {t}) AND json_extract(g.value, '$.node') IS NOT NULL
"""

_MARK_OBJECTS = """
DELETE FROM gc_objs;
INSERT INTO gc_objs
WITH RECURSIVE reach(d) AS (
    SELECT digest FROM results WHERE node IN (SELECT node FROM gc_keep)
    UNION SELECT digest FROM objects WHERE created >= ?1
    UNION SELECT digest FROM run_sources
    UNION SELECT json_extract(definition, '$[2]') FROM nodes
          WHERE json_extract(definition, '$[1]') = 'value' AND id IN (SELECT node FROM gc_keep)
    UNION SELECT child FROM object_items JOIN reach ON object_items.parent = reach.d
)
SELECT d FROM reach WHERE d IS NOT NULL;
"""


# the arguments of kept applications: the records of constants and closures (a reader's path) say
# what the application was given (vox show, vox status)
_ARGUMENTS = (
    "SELECT a.value FROM nodes AS k, json_each(k.definition, '$[4]') AS a "
    "WHERE k.id IN (SELECT node FROM gc_keep) AND json_extract(k.definition, '$[1]') = 'apply'"
)


def _one(conn: Any, sql: str, params: tuple[Any, ...] = ()) -> int:
    row = conn.execute(sql, params).fetchone()
    return int(row[0] or 0)


def gc(
    store: SqliteStore,
    *,
    keep_runs: int = DEFAULT_KEEP_RUNS,
    older_than: float | None = None,
    max_size: int | None = None,
    grace: float = DEFAULT_GRACE,
    dry_run: bool = False,
    now: float | None = None,
) -> GcReport:
    """Collect garbage as the module docstring says; return what was (or would be) freed."""
    if keep_runs < 0:
        raise UsageError(f"--keep-runs must be 0 or more, not {keep_runs}")
    keep_runs = min(keep_runs, _MAX_KEEP_RUNS)
    now = time.time() if now is None else now
    with store.transaction() as conn:
        # read under the write lock: a run that starts now takes its lease before it can write
        leases = live_leases(store.directory)
        grace_cut = min([now - grace, *(held.started - MARGIN_SECONDS for held in leases)])
        conn.execute(_TEMP)
        conn.execute("INSERT OR IGNORE INTO gc_runs SELECT run FROM refs")
        conn.executemany(
            "INSERT OR IGNORE INTO gc_runs VALUES(?)", [(held.run,) for held in leases if held.run]
        )
        conn.execute("INSERT OR IGNORE INTO gc_pin " + _RUN_NODES.format(t="gc_runs"))
        conn.execute(
            "INSERT OR IGNORE INTO gc_runs SELECT id FROM runs ORDER BY started DESC, rowid DESC LIMIT ?",
            (keep_runs,),
        )
        conn.execute(
            "INSERT OR IGNORE INTO gc_runs SELECT id FROM runs WHERE status = 'running' AND started >= ?",
            (grace_cut,),
        )
        conn.execute("INSERT OR IGNORE INTO gc_pin SELECT node FROM results WHERE created >= ?", (grace_cut,))
        conn.execute("INSERT OR IGNORE INTO gc_keep SELECT node FROM gc_pin")
        conn.execute("INSERT OR IGNORE INTO gc_keep " + _RUN_NODES.format(t="gc_runs"))
        if older_than is not None:
            conn.execute(
                "INSERT OR IGNORE INTO gc_keep SELECT node FROM results WHERE created >= ?",
                (now - older_than,),
            )
        conn.execute(_MARK_OBJECTS, (grace_cut,))
        kept_bytes = _one(
            conn, "SELECT sum(stored_size) FROM objects WHERE digest IN (SELECT digest FROM gc_objs)"
        )
        if max_size is not None and kept_bytes > max_size:
            candidates = [
                r[0]
                for r in conn.execute(
                    "SELECT node FROM results WHERE node IN (SELECT node FROM gc_keep) "
                    "AND node NOT IN (SELECT node FROM gc_pin) ORDER BY created, rowid"
                )
            ]
            step = max(1, len(candidates) // 20)
            while kept_bytes > max_size and candidates:
                batch, candidates = candidates[:step], candidates[step:]
                conn.executemany("DELETE FROM gc_keep WHERE node = ?", [(n,) for n in batch])
                conn.execute(_MARK_OBJECTS, (grace_cut,))
                kept_bytes = _one(
                    conn, "SELECT sum(stored_size) FROM objects WHERE digest IN (SELECT digest FROM gc_objs)"
                )
        dead_results = _one(conn, "SELECT count(*) FROM results WHERE node NOT IN (SELECT node FROM gc_keep)")
        dead_objects = _one(
            conn, "SELECT count(*) FROM objects WHERE digest NOT IN (SELECT digest FROM gc_objs)"
        )
        freed = _one(
            conn, "SELECT sum(stored_size) FROM objects WHERE digest NOT IN (SELECT digest FROM gc_objs)"
        )
        orphan_nodes = (
            "SELECT id FROM nodes WHERE id NOT IN (SELECT node FROM gc_keep) "
            "AND id NOT IN (SELECT node FROM run_nodes) AND id NOT IN (SELECT node FROM failures) "
            "AND id NOT IN (SELECT node FROM run_names) "
            f"AND id NOT IN ({_ARGUMENTS})"
        )
        dead_nodes = _one(conn, f"SELECT count(*) FROM ({orphan_nodes})")
        kept_runs = _one(conn, "SELECT count(*) FROM gc_runs")
        if not dry_run:
            conn.execute(f"DELETE FROM nodes WHERE id IN ({orphan_nodes})")
            conn.execute("DELETE FROM results WHERE node NOT IN (SELECT node FROM gc_keep)")
            conn.execute("DELETE FROM object_items WHERE parent NOT IN (SELECT digest FROM gc_objs)")
            conn.execute("DELETE FROM objects WHERE digest NOT IN (SELECT digest FROM gc_objs)")
        results_total = _one(conn, "SELECT count(*) FROM results")
        objects_total = _one(conn, "SELECT count(*) FROM objects")
        conn.execute(_TEMP)
    plans_deleted = blobs_deleted = 0
    if not dry_run:
        with store.transaction() as conn:
            list(conn.execute("PRAGMA incremental_vacuum"))  # it frees one page per step: run to the end
        store.checkpoint()
        blobs_deleted = store.sweep_blobs(grace_cut)
        from voxcas.plan import cache

        plans_deleted = cache.clear(store.directory)
    return GcReport(
        dry_run=dry_run,
        kept_runs=kept_runs,
        results_deleted=dead_results,
        objects_deleted=dead_objects,
        nodes_deleted=dead_nodes,
        bytes_freed=freed,
        results_kept=results_total - (dead_results if dry_run else 0),
        objects_kept=objects_total - (dead_objects if dry_run else 0),
        bytes_kept=kept_bytes,
        plans_deleted=plans_deleted,
        blobs_deleted=blobs_deleted,
        leases=len(leases),
    )
