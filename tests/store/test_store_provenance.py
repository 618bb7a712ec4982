"""What the persistent store keeps of a run's provenance: the v4 migration, and gc sparing it."""

from __future__ import annotations

from pathlib import Path

import apsw
from store_helpers import const_node

from voxcas.ids import RunId
from voxcas.plan.identity import node_id
from voxcas.plan.nodes import Apply, Const, PlanNode
from voxcas.store.gc import gc
from voxcas.store.schema import SCHEMA_VERSION, migrate
from voxcas.store.sqlite import SqliteStore


def test_a_version_3_store_gains_the_provenance_tables_and_keeps_its_runs(tmp_path: Path) -> None:
    directory = tmp_path / "v3"
    directory.mkdir()
    conn = apsw.Connection(str(directory / "store.db"))
    migrate(conn, "v3", target=3)
    conn.execute(
        "INSERT INTO runs(id, program, started, status, goals) VALUES(?,?,?,?,?)",
        ("b" * 32, "old.imgql", 1.0, "ok", "[]"),
    )
    conn.close()
    with SqliteStore(directory) as store:
        assert store.query("SELECT value FROM meta WHERE key='schema_version'") == [(str(SCHEMA_VERSION),)]
        old = RunId("b" * 32)
        assert store.run_info(old).program == "old.imgql"
        assert (store.run_sources(old), store.run_names(old)) == ([], {})
        names = {"x": const_node(1).id}
        new = store.start_run("p.imgql", None, [], sources=[("p.imgql", "x = 1\n")], names=names)
        assert store.get(store.run_sources(new)[0].digest) == "x = 1\n"


def test_gc_never_deletes_the_code_of_a_run_nor_the_paths_a_kept_reader_read(
    sqlite_store: SqliteStore,
) -> None:
    path = PlanNode(node_id(Const("str", "a.txt")), Const("str", "a.txt"))
    reader_def = Apply("default.load", "1", (path.id,), "sha256:" + "0" * 64)
    reader = PlanNode(node_id(reader_def), reader_def)
    old = sqlite_store.start_run("p.imgql", None, [], sources=[("p.imgql", "old program\n")])
    sqlite_store.finish_run(old, "ok", computed=0, reused=0, failed=0)
    with sqlite_store.transaction() as conn:
        conn.execute("UPDATE runs SET started=1 WHERE id=?", (old,))
    run = sqlite_store.start_run("p.imgql", None, [], names={"t": const_node(5).id})
    sqlite_store.put_nodes([path, const_node(5)])
    sqlite_store.put_result(reader, "content", run=run)
    sqlite_store.note_run_nodes(run, [(reader.id, "computed")])
    sqlite_store.finish_run(run, "ok", computed=1, reused=0, failed=0)
    gc(sqlite_store, keep_runs=1, grace=0)
    assert sqlite_store.get(sqlite_store.run_sources(old)[0].digest) == "old program\n"
    assert sqlite_store.node(path.id).op == "const"  # the path argument of a kept reader
    assert sqlite_store.node(const_node(5).id).op == "const"  # a name the run declared


def test_a_bundle_carries_a_runs_code_and_names_to_another_store(tmp_path: Path) -> None:
    from voxcas.store.bundle import export_bundle, import_bundle

    with SqliteStore(tmp_path / "a", create=True) as source:
        node = const_node(3)
        run = source.start_run("p.imgql", None, [], sources=[("p.imgql", "x = 3\n")], names={"x": node.id})
        source.put_result(node, 3, run=run)
        source.note_run_nodes(run, [(node.id, "computed")])
        source.finish_run(run, "ok", computed=1, reused=0, failed=0)
        export_bundle(source, [run], tmp_path / "run.voxb")
    with SqliteStore(tmp_path / "b", create=True) as target:
        import_bundle(target, tmp_path / "run.voxb")
        (code,) = target.run_sources(run)
        assert (code.path, target.get(code.digest)) == ("p.imgql", "x = 3\n")
        assert target.run_names(run) == {"x": node.id}
