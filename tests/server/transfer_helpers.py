"""Stores with runs and results for the bundle and push/pull tests (imported via conftest's path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from voxcas.ids import Digest, RunId
from voxcas.plan.identity import node_id
from voxcas.plan.nodes import Apply, Const, PlanNode
from voxcas.store.sqlite import SqliteStore
from voxcas.values import Image


def sqlite_store(path: Path) -> SqliteStore:
    return SqliteStore(path, create=True)


def record_run(store: SqliteStore, values: list[Any], program: str = "p.imgql") -> tuple[RunId, list[Digest]]:
    """A finished run whose goals are applications with the given values; returns the run and digests."""
    run = store.start_run(program, None, [])
    digests = []
    goals = []
    for i, value in enumerate(values):
        arg = Const("int", i)
        store.put_nodes([PlanNode(node_id(arg), arg)])
        definition = Apply("default.test", "1", (node_id(arg),))
        node = PlanNode(node_id(definition), definition, label=f"v{i}")
        digests.append(store.put_result(node, value, run=run))
        goals.append({"kind": "print", "target": f"v{i}", "node": node.id})
    store.finish_run(run, "ok", computed=len(values), reused=0, failed=0)
    return run, digests


def some_values(seed: int) -> list[Any]:
    rng = np.random.default_rng(seed)
    image = Image.from_array(rng.normal(size=(4, 5, 6)).astype(np.float32))
    return [seed, f"text {seed}", [1.5, seed, "x"], image]
