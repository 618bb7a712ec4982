"""What a cluster worker does with values when the store's blob tier is shared: encode what it
computed, write its large objects to the tier and hand back only the rows to index; read the
stored inputs it needs from the tier by digest.

`persist_outcome(outcome, location)` runs as its own task (`stored-<node task key>`) right after
the node's task, on the worker that holds the value (Dask's data locality), so the value itself
never travels to the client; the value stays in the worker's memory for the node's dependents.
A worker that cannot write to the tier fails the node with the tier's one-line error.

`fetch_stored(detached, where, node)` is the `load-<digest>` task of a stored input: the client
hands over only the object's rows (`voxcas.store.detached`), the worker reads the large bytes
from the tier and verifies every object. A blob that fails verification (or vanished) gives a
`Failed` outcome, never a value; `load_failure` (the `loaded-` task after it, the only one whose
result the client fetches) tells the client, which forgets that result and recomputes it.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass

from voxcas.errors import VoxcasError
from voxcas.execute.tasks import GIVEN, Failed, Literal, Ok, Outcome, Step
from voxcas.ids import Digest, NodeId
from voxcas.store.blobs import BlobStore
from voxcas.store.detached import Detached, read_detached
from voxcas.store.preencoded import pre_encode
from voxcas.store.tiers import open_tier

_tiers: dict[str, BlobStore] = {}  # opened once per worker process


def persist_outcome(outcome: Outcome, where: Literal) -> Outcome:
    """`Ok(PreEncoded)` for a value (large objects now in the tier `where.value`); other outcomes
    as they are."""
    location = str(where.value)
    if not isinstance(outcome, Ok):
        return outcome
    try:
        return Ok(pre_encode(outcome.value, _tier(location)), outcome.seconds)
    except VoxcasError as exc:
        return Failed(str(exc), "")


def _tier(location: str) -> BlobStore:
    tier = _tiers.get(location)
    if tier is None:
        tier = _tiers[location] = open_tier(location)
    return tier


def fetch_stored(detached: Detached | Literal, where: Literal, node: NodeId | Literal) -> Outcome:
    """The value of a stored input, read on this worker from the tier `where.value` and verified;
    `Failed` (never a value) when an object is missing or fails verification."""
    value: Detached = detached.value if isinstance(detached, Literal) else detached
    nid: NodeId = node.value if isinstance(node, Literal) else node
    try:
        return Ok(read_detached(value, _tier(str(where.value))), 0.0)
    except Exception as error:
        return Failed(
            f"error: cannot read the stored value of node {nid[:12]}: {error}", traceback.format_exc()
        )


@dataclass(frozen=True, slots=True)
class StoredInput:
    """A stored input of a loop item as it travels: its rows, read on the worker (`fetch`)."""

    detached: Detached
    location: str
    node: NodeId


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A loop item's stored input that failed on the worker: the client recomputes it."""

    message: str


def fetch_inputs(
    steps: tuple[Step, ...], cache: dict[Digest, Outcome]
) -> tuple[tuple[Step, ...], Mapping[NodeId, Unreadable]]:
    """`steps` with every `StoredInput` they are given read from the tier (once per digest of
    `cache`), and the inputs that could not be read."""
    failed: dict[NodeId, Unreadable] = {}
    out: list[Step] = []
    for step in steps:
        sources = []
        for source in step.sources:
            given = source[1] if source[0] == GIVEN else None
            if isinstance(given, StoredInput):
                digest = given.detached.digest
                if digest not in cache:
                    cache[digest] = fetch_stored(given.detached, Literal(given.location), given.node)
                outcome = cache[digest]
                if isinstance(outcome, Failed):
                    failed[given.node] = Unreadable(outcome.message)
                source = (GIVEN, outcome)
            sources.append(source)
        out.append(Step(step.call, tuple(sources)))
    return tuple(out), failed


def load_failure(outcome: Outcome) -> Failed | None:
    """What the client learns of a worker-side load: its failure, or None (the value stays)."""
    return outcome if isinstance(outcome, Failed) else None


def stored_key(key: str) -> str:
    """The key of the task that persists the value of task `key` on its worker."""
    return f"stored-{key}"


def loaded_key(key: str) -> str:
    """The key of the task that reports whether the worker-side load `key` failed."""
    return f"loaded-{key}"
