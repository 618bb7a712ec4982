"""What `vox why` and `vox diff` are asked about: a run, or a node (by id prefix).

Every failure to name one is a `UsageError` (exit 2), one line: an unknown or ambiguous id, a
ref or address that names no run, a name the run did not declare.
"""

from __future__ import annotations

from voxcas.errors import AmbiguousPrefixError, ObjectNotFoundError, UsageError
from voxcas.ids import NodeId, RunId
from voxcas.store.base import Store


def _resolve(store: Store, text: str) -> tuple[str, str]:
    try:
        return store.resolve(text)
    except (ObjectNotFoundError, AmbiguousPrefixError) as error:
        raise UsageError(str(error)) from None


def resolve_run(store: Store, text: str) -> RunId:
    """The run `text` names: a ref or a unique run id prefix."""
    kind, ident = _resolve(store, text)
    if kind != "run":
        raise UsageError(f"'{text}' is a{'n' if kind == 'object' else ''} {kind}, not a run")
    return RunId(ident)


def resolve_node(store: Store, text: str) -> tuple[NodeId, RunId | None]:
    """The node `text` names, and the run when `text` is a `RUN:NAME` address."""
    kind, ident = _resolve(store, text)
    if kind != "node":
        raise UsageError(
            f"'{text}' is a{'n' if kind == 'object' else ''} {kind}, not a node (give a node id)"
        )
    return NodeId(ident), None
