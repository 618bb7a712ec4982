"""What a cluster worker does with a value it computed when the store's blob tier is shared:
encode it, write its large objects to the tier, and hand back only the rows to index.

`persist_outcome(outcome, location)` runs as its own task (`stored-<node task key>`) right after
the node's task, on the worker that holds the value (Dask's data locality), so the value itself
never travels to the client; the value stays in the worker's memory for the node's dependents.
A worker that cannot write to the tier fails the node with the tier's one-line error.
"""

from __future__ import annotations

from pathlib import Path

from voxcas.errors import VoxcasError
from voxcas.execute.tasks import Failed, Literal, Ok, Outcome
from voxcas.store.blobs_dir import DirectoryBlobs
from voxcas.store.preencoded import pre_encode

_tiers: dict[str, DirectoryBlobs] = {}  # opened once per worker process


def persist_outcome(outcome: Outcome, where: Literal) -> Outcome:
    """`Ok(PreEncoded)` for a value (large objects now in the tier `where.value`); other outcomes
    as they are."""
    location = str(where.value)
    if not isinstance(outcome, Ok):
        return outcome
    try:
        tier = _tiers.get(location)
        if tier is None:
            tier = _tiers[location] = DirectoryBlobs(Path(location))
        return Ok(pre_encode(outcome.value, tier), outcome.seconds)
    except VoxcasError as exc:
        return Failed(str(exc), "")


def stored_key(key: str) -> str:
    """The key of the task that persists the value of task `key` on its worker."""
    return f"stored-{key}"
