"""What only the persistent store does: files, pragmas, schema versions, corruption on disk."""

from __future__ import annotations

from pathlib import Path

import apsw
import numpy as np
import pytest
from store_helpers import const_node

from voxcas.errors import CorruptObjectError, SchemaVersionError, StoreError, StoreNotFoundError
from voxcas.store.schema import SCHEMA_V1, SCHEMA_VERSION, TABLES
from voxcas.store.sqlite import SqliteStore


def flip_byte(store: SqliteStore, digest: str, offset: int = -1) -> None:
    """Corrupt an object on disk as a bad sector would: one byte of its stored data changes."""
    conn = apsw.Connection(str(store.db_path))
    (data,) = conn.execute("SELECT data FROM objects WHERE digest=?", (digest,)).fetchone()
    if not data:  # the bytes are a file of the blob directory
        conn.close()
        path = Path(store.blobs.location, digest[7:9], digest[9:])
        on_disk = bytearray(path.read_bytes())
        on_disk[offset] ^= 0x01
        path.write_bytes(on_disk)
        return
    data = bytearray(data)
    data[offset] ^= 0x01
    conn.execute("UPDATE objects SET data=? WHERE digest=?", (bytes(data), digest))
    conn.close()


def test_results_survive_closing_and_reopening(tmp_path: Path) -> None:
    node = const_node(1)
    with SqliteStore(tmp_path / "s", create=True) as store:
        digest = store.put_result(node, [1.5, "x"])
    with SqliteStore(tmp_path / "s") as store:
        assert store.lookup(node.id) == digest
        assert list(store.get(digest)) == [1.5, "x"]


def test_the_store_runs_in_wal_mode_with_a_busy_timeout(sqlite_store: SqliteStore) -> None:
    def pragma(name: str) -> list[tuple[object, ...]]:
        return list(sqlite_store.connection.execute(f"PRAGMA {name}"))

    assert pragma("journal_mode") == [("wal",)]
    assert pragma("synchronous") == [(1,)]  # NORMAL
    assert pragma("busy_timeout") == [(60000,)]
    assert sqlite_store.query("PRAGMA busy_timeout") == [(60000,)]  # the query connection too


def test_a_query_does_not_wait_for_another_threads_transaction_and_sees_the_last_commit(
    sqlite_store: SqliteStore,
) -> None:
    import threading

    sqlite_store.remember_fingerprint("a.nii.gz", "file:1:1:1:1:1", "f")
    inside = threading.Event()
    release = threading.Event()
    seen_inside: list[object] = []

    def writer() -> None:
        with sqlite_store.transaction() as conn:
            conn.execute("DELETE FROM fingerprints")
            seen_inside.extend(sqlite_store.query("SELECT count(*) FROM fingerprints"))  # its own change
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    assert inside.wait(10)
    try:
        assert sqlite_store.query("SELECT count(*) FROM fingerprints") == [(1,)]  # committed state, no wait
    finally:
        release.set()
        thread.join()
    assert seen_inside == [(0,)]
    assert sqlite_store.query("SELECT count(*) FROM fingerprints") == [(0,)]  # the commit, once made


def test_opening_a_missing_store_without_create_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreNotFoundError) as exc:
        SqliteStore(tmp_path / "nowhere")
    assert str(exc.value) == f"no voxcas store at {tmp_path / 'nowhere'} (missing store.db)"


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "store.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError) as exc:
        SqliteStore(tmp_path / "s")
    assert str(exc.value) == f"{tmp_path / 's' / 'store.db'} is not a voxcas store (not an SQLite database)"


def test_a_store_from_a_newer_schema_is_refused_naming_both_versions(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "s", create=True).close()
    conn = apsw.Connection(str(tmp_path / "s" / "store.db"))
    conn.execute("UPDATE meta SET value='7' WHERE key='schema_version'")
    conn.close()
    with pytest.raises(SchemaVersionError) as exc:
        SqliteStore(tmp_path / "s")
    assert str(exc.value) == (
        f"store at {tmp_path / 's'} was written by schema version 7; "
        f"this voxcas reads up to version {SCHEMA_VERSION} — upgrade voxcas"
    )


