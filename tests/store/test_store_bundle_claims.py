"""Bundles are claims: forged structure, sizes and rows are refused before they are believed.

Every forged bundle is made by the test from a good export (apsw edits, then the manifest is
resealed, as an attacker who knows the format would), and each import must fail with a clear
message and change nothing in the store.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import apsw
import pytest
import zstandard
from store_helpers import apply_node, const_node

from voxcas.cli.app import main
from voxcas.errors import BundleError
from voxcas.ids import DIGEST_PREFIX
from voxcas.store.bundle import _manifest, export_bundle, import_bundle
from voxcas.store.schema import SCHEMA_VERSION
from voxcas.store.sqlite import SqliteStore


def snapshot(store: SqliteStore) -> dict[str, Any]:
    return {
        table: store.query(f"SELECT * FROM {table} ORDER BY 1, 2")
        for table in ("objects", "object_items", "nodes", "results", "runs", "run_nodes", "refs")
    }


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    with SqliteStore(tmp_path / "source", create=True) as store:
        a = const_node(1, label="a")
        b = apply_node("default.+", a.id, a.id, label="b")
        run = store.start_run("p.imgql", None, [{"kind": "print", "target": "b", "node": b.id}])
        store.put_result(a, 1, run=run)
        store.put_result(b, [2, 3], run=run)
        store.note_run_nodes(run, [(a.id, "computed"), (b.id, "computed")])
        store.finish_run(run, "ok", computed=2, reused=0, failed=0)
        store.tag("v1", run)
        path = tmp_path / "good.voxb"
        export_bundle(store, ["v1"], path)
    return path


@pytest.fixture
def other(tmp_path: Path) -> Any:
    store = SqliteStore(tmp_path / "other", create=True)
    yield store
    store.close()


def forge(path: Path, *sql: str, params: tuple[Any, ...] = ()) -> None:
    """Apply `sql` to the bundle, then reseal its manifest."""
    conn = apsw.Connection(str(path))
    for statement in sql:
        conn.execute(statement, params if "?" in statement else ())
    conn.execute("UPDATE meta SET value=? WHERE key='manifest'", (_manifest(conn),))
    conn.close()


def refused(store: SqliteStore, path: Path, **options: Any) -> str:
    before = snapshot(store)
    with pytest.raises(BundleError) as exc:
        import_bundle(store, path, **options)
    assert snapshot(store) == before
    return str(exc.value)


def test_the_good_bundle_imports(bundle: Path, other: SqliteStore) -> None:
    assert import_bundle(other, bundle).results_added == 2


def test_a_view_in_place_of_a_table_is_refused_before_it_is_read(
    bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the attack of issue 10: an endless recursive CTE that fills the temporary directory
    conn = apsw.Connection(str(bundle))
    conn.execute(
        "DROP TABLE object_items; CREATE VIEW object_items(parent, idx, child) AS "
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n) SELECT 'p', i, 'c' FROM n"
    )
    conn.close()
    store = tmp_path / "victim"
    SqliteStore(store, create=True).close()
    with pytest.raises(SystemExit) as stop:
        main(["--store", str(store), "import", str(bundle)])
    assert stop.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err == f"error: {bundle}: 'object_items' is a view, not a table: a bundle holds only plain tables"


def test_a_trigger_is_refused(bundle: Path, other: SqliteStore) -> None:
    forge(bundle, "CREATE TRIGGER t AFTER INSERT ON refs BEGIN DELETE FROM refs; END")
    assert (
        refused(other, bundle) == f"{bundle}: 't' is a trigger, not a table: a bundle holds only plain tables"
    )


def test_a_table_with_other_columns_is_refused(bundle: Path, other: SqliteStore) -> None:
    forge(bundle, "ALTER TABLE results ADD COLUMN extra TEXT")
    assert (
        refused(other, bundle)
        == f"{bundle}: table 'results' does not have the columns of schema version {SCHEMA_VERSION}"
    )


def test_an_unexpected_table_is_refused(bundle: Path, other: SqliteStore) -> None:
    forge(bundle, "CREATE TABLE surprise(x)")
    assert refused(other, bundle) == (
        f"{bundle} does not have the tables of schema version {SCHEMA_VERSION}: unexpected table 'surprise'"
    )


def _add_object(path: Path, data: bytes, *, declared: int | None = None) -> str:
    """Put a genuine zstd-compressed bytes object into the bundle (declared size: its real size)."""
    encoding = b"vox1 bytes     \n" + data
    import hashlib

    digest = DIGEST_PREFIX + hashlib.sha256(encoding).hexdigest()
    stored = zstandard.ZstdCompressor(level=1).compress(encoding)
    size = len(encoding) if declared is None else declared
    forge(
        path,
        "INSERT INTO objects(digest, kind, size, stored_size, codec, created, data) VALUES(?,?,?,?,?,?,?)",
        params=(digest, "bytes", size, len(stored), "zstd", time.time(), stored),
    )
    return digest


def test_an_object_larger_than_the_import_limit_is_refused(bundle: Path, other: SqliteStore) -> None:
    digest = _add_object(bundle, bytes(3 << 20))  # 3 MiB of zeros: a few hundred bytes compressed
    message = refused(other, bundle, max_object_bytes=1 << 20)
    assert message == (
        f"{bundle}: object {digest} declares {(3 << 20) + 16} bytes, more than the import limit of "
        f"{1 << 20} bytes"
    )


def test_an_object_decompressing_past_its_declared_size_is_refused(bundle: Path, other: SqliteStore) -> None:
    digest = _add_object(bundle, bytes(3 << 20), declared=1000)
    assert (
        refused(other, bundle)
        == f"{bundle}: object {digest} decompresses to more than its declared 1000 bytes"
    )


def test_a_run_dated_in_the_future_is_refused(bundle: Path, other: SqliteStore) -> None:
    year_3000 = 32503680000.0
    forge(bundle, "UPDATE runs SET started=?, finished=?", params=(year_3000, year_3000 + 1))
    run = other_run(bundle)
    assert refused(other, bundle) == f"{bundle}: run {run} is invalid: it starts in the future"


def other_run(path: Path) -> str:
    conn = apsw.Connection(str(path))
    try:
        return str(conn.execute("SELECT id FROM runs").fetchone()[0])
    finally:
        conn.close()


def test_a_result_dated_in_the_future_is_refused(bundle: Path, other: SqliteStore) -> None:
    forge(bundle, "UPDATE results SET created=32503680000.0")
    assert "is dated in the future or invalid" in refused(other, bundle)


def test_a_run_with_goals_that_are_not_json_is_refused(bundle: Path, other: SqliteStore) -> None:
    forge(bundle, "UPDATE runs SET goals='[{oops'")
    run = other_run(bundle)
    assert refused(other, bundle) == f"{bundle}: run {run} is invalid: its goals or options are not JSON"


def test_a_run_with_an_unknown_status_is_refused(bundle: Path, other: SqliteStore) -> None:
    forge(bundle, "UPDATE runs SET status='pwned'")
    run = other_run(bundle)
    assert refused(other, bundle) == f"{bundle}: run {run} is invalid: its status 'pwned' is unknown"


def test_an_invalid_ref_name_is_refused(bundle: Path, other: SqliteStore) -> None:
    forge(bundle, "UPDATE refs SET name='../../etc'")
    assert refused(other, bundle) == f"{bundle}: invalid ref name '../../etc'"


def test_a_dangling_ref_is_refused(bundle: Path, other: SqliteStore) -> None:
    forge(bundle, "UPDATE refs SET run='0123456789abcdef0123456789abcdef'")
    assert refused(other, bundle) == (
        f"{bundle}: ref 'v1' points at run '0123456789abcdef0123456789abcdef', which the bundle does not hold"
    )


def test_a_node_whose_op_is_not_its_definitions_is_refused(bundle: Path, other: SqliteStore) -> None:
    forge(bundle, "UPDATE nodes SET op='default.rm' WHERE op='const'")
    message = refused(other, bundle)
    assert message.endswith("claims op 'default.rm', but its definition is 'const'")


def test_a_node_with_a_forged_label_is_refused(bundle: Path, other: SqliteStore) -> None:
    forge(bundle, "UPDATE nodes SET label=? WHERE op='const'", params=("a\x1b[2J",))
    assert refused(other, bundle).endswith("has an invalid label")


def test_run_node_entries_of_a_run_the_bundle_does_not_hold_are_refused(
    bundle: Path, other: SqliteStore
) -> None:
    forge(bundle, "UPDATE run_nodes SET run='ffffffffffffffffffffffffffffffff'")
    assert "an entry of run 'ffffffffffffffffffffffffffffffff'" in refused(other, bundle)


def test_goals_that_are_json_but_not_a_list_are_refused(bundle: Path, other: SqliteStore) -> None:
    forge(bundle, "UPDATE runs SET goals=?", params=(json.dumps({"a": 1}),))
    assert refused(other, bundle).endswith("its goals are not a list of objects")
