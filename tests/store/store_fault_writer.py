"""A child process for the fault tests: writes results to a store and reports each commit.

    python store_fault_writer.py STORE SEED [COUNT]

Writes results for nodes `Const("int", SEED * 1_000_000 + k)`, k = 0, 1, ..., with values from
`value_for(k)` (scalars, sequences, bytes up to a few MB, arrays), singly or in batches, and
prints the node id of every result on stdout, flushed, right AFTER its transaction committed. It
runs until killed, or writes COUNT results and exits 0.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from voxcas.plan.identity import node_id
from voxcas.plan.nodes import Const, PlanNode
from voxcas.store.base import PendingResult
from voxcas.store.sqlite import SqliteStore


def node_for(seed: int, k: int) -> PlanNode:
    definition = Const("int", seed * 1_000_000 + k)
    return PlanNode(node_id(definition), definition)


def value_for(seed: int, k: int) -> Any:
    rng = np.random.default_rng(seed * 1_000_000 + k)
    choice = k % 7
    if choice == 0:
        return k
    if choice == 1:
        return [k, f"item {k}", [float(k) / 3]]
    if choice == 2:
        return rng.bytes(int(rng.integers(1, 2_000_000)))  # large: blob I/O, WAL growth, checkpoints
    if choice == 3:
        return rng.standard_normal((20, 30)).astype(np.float32)
    if choice == 4:
        return {"k": k, "name": f"n{k}"}
    if choice == 5:
        return np.full(int(rng.integers(1, 400_000)), k % 255, dtype=np.uint8)  # compressible
    return f"value {k}"


def main() -> None:
    store_dir, seed = Path(sys.argv[1]), int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else None
    store = SqliteStore(store_dir, create=True)
    k = 0
    while count is None or k < count:
        if k % 10 == 9:  # a batch of five in one transaction
            size = 5 if count is None else min(5, count - k)
            batch = [PendingResult(node_for(seed, k + j), value_for(seed, k + j)) for j in range(size)]
            store.put_results(batch)
            sys.stdout.write("".join(f"{p.node.id}\n" for p in batch))
            k += size
        else:
            node = node_for(seed, k)
            store.put_result(node, value_for(seed, k))
            sys.stdout.write(f"{node.id}\n")
            k += 1
        sys.stdout.flush()
    store.close()


if __name__ == "__main__":
    main()