def test_a_version_1_store_is_migrated_forward_without_losing_data(tmp_path: Path) -> None:
    directory = tmp_path / "old"
    directory.mkdir()
    conn = apsw.Connection(str(directory / "store.db"))
    conn.execute(SCHEMA_V1)
    conn.execute("INSERT INTO meta VALUES('schema_version', '1')")
    conn.execute(
        "INSERT INTO runs(id, program, started, status, goals) VALUES(?,?,?,?,?)",
        ("a" * 32, "old.imgql", 1.0, "ok", "[]"),
    )
    conn.close()
    with SqliteStore(directory) as store:
        node = const_node(1)
        digest = store.put_result(node, "new")
        assert store.query("SELECT value FROM meta WHERE key='schema_version'") == [(str(SCHEMA_VERSION),)]
        old = store.run_info("a" * 32)  # type: ignore[arg-type]
        assert (old.program, old.status, old.options) == ("old.imgql", "ok", {})
        store.remember_fingerprint("/x", "file:1:2:2:3:4", "fp")  # the table v2 added, v3 keyed
        assert store.cached_fingerprint("/x", "file:1:2:2:3:4") == "fp"
        assert store.lookup(node.id) == digest


def test_a_version_5_store_learns_the_stored_bytes_of_each_existing_result(tmp_path: Path) -> None:
    from voxcas.store.schema import migrate

    directory = tmp_path / "v5"
    directory.mkdir()
    conn = apsw.Connection(str(directory / "store.db"))
    migrate(conn, str(directory), target=5)
    rows = [("sha256:a", 10), ("sha256:b", 200), ("sha256:s", 30), ("sha256:t", 7)]
    conn.executemany(
        "INSERT INTO objects(digest, kind, size, stored_size, codec, created, data) "
        "VALUES(?, 'scalar', ?2, ?2, 'none', 1.0, x'')",
        rows,
    )
    conn.executemany(  # s = [a, b, a]; t = [s, b]
        "INSERT INTO object_items(parent, idx, child) VALUES(?,?,?)",
        [("sha256:s", 0, "sha256:a"), ("sha256:s", 1, "sha256:b"), ("sha256:s", 2, "sha256:a"),
         ("sha256:t", 0, "sha256:s"), ("sha256:t", 1, "sha256:b")],
    )
    conn.executemany(
        "INSERT INTO results(node, digest, seconds, created, run, provenance) "
        "VALUES(?,?,2.0,1.0,NULL,'local')",
        [("n-a", "sha256:a"), ("n-s", "sha256:s"), ("n-t", "sha256:t"), ("n-gone", "sha256:gone")],
    )
    conn.close()
    with SqliteStore(directory) as store:
        assert dict(store.query("SELECT node, bytes FROM results")) == {
            "n-a": 10,
            "n-s": 30 + 10 + 200,
            "n-t": 7 + 30 + 10 + 200,
            "n-gone": None,
        }
        assert dict(store.query("SELECT node, seconds FROM results")) == dict.fromkeys(
            ("n-a", "n-s", "n-t", "n-gone"), 2.0
        )


def test_a_version_3_store_keeps_its_sequence_items_and_loses_only_their_child_index(tmp_path: Path) -> None:
    from voxcas.store.schema import migrate

    directory = tmp_path / "v3"
    directory.mkdir()
    conn = apsw.Connection(str(directory / "store.db"))
    migrate(conn, str(directory), target=3)
    conn.execute("INSERT INTO object_items(parent, idx, child) VALUES('p', 0, 'c')")
    index = "SELECT count(*) FROM sqlite_master WHERE name='object_items_child'"
    before = conn.execute(index).fetchall()
    conn.close()
    with SqliteStore(directory) as store:
        after = store.query(index)
        kept = store.query("SELECT parent, idx, child FROM object_items")
    with SqliteStore(tmp_path / "v3-filled", create=True) as fresh:
        digest = fresh.put([1, 2, 3])
        items = fresh.query("SELECT idx, child FROM object_items WHERE parent=? ORDER BY idx", (digest,))
        indexes = {r[0] for r in fresh.query("SELECT name FROM sqlite_master WHERE type='index'")}
    assert before == [(1,)] and after == [(0,)] and kept == [("p", 0, "c")]
    assert "object_items_child" not in indexes
    assert [i for i, _ in items] == [0, 1, 2]


