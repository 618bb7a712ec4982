"""The SQLite side of garbage collection: the marking and deleting statements over the index.

`voxcas.store.gc` owns the policy (what is kept, the report, the blob sweep through Store
methods); this module owns the SQL that applies it to the tables of a `SqliteStore`, in one
transaction: temporary tables of the runs kept (`gc_runs`), the results pinned (`gc_pin`:
ref'd runs, the grace period) and kept (`gc_keep`), and the objects kept (`gc_objs`, every
object a kept result, a kept value node or a run's code reaches, and every object younger than
the grace period), then the deletion of the rest. The retention policy (`voxcas.store.retention`)
adds `gc_goals` (the goals of kept runs), `gc_owned` (every node a kept run has) and
`gc_settled` (the objects of a finished run whose young results the policy judges).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voxcas.ids import RunId
from voxcas.store.lease import MARGIN_SECONDS, live_leases
from voxcas.store.retention import Dropped, Retention
from voxcas.store.sqlite import SqliteStore

_TEMP = """
CREATE TEMP TABLE IF NOT EXISTS gc_runs(id TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS gc_pin(node TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS gc_keep(node TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS gc_objs(digest TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS gc_goals(node TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS gc_owned(node TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS gc_settled(digest TEXT PRIMARY KEY);
DELETE FROM gc_runs; DELETE FROM gc_pin; DELETE FROM gc_keep; DELETE FROM gc_objs;
DELETE FROM gc_goals; DELETE FROM gc_owned; DELETE FROM gc_settled;
"""

# the goal nodes of the runs in gc_runs
_GOALS = """
SELECT json_extract(g.value, '$.node') FROM runs, json_each(runs.goals) AS g
WHERE runs.id IN (SELECT id FROM gc_runs) AND json_extract(g.value, '$.node') IS NOT NULL
"""

# every object the results of one run reach (a settled run's: the grace does not spare them)
_SETTLED = """
INSERT OR IGNORE INTO gc_settled
WITH RECURSIVE reach(d) AS (
    SELECT digest FROM results WHERE run = ?1
    UNION SELECT child FROM object_items JOIN reach ON object_items.parent = reach.d
)
SELECT d FROM reach WHERE d IS NOT NULL
"""

# seconds saved per stored byte by a result row (an unknown or empty size counts as one byte)
_WORTH = "(results.seconds / max(coalesce(results.bytes, 1), 1))"

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
    UNION SELECT digest FROM objects WHERE created >= ?1 AND digest NOT IN (SELECT digest FROM gc_settled)
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


@dataclass(frozen=True, slots=True)
class Sweep:
    """What `mark_and_sweep` found (and, unless a dry run, deleted) in the index."""

    kept_runs: int
    results_deleted: int
    objects_deleted: int
    nodes_deleted: int
    bytes_freed: int
    results_total: int
    objects_total: int
    bytes_kept: int
    dropped: tuple[Dropped, ...] = ()
    settled_dead: tuple[str, ...] = ()  # objects of the settled run deleted (their blobs go at once)
    grace_cut: float = 0.0  # the cut applied: the grace period's, or the oldest live lease's start
    leases: int = 0  # live leases obeyed


def mark_and_sweep(
    store: SqliteStore,
    *,
    keep_runs: int,
    older_than: float | None,
    max_size: int | None,
    grace_cut: float,
    now: float,
    dry_run: bool,
    retention: Retention,
    settle: RunId | None = None,
) -> Sweep:
    """Mark what `voxcas.store.gc` keeps and (unless `dry_run`) delete the rest, in one transaction."""
    policy = retention
    with store.transaction() as conn:
        # runs in flight (voxcas.store.lease), read under the write lock: a run that starts now
        # takes its lease before it can write; what was written since the oldest began is kept
        leases = [held for held in live_leases(store.directory) if settle is None or held.run != settle]
        grace_cut = min([grace_cut, *(held.started - MARGIN_SECONDS for held in leases)])
        conn.execute(_TEMP)
        if settle is not None:
            conn.execute(_SETTLED, (settle,))
        conn.execute("INSERT OR IGNORE INTO gc_runs SELECT run FROM refs")
        conn.executemany("INSERT OR IGNORE INTO gc_runs VALUES(?)", [(h.run,) for h in leases if h.run])
        if policy.keep == "all" and not policy.force:
            conn.execute("INSERT OR IGNORE INTO gc_pin " + _RUN_NODES.format(t="gc_runs"))
        conn.execute(
            "INSERT OR IGNORE INTO gc_runs SELECT id FROM runs ORDER BY started DESC, rowid DESC LIMIT ?",
            (keep_runs,),
        )
        conn.execute(
            "INSERT OR IGNORE INTO gc_runs SELECT id FROM runs WHERE status = 'running' AND started >= ?",
            (grace_cut,),
        )
        conn.execute(
            "INSERT OR IGNORE INTO gc_pin SELECT node FROM results WHERE created >= ? "
            "AND (?2 IS NULL OR run IS NULL OR run != ?2)",
            (grace_cut, settle),
        )
        conn.execute("INSERT OR IGNORE INTO gc_goals " + _GOALS)
        if not policy.force:
            conn.execute("INSERT OR IGNORE INTO gc_pin SELECT node FROM gc_goals")
        conn.execute("INSERT OR IGNORE INTO gc_keep SELECT node FROM gc_pin")
        conn.execute("INSERT OR IGNORE INTO gc_owned " + _RUN_NODES.format(t="gc_runs"))
        if policy.keep == "all":
            conn.execute("INSERT OR IGNORE INTO gc_keep SELECT node FROM gc_owned")
        else:
            conn.execute("INSERT OR IGNORE INTO gc_keep SELECT node FROM gc_goals")
            conn.execute(
                "INSERT OR IGNORE INTO gc_keep SELECT node FROM results "
                f"WHERE node IN (SELECT node FROM gc_owned) AND {_WORTH} >= ?",
                (policy.min_saving,),
            )
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
                    f"AND node NOT IN (SELECT node FROM gc_pin) ORDER BY {_WORTH}, created, rowid"
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
        dropped = tuple(
            Dropped(str(n), op, label, float(sec), None if b is None else int(b))
            for n, op, label, sec, b in conn.execute(
                "SELECT results.node, nodes.op, nodes.label, results.seconds, results.bytes "
                "FROM results LEFT JOIN nodes ON nodes.id = results.node "
                "WHERE results.node IN (SELECT node FROM gc_owned) "
                "AND results.node NOT IN (SELECT node FROM gc_keep) "
                "ORDER BY coalesce(results.bytes, 0) DESC, results.node"
            )
        )
        settled_dead = tuple(
            str(r[0])
            for r in conn.execute(
                "SELECT digest FROM gc_settled WHERE digest NOT IN (SELECT digest FROM gc_objs)"
            )
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
    return Sweep(
        kept_runs=kept_runs,
        results_deleted=dead_results,
        objects_deleted=dead_objects,
        nodes_deleted=dead_nodes,
        bytes_freed=freed,
        results_total=results_total,
        objects_total=objects_total,
        bytes_kept=kept_bytes,
        dropped=dropped,
        settled_dead=settled_dead,
        grace_cut=grace_cut,
        leases=len(leases),
    )


def vacuum(store: SqliteStore) -> None:
    """Give the pages freed by a sweep back to the file system, then truncate the WAL."""
    with store.transaction() as conn:
        list(conn.execute("PRAGMA incremental_vacuum"))  # it frees one page per step: run to the end
    store.checkpoint()
