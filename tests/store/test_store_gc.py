"""Garbage collection: what is kept (refs, newest runs, grace period, reachability) and what is freed."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from store_helpers import const_node

from voxcas.errors import UsageError
from voxcas.ids import RunId
from voxcas.store.gc import gc, parse_duration, parse_size
from voxcas.store.sqlite import SqliteStore


def make_run(store: SqliteStore, values: dict[int, object], started: float | None = None) -> RunId:
    """A finished run that computed `values` (node = const_node(key))."""
    nodes = [const_node(k) for k in values]
    run = store.start_run("p.imgql", None, [{"kind": "print", "target": "x", "node": nodes[0].id}])
    for node, value in zip(nodes, values.values(), strict=True):
        store.put_result(node, value, run=run)
    store.note_run_nodes(run, [(n.id, "computed") for n in nodes])
    store.finish_run(run, "ok", computed=len(nodes), reused=0, failed=0)
    if started is not None:
        with store.transaction() as conn:
            conn.execute("UPDATE runs SET started=? WHERE id=?", (started, run))
    return run


def test_results_of_old_unreferenced_runs_are_deleted_with_their_objects(sqlite_store: SqliteStore) -> None:
    old = make_run(sqlite_store, {1: ["old", "data"]}, started=1.0)
    new = make_run(sqlite_store, {2: "new"})
    report = gc(sqlite_store, keep_runs=1, grace=0)
    assert sqlite_store.lookup(const_node(1).id) is None
    assert sqlite_store.get(sqlite_store.lookup(const_node(2).id)) == "new"  # type: ignore[arg-type]
    assert (report.results_deleted, report.objects_deleted) == (1, 3)  # the list and its two items
    assert report.bytes_freed > 0 and not report.dry_run
    assert {r.id for r in sqlite_store.runs()} == {old, new}  # run history stays


def test_a_ref_keeps_a_run_alive_beyond_keep_runs(sqlite_store: SqliteStore) -> None:
    run = make_run(sqlite_store, {1: "tagged"}, started=1.0)
    make_run(sqlite_store, {2: "newer"})
    sqlite_store.tag("keep-me", run)
    gc(sqlite_store, keep_runs=0, grace=0)
    assert sqlite_store.lookup(const_node(1).id) is not None
    assert sqlite_store.lookup(const_node(2).id) is None


def test_the_grace_period_protects_young_results_and_objects(sqlite_store: SqliteStore) -> None:
    make_run(sqlite_store, {1: "young"})
    loose = sqlite_store.put("loose but young")
    report = gc(sqlite_store, keep_runs=0)  # default grace: one hour
    assert report.results_deleted == report.objects_deleted == 0
    assert sqlite_store.has(loose)


def test_older_than_spares_results_younger_than_the_limit(sqlite_store: SqliteStore) -> None:
    make_run(sqlite_store, {1: "recent"})
    with sqlite_store.transaction() as conn:  # a result from 40 days ago
        make_run(sqlite_store, {2: "ancient"})
        conn.execute(
            "UPDATE results SET created=? WHERE node=?", (time.time() - 40 * 86400, const_node(2).id)
        )
    gc(sqlite_store, keep_runs=0, grace=0, older_than=parse_duration("30d"))
    assert sqlite_store.lookup(const_node(1).id) is not None
    assert sqlite_store.lookup(const_node(2).id) is None


def test_a_dry_run_reports_without_deleting(sqlite_store: SqliteStore) -> None:
    make_run(sqlite_store, {1: "a"}, started=1.0)
    report = gc(sqlite_store, keep_runs=0, grace=0, dry_run=True)
    assert report.dry_run and report.results_deleted == 1 and report.objects_deleted == 1
    assert sqlite_store.lookup(const_node(1).id) is not None


def test_items_shared_with_a_kept_sequence_survive(sqlite_store: SqliteStore) -> None:
    make_run(sqlite_store, {1: ["shared", "only-old"]}, started=1.0)
    make_run(sqlite_store, {2: ["shared"]})
    shared, only_old = sqlite_store.get(sqlite_store.lookup(const_node(1).id)).digests  # type: ignore[arg-type]
    gc(sqlite_store, keep_runs=1, grace=0)
    assert sqlite_store.has(shared) and not sqlite_store.has(only_old)
    assert sorted(o.kind for o in sqlite_store.objects()) == ["scalar", "sequence"]


def test_max_size_deletes_the_oldest_kept_results_first_among_equally_cheap_ones(
    sqlite_store: SqliteStore,
) -> None:
    rng = np.random.default_rng(0)
    for i in range(4):  # the goal is a small number; the ~400 kB array an intermediate
        make_run(sqlite_store, {100 + i: i, i: rng.standard_normal(50_000)}, started=float(i + 1))
    report = gc(sqlite_store, keep_runs=10, grace=0, max_size=parse_size("900K"))
    kept = [i for i in range(4) if sqlite_store.lookup(const_node(i).id) is not None]
    assert kept == [2, 3]
    assert report.bytes_kept <= 900 * 1024


def test_gc_keeps_the_goals_and_noted_nodes_of_a_run_in_flight(sqlite_store: SqliteStore) -> None:
    make_run(sqlite_store, {5: "reused input"}, started=1.0)
    run = sqlite_store.start_run("p.imgql", None, [])
    sqlite_store.note_run_nodes(run, [(const_node(5).id, "reused")])
    gc(sqlite_store, keep_runs=0, grace=0)
    assert sqlite_store.lookup(const_node(5).id) is None  # grace 0: an in-flight run is not protected
    make_run(sqlite_store, {6: "input"}, started=1.0)
    run = sqlite_store.start_run("p.imgql", None, [])
    sqlite_store.note_run_nodes(run, [(const_node(6).id, "reused")])
    gc(sqlite_store, keep_runs=0, grace=3600)
    assert sqlite_store.lookup(const_node(6).id) is not None


def test_durations_and_sizes_parse() -> None:
    assert parse_duration("30d") == 30 * 86400
    assert parse_duration("90") == 90
    assert parse_duration("1.5h") == 5400
    assert parse_size("5G") == 5 << 30
    assert parse_size("512k") == 512 << 10
    assert parse_size("2MiB") == 2 << 20
    assert parse_size("100") == 100


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("thirty days", "invalid duration 'thirty days': use a number with s, m, h, d or w (e.g. 30d)"),
        ("5y", "invalid duration '5y': use a number with s, m, h, d or w (e.g. 30d)"),
    ],
)
def test_a_bad_duration_is_refused(text: str, message: str) -> None:
    with pytest.raises(UsageError) as exc:
        parse_duration(text)
    assert str(exc.value) == message


def test_a_bad_size_is_refused() -> None:
    with pytest.raises(UsageError) as exc:
        parse_size("lots")
    assert str(exc.value) == "invalid size 'lots': use a number with K, M, G or T (e.g. 5G)"


def test_gc_returns_freed_space_to_the_file_system(sqlite_store: SqliteStore) -> None:
    rng = np.random.default_rng(1)
    make_run(
        sqlite_store, {i: rng.standard_normal(500_000).astype(np.float32) for i in range(4)}, started=1.0
    )
    sqlite_store.checkpoint()
    before = bytes_on_disk(sqlite_store)
    report = gc(sqlite_store, keep_runs=0, grace=0)
    assert report.bytes_freed >= 8_000_000
    assert bytes_on_disk(sqlite_store) < before - 7_000_000


def bytes_on_disk(store: SqliteStore) -> int:
    """The database file plus every file of a blob directory (an oracle apart from the store)."""
    files = [store.db_path]
    if store.blobs.location:
        files += [p for p in Path(store.blobs.location).rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files)