def test_sqlite_utils_can_read_the_tables(tmp_path: Path) -> None:
    import sqlite_utils

    with SqliteStore(tmp_path / "s", create=True) as store:
        store.put_result(const_node(1), 1)
    db = sqlite_utils.Database(tmp_path / "s" / "store.db")
    assert set(TABLES) <= set(db.table_names())
    assert db["results"].count == 1
    db.close()


def test_a_flipped_byte_in_a_small_object_is_never_returned_as_data(sqlite_store: SqliteStore) -> None:
    digest = sqlite_store.put("precious value")
    flip_byte(sqlite_store, digest)
    with pytest.raises(CorruptObjectError) as exc:
        sqlite_store.get(digest)
    assert str(exc.value).startswith(f"object {digest} is corrupt: its content hashes to sha256:")


def test_a_flipped_byte_in_a_small_object_is_never_returned_by_a_batched_read(
    sqlite_store: SqliteStore,
) -> None:
    good, bad = sqlite_store.put("fine"), sqlite_store.put("precious value")
    flip_byte(sqlite_store, bad)
    with pytest.raises(CorruptObjectError) as exc:
        sqlite_store.get_many([good, bad])
    assert str(exc.value).startswith(f"object {bad} is corrupt: its content hashes to sha256:")


def test_a_flipped_byte_in_a_large_compressed_object_is_reported(sqlite_store: SqliteStore) -> None:
    digest = sqlite_store.put(np.tile(np.arange(1000, dtype=np.float64), 500))  # 4 MB, compressible
    assert sqlite_store.query("SELECT codec FROM objects WHERE digest=?", (digest,)) == [("zstd",)]
    flip_byte(sqlite_store, digest, offset=100)
    with pytest.raises(CorruptObjectError) as exc:
        sqlite_store.get(digest)
    assert str(exc.value).startswith(f"object {digest} is corrupt: ")


def test_a_flipped_byte_in_a_large_raw_object_is_reported(sqlite_store: SqliteStore) -> None:
    noise = np.random.default_rng(0).standard_normal(600_000).astype(np.float32)
    digest = sqlite_store.put(noise)
    assert sqlite_store.query("SELECT codec FROM objects WHERE digest=?", (digest,)) == [("none",)]
    assert np.array_equal(sqlite_store.get(digest), noise)
    flip_byte(sqlite_store, digest, offset=2_000_000)
    with pytest.raises(CorruptObjectError) as exc:
        sqlite_store.get(digest)
    assert str(exc.value).startswith(f"object {digest} is corrupt: its content hashes to sha256:")


def test_a_result_whose_object_is_missing_is_a_cache_miss(sqlite_store: SqliteStore) -> None:
    node = const_node(2)
    digest = sqlite_store.put_result(node, 2)
    with sqlite_store.transaction() as conn:
        conn.execute("DELETE FROM objects WHERE digest=?", (digest,))
    assert sqlite_store.lookup(node.id) is None


def test_a_failed_transaction_leaves_nothing_behind(sqlite_store: SqliteStore) -> None:
    with pytest.raises(RuntimeError), sqlite_store.transaction():
        sqlite_store.put_result(const_node(3), 3)
        raise RuntimeError("crash in the middle")
    assert list(sqlite_store.results()) == [] and list(sqlite_store.objects()) == []


def test_large_objects_keep_the_wal_small(sqlite_store: SqliteStore) -> None:
    rng = np.random.default_rng(0)
    for _ in range(6):
        sqlite_store.put(rng.standard_normal(2_500_000).astype(np.float32))  # 10 MB each
    sqlite_store.checkpoint()
    wal = sqlite_store.db_path.with_name("store.db-wal")
    assert not wal.exists() or wal.stat().st_size < 16 << 20


def test_a_store_used_after_fork_refuses_instead_of_corrupting(sqlite_store: SqliteStore) -> None:
    import os

    sqlite_store.put("before the fork")
    pid = os.fork()
    if pid == 0:  # the child: using the parent's connection must fail cleanly
        try:
            sqlite_store.put("from the child")
        except StoreError as exc:
            os._exit(0 if "was used in the forked process" in str(exc) else 2)
        os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert sqlite_store.get(sqlite_store.put("parent still works")) == "parent still works"


def test_a_store_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a directory should be")
    with pytest.raises(StoreError) as exc:
        SqliteStore(blocker / ".vox", create=True)
    assert str(exc.value) == f"cannot create a store at {blocker / '.vox'}: Not a directory"
