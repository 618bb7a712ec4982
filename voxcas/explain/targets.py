"""What `vox why` and `vox diff` are asked about: a run, or a node (by id prefix or `RUN:NAME`).

Runs and `RUN:NAME` are resolved by the one address module (`voxcas.store.address`: refs,
`latest`, `latest~N`, run id prefixes). Every failure to name one is a `UsageError` (exit 2),
one line: an unknown or ambiguous id, an address that names no run, a name the run did not declare.
"""

from __future__ import annotations

from voxcas.errors import AmbiguousPrefixError, ObjectNotFoundError, UsageError
from voxcas.ids import NodeId, RunId
from voxcas.store import address
from voxcas.store.base import Store


def resolve_run(store: Store, text: str) -> RunId:
    """The run `text` names: a ref, `latest`, `latest~N` or a unique run id prefix."""
    return address.resolve_run(store, text)


def resolve_node(store: Store, text: str) -> tuple[NodeId, RunId | None]:
    """The node `text` names, and the run when `text` is a `RUN:NAME` address."""
    parts = address.split(text)
    if parts is not None:
        run = address.resolve_run(store, parts[0])
        return address.resolve_name(store, run, parts[1], shown=parts[0]), run
    try:
        kind, ident = address.resolve(store, text)
    except (ObjectNotFoundError, AmbiguousPrefixError) as error:
        raise UsageError(str(error)) from None
    if kind != "node":
        article = "an" if kind == "object" else "a"
        raise UsageError(f"'{text}' is {article} {kind}, not a node (give a node id or RUN:NAME)")
    return NodeId(ident), None
