"""fsck finds every kind of damage and reports it; a healthy store passes."""

from __future__ import annotations

import numpy as np
from store_helpers import apply_node, const_node
from test_store_sqlite import flip_byte

from voxcas.store.fsck import fsck
from voxcas.store.sqlite import SqliteStore


def fill(store: SqliteStore) -> None:
    a = const_node(1)
    store.put_result(a, [1, {"k": np.arange(5)}])
    store.put_result(apply_node("default.+", a.id, a.id), 2.0)


def test_a_healthy_store_passes(sqlite_store: SqliteStore) -> None:
    fill(sqlite_store)
    report = fsck(sqlite_store)
    assert report.ok and report.problems == []
    assert (report.objects, report.results, report.nodes, report.items) == (
        5,
        2,
        2,
        3,
    )  # list, 1, mapping, array, 2.0


def test_a_flipped_byte_in_an_object_is_reported_by_fsck(sqlite_store: SqliteStore) -> None:
    fill(sqlite_store)
    digest = sqlite_store.put("victim")
    flip_byte(sqlite_store, digest)
    report = fsck(sqlite_store)
    assert not report.ok
    assert len(report.problems) == 1
    assert report.problems[0].startswith(f"object {digest} is corrupt: its content hashes to sha256:")


def test_a_missing_item_and_a_missing_result_object_are_reported(sqlite_store: SqliteStore) -> None:
    node = const_node(3)
    digest = sqlite_store.put_result(node, ["item"])
    item = sqlite_store.put("item")
    with sqlite_store.transaction() as conn:
        conn.execute("DELETE FROM objects WHERE digest IN (?, ?)", (item, digest))
        conn.execute("INSERT INTO object_items VALUES('sha256:' || ?, 0, ?)", ("0" * 64, item))
    report = fsck(sqlite_store)
    assert sorted(report.problems) == sorted(
        [
            f"object sha256:{'0' * 64} lists item {item}, which is missing",
            f"object {digest} lists item {item}, which is missing",
            f"result of node {node.id} points to object {digest}, which is missing",
        ]
    )


def test_a_node_whose_definition_does_not_hash_to_its_id_is_reported(sqlite_store: SqliteStore) -> None:
    node = const_node(4)
    sqlite_store.put_result(node, 4)
    forged = const_node(5)
    with sqlite_store.transaction() as conn:
        conn.execute(
            "INSERT INTO nodes(id, definition) SELECT ?, definition FROM nodes WHERE id=?",
            (forged.id, node.id),
        )
    report = fsck(sqlite_store)
    assert report.problems == [f"node {forged.id}: its definition hashes to {node.id}"]


def test_a_result_without_a_node_record_is_reported(sqlite_store: SqliteStore) -> None:
    node = const_node(6)
    sqlite_store.put_result(node, 6)
    with sqlite_store.transaction() as conn:
        conn.execute("DELETE FROM nodes WHERE id=?", (node.id,))
    assert fsck(sqlite_store).problems == [f"result of node {node.id} has no node record"]
