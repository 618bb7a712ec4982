"""Bundles: export what roots reach, import it verified; damaged or foreign bundles change nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import apsw
import numpy as np
import pytest
from store_helpers import apply_node, const_node

from voxcas.errors import BundleError
from voxcas.ids import RunId
from voxcas.plan.nodes import PlanNode
from voxcas.store.bundle import closure_digests, export_bundle, import_bundle
from voxcas.store.fsck import fsck
from voxcas.store.sqlite import SqliteStore, digest_of_file


def make_program_run(store: SqliteStore) -> tuple[RunId, list[PlanNode]]:
    """A run computing a small dependency chain: a (input) → b = a + a → c = [b, image]."""
    a = const_node(1, label="a")
    b = apply_node("default.+", a.id, a.id, label="b")
    c = apply_node("default.list", b.id, label="c")
    run = store.start_run("p.imgql", None, [{"kind": "print", "target": "c", "node": c.id}])
    store.put_result(a, 1, run=run)
    store.put_result(b, 2, run=run)
    store.put_result(c, [2, np.arange(10_000, dtype=np.int32)], run=run)
    store.note_run_nodes(run, [(a.id, "computed"), (b.id, "computed"), (c.id, "computed")])
    store.finish_run(run, "ok", computed=3, reused=0, failed=0)
    return run, [a, b, c]


def snapshot(store: SqliteStore) -> dict[str, Any]:
    return {
        table: store.query(f"SELECT * FROM {table} ORDER BY 1, 2")
        for table in ("objects", "object_items", "nodes", "results", "runs", "run_nodes", "refs")
    }


@pytest.fixture
def other(tmp_path: Path) -> Any:
    store = SqliteStore(tmp_path / "other", create=True)
    yield store
    store.close()


def test_export_then_import_reproduces_the_results_with_imported_provenance(
    sqlite_store: SqliteStore, other: SqliteStore, tmp_path: Path
) -> None:
    run, nodes = make_program_run(sqlite_store)
    sqlite_store.tag("v1", run)
    path = tmp_path / "out.voxb"
    exported = export_bundle(sqlite_store, ["v1"], path)
    assert (exported.results, exported.runs, exported.refs, exported.objects) == (
        3,
        1,
        1,
        4,
    )  # 1, 2, the list (holding 2) and the array
    report = import_bundle(other, path)
    assert (report.objects_added, report.results_added, report.nodes_added, report.refs_added) == (4, 3, 3, 1)
    assert report.digest == digest_of_file(path)
    for node in nodes:
        assert other.lookup(node.id) == sqlite_store.lookup(node.id)
        result = other.result(node.id)
        assert result is not None and result.provenance == f"import:{report.digest}"
        assert result.bytes == sqlite_store.result(node.id).bytes  # type: ignore[union-attr]
        assert result.bytes is not None and result.bytes > 0
    assert other.refs() == {"v1": run}
    assert other.run_info(run).program == "p.imgql"
    assert fsck(other).ok


def test_importing_twice_adds_nothing_the_second_time(
    sqlite_store: SqliteStore, other: SqliteStore, tmp_path: Path
) -> None:
    run, _ = make_program_run(sqlite_store)
    export_bundle(sqlite_store, [run], tmp_path / "b.voxb")
    import_bundle(other, tmp_path / "b.voxb")
    again = import_bundle(other, tmp_path / "b.voxb")
    assert (again.objects_added, again.results_added, again.results_present, again.objects_present) == (
        0,
        0,
        3,
        4,
    )


def test_a_node_root_exports_only_its_result_unless_closure_is_asked(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    _, (_, _, c) = make_program_run(sqlite_store)
    assert export_bundle(sqlite_store, [c.id[:12]], tmp_path / "one.voxb").results == 1
    assert export_bundle(sqlite_store, [c.id], tmp_path / "all.voxb", closure=True).results == 3
    assert closure_digests(sqlite_store, [c.id]) == {
        sqlite_store.put([2, np.arange(10_000, dtype=np.int32)]),
        sqlite_store.put(2),
        sqlite_store.put(np.arange(10_000, dtype=np.int32)),
    }


def test_only_limits_the_objects_and_the_importer_finds_the_rest_locally(
    sqlite_store: SqliteStore, other: SqliteStore, tmp_path: Path
) -> None:
    run, (a, _, _) = make_program_run(sqlite_store)
    other.put(1)  # the peer already has a's value
    lacking = closure_digests(sqlite_store, [run]) - {other.put(1)}
    export_bundle(sqlite_store, [run], tmp_path / "thin.voxb", only=lacking)
    report = import_bundle(other, tmp_path / "thin.voxb")
    assert report.objects_added == len(lacking) and other.lookup(a.id) == other.put(1)


def test_export_leaves_no_temporary_file_and_replaces_atomically(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    run, _ = make_program_run(sqlite_store)
    export_bundle(sqlite_store, [run], tmp_path / "b.voxb")
    export_bundle(sqlite_store, [run], tmp_path / "b.voxb")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith("voxb") or "tmp" in p.name) == [
        "b.voxb"
    ]


def test_exporting_nothing_is_refused(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    with pytest.raises(BundleError) as exc:
        export_bundle(sqlite_store, [], tmp_path / "b.voxb")
    assert str(exc.value) == "nothing to export: name at least one run, ref, node or object"


# -- refused bundles change nothing ----------------------------------------------------------------


@pytest.fixture
def bundle(sqlite_store: SqliteStore, tmp_path: Path) -> Path:
    run, _ = make_program_run(sqlite_store)
    path = tmp_path / "good.voxb"
    export_bundle(sqlite_store, [run], path)
    return path


def refused(store: SqliteStore, path: Path) -> str:
    before = snapshot(store)
    with pytest.raises(BundleError) as exc:
        import_bundle(store, path)
    assert snapshot(store) == before
    return str(exc.value)


def test_a_foreign_file_is_refused(other: SqliteStore, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert refused(other, path) == f"{path} is not a voxcas bundle"


def test_a_foreign_sqlite_database_is_refused(other: SqliteStore, tmp_path: Path) -> None:
    path = tmp_path / "foreign.db"
    conn = apsw.Connection(str(path))
    conn.execute("CREATE TABLE t(x); INSERT INTO t VALUES(1)")
    conn.close()
    assert refused(other, path) == f"{path} is not a voxcas bundle"


def test_a_missing_file_is_refused_with_the_reason(other: SqliteStore, tmp_path: Path) -> None:
    path = tmp_path / "absent.voxb"
    assert refused(other, path) == f"cannot read bundle {path}: No such file or directory"


def test_a_truncated_bundle_is_refused(bundle: Path, other: SqliteStore) -> None:
    data = bundle.read_bytes()
    bundle.write_bytes(data[: len(data) // 2])
    message = refused(other, bundle)
    assert message.startswith(f"{bundle} is damaged")


def test_a_bundle_with_a_tampered_object_is_refused(bundle: Path, other: SqliteStore) -> None:
    conn = apsw.Connection(str(bundle))
    digest, data = conn.execute("SELECT digest, data FROM objects WHERE kind='scalar' LIMIT 1").fetchone()
    conn.execute("UPDATE objects SET data=? WHERE digest=?", (data.replace(b'"', b"'", 1), digest))
    conn.close()
    assert (
        refused(other, bundle)
        == f"{bundle}: object {digest} does not match its digest (damaged or tampered with)"
    )


def test_a_bundle_with_a_tampered_result_is_refused(bundle: Path, other: SqliteStore) -> None:
    conn = apsw.Connection(str(bundle))
    conn.execute("UPDATE results SET digest=(SELECT max(digest) FROM objects)")
    conn.close()
    assert refused(other, bundle) == (
        f"{bundle} is damaged or was tampered with: its manifest does not match its contents"
    )


def test_a_bundle_with_a_forged_node_is_refused_even_with_a_resealed_manifest(
    bundle: Path, other: SqliteStore
) -> None:
    from voxcas.store.bundle import _manifest

    conn = apsw.Connection(str(bundle))
    ident = conn.execute("SELECT id FROM nodes WHERE op='const'").fetchone()[0]
    forged = const_node(99).definition
    from voxcas.plan.identity import definition_to_json

    conn.execute("UPDATE nodes SET definition=? WHERE id=?", (definition_to_json(forged), ident))
    conn.execute("UPDATE meta SET value=? WHERE key='manifest'", (_manifest(conn),))
    conn.close()
    assert (
        refused(other, bundle)
        == f"{bundle}: node {ident} does not match its definition (damaged or tampered with)"
    )


def test_a_flipped_byte_anywhere_in_the_file_is_refused(bundle: Path, other: SqliteStore) -> None:
    data = bytearray(bundle.read_bytes())
    rng = np.random.default_rng(3)
    for _ in range(10):
        damaged = bytearray(data)
        damaged[int(rng.integers(100, len(data)))] ^= 0xFF
        bundle.write_bytes(bytes(damaged))
        before = snapshot(other)
        try:
            import_bundle(other, bundle)
        except BundleError:
            assert snapshot(other) == before
        else:  # the byte was in unused space (free page or padding): the import must be complete and sound
            assert fsck(other).ok
            with other.transaction() as conn:
                for table in ("objects", "object_items", "nodes", "results", "runs", "run_nodes", "refs"):
                    conn.execute(f"DELETE FROM {table}")


def test_a_bundle_path_with_odd_characters_round_trips(
    sqlite_store: SqliteStore, other: SqliteStore, tmp_path: Path
) -> None:
    run, _ = make_program_run(sqlite_store)
    path = tmp_path / "odd name ?#%.voxb"
    export_bundle(sqlite_store, [run], path)
    assert import_bundle(other, path).results_added == 3


def test_exporting_into_a_missing_directory_is_a_clear_error(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    run, _ = make_program_run(sqlite_store)
    target = tmp_path / "no" / "such" / "b.voxb"
    with pytest.raises(BundleError) as exc:
        export_bundle(sqlite_store, [run], target)
    assert str(exc.value) == f"cannot write bundle {target}: {target.parent} is not a directory"
