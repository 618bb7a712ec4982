"""The SQLite schema of a store (and of a bundle), its version, and forward migrations.

`SCHEMA_VERSION` is the version this voxcas writes. A database records its version in
`meta.schema_version`. `migrate(conn)`:

- creates the current schema in an empty database;
- upgrades an older database step by step (`MIGRATIONS[v]` turns version v-1 into v) inside ONE
  `BEGIN IMMEDIATE` transaction: every step only adds tables, columns or indexes and copies data,
  never drops any data (v5 drops an index, which holds none); a failing step rolls everything
  back and the store stays at its old version;
- refuses a newer database with `SchemaVersionError` naming both versions.

History:
- v1: objects, object_items, nodes, results, failures, runs, run_nodes, refs.
- v2: `fingerprints` (file fingerprints cached by path/size/mtime) and `runs.options`.
- v3: `fingerprints.stamp`: the cache is keyed by the whole stat state (size, mtime, ctime,
  inode, device: `voxcas.plan.filestate`); rows from v2 have an empty stamp and never match, so
  their files are hashed once more.
- v4: provenance. `run_sources` (a run's program text and every file it imported, as objects:
  content-addressed, shared between runs) and `run_names` (its top-level names -> node ids),
  so `vox show RUN --program` prints the code that ran and `RUN:NAME` addresses a value. Runs
  recorded before v4 simply have no rows there.
- v5: the index `object_items_child` is dropped: no query looks items up by child (gc walks
  parent → child on the primary key; fsck's dangling-item check scans the table either way),
  and it was a sixth of a store of 10,000 loop results (bench/bench_perf.py).
- v6: `results.bytes`: the stored bytes a result holds (its object and, transitively, the items
  of a sequence or mapping), beside `results.seconds` (its compute time), so gc can weigh what a
  result saves against what it costs to keep (`voxcas.store.retention`). The migration fills it
  in for every existing result.
"""

from __future__ import annotations

from typing import Any

from voxcas.errors import SchemaVersionError

SCHEMA_VERSION = 6

# The first released layout, kept verbatim: migrations start from it and the migration test
# builds a v1 database from it.
SCHEMA_V1 = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE objects(
    digest TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    size INTEGER NOT NULL,
    stored_size INTEGER NOT NULL,
    codec TEXT NOT NULL,
    created REAL NOT NULL,
    data BLOB NOT NULL  -- last: reading the other columns never walks a large blob's pages
);
CREATE INDEX objects_created ON objects(created);
CREATE TABLE object_items(
    parent TEXT NOT NULL,
    idx INTEGER NOT NULL,
    child TEXT NOT NULL,
    PRIMARY KEY(parent, idx)
) WITHOUT ROWID;
CREATE INDEX object_items_child ON object_items(child);
CREATE TABLE nodes(
    id TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    op TEXT,
    span TEXT,
    label TEXT
);
CREATE TABLE results(
    node TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    seconds REAL NOT NULL,
    created REAL NOT NULL,
    run TEXT,
    provenance TEXT NOT NULL
);
CREATE INDEX results_digest ON results(digest);
CREATE INDEX results_created ON results(created);
CREATE TABLE failures(
    node TEXT NOT NULL,
    run TEXT NOT NULL,
    message TEXT NOT NULL,
    traceback TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY(node, run)
);
CREATE TABLE runs(
    id TEXT PRIMARY KEY,
    program TEXT NOT NULL,
    program_digest TEXT,
    started REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL,
    computed INTEGER NOT NULL DEFAULT 0,
    reused INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    goals TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX runs_started ON runs(started);
CREATE TABLE run_nodes(
    run TEXT NOT NULL,
    node TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY(run, node)
) WITHOUT ROWID;
CREATE TABLE refs(name TEXT PRIMARY KEY, run TEXT NOT NULL);
"""

MIGRATION_V2 = """
CREATE TABLE fingerprints(
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    fingerprint TEXT NOT NULL
);
ALTER TABLE runs ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
"""

MIGRATION_V3 = """
ALTER TABLE fingerprints ADD COLUMN stamp TEXT NOT NULL DEFAULT '';
"""

MIGRATION_V4 = """
CREATE TABLE run_sources(
    run TEXT NOT NULL,
    idx INTEGER NOT NULL,  -- 0: the program itself; then imported files in the order first read
    path TEXT NOT NULL,  -- as shown (the program as given; imports relative to their importer)
    digest TEXT NOT NULL,  -- the object holding the text
    PRIMARY KEY(run, idx)
) WITHOUT ROWID;
CREATE INDEX run_sources_digest ON run_sources(digest);
CREATE TABLE run_names(
    run TEXT NOT NULL,
    name TEXT NOT NULL,
    node TEXT NOT NULL,
    PRIMARY KEY(run, name)
) WITHOUT ROWID;
CREATE INDEX run_names_node ON run_names(node);
"""

MIGRATION_V5 = """
DROP INDEX IF EXISTS object_items_child;
"""

# The stored bytes of a result: its object and every object it reaches through items (an item
# shared twice counts once); NULL while the object is absent. Appended to "UPDATE results SET
# bytes = ... WHERE ..." by the writers (sqlite.py, bundle.py) and the v6 migration.
RESULT_BYTES = """(
    WITH RECURSIVE reach(d) AS (
        SELECT results.digest
        UNION SELECT child FROM object_items JOIN reach ON object_items.parent = reach.d
    )
    SELECT sum(stored_size) FROM objects WHERE digest IN (SELECT d FROM reach)
)"""

MIGRATION_V6 = f"""
ALTER TABLE results ADD COLUMN bytes INTEGER;
UPDATE results SET bytes = {RESULT_BYTES};
"""

MIGRATIONS: dict[int, str] = {
    1: SCHEMA_V1,
    2: MIGRATION_V2,
    3: MIGRATION_V3,
    4: MIGRATION_V4,
    5: MIGRATION_V5,
    6: MIGRATION_V6,
}

RUN_COLUMNS = (
    "id, program, program_digest, started, finished, status, computed, reused, failed, goals, options"
)

TABLES = (
    "meta",
    "objects",
    "object_items",
    "nodes",
    "results",
    "failures",
    "runs",
    "run_nodes",
    "refs",
    "fingerprints",
    "run_sources",
    "run_names",
)


def read_version(conn: Any) -> int:
    """The schema version of a database (0 when it has no voxcas tables yet)."""
    has_meta = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'"
    ).fetchone()[0]
    if not has_meta:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row else 0


def check_version(version: int, where: str) -> None:
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"store at {where} was written by schema version {version}; this voxcas reads up to "
            f"version {SCHEMA_VERSION} — upgrade voxcas"
        )


def migrate(conn: Any, where: str, *, target: int = SCHEMA_VERSION) -> int:
    """Bring the database to `target` (default: current) in one transaction; return the old version."""
    version = read_version(conn)
    check_version(version, where)
    if version >= target:
        return version
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = read_version(conn)  # another process may have migrated while we waited
        check_version(version, where)
        start = version
        for step in range(version + 1, target + 1):
            conn.execute(MIGRATIONS[step])
            conn.execute(
                "INSERT INTO meta(key, value) VALUES('schema_version', ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (str(step),),
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return start
