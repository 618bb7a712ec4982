"""Helpers shared by the store implementations: node records, ref names and id resolution.

Resolution order (`resolve_text`): a ref name; else a digest with `sha256:` (objects only); else a
hex prefix of at least `MIN_PREFIX` digits matched against object digests, node ids and run ids.
A ref name resolves to the run it points at: `("run", run_id)`. Exactly one match is required.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from voxcas.errors import AmbiguousPrefixError, ObjectNotFoundError, UsageError
from voxcas.ids import DIGEST_PREFIX, MIN_PREFIX, RunId, is_hex
from voxcas.plan.identity import definition_to_json
from voxcas.plan.nodes import Apply, Closure, Const, Definition, PlanNode, ValueRef
from voxcas.store.base import NodeRecord, Resolved

REF_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/+-]{0,199}")

Kind = Literal["object", "node", "run"]
# find(prefix_hex) -> matches as (kind, full id); at most `limit` of each kind is enough
Finder = Callable[[str], list[tuple[Kind, str]]]


def op_of(definition: Definition) -> str:
    """The `op` column of a node: the primitive name of an application, else the node kind."""
    if isinstance(definition, Apply):
        return definition.op
    if isinstance(definition, Const):
        return "const"
    if isinstance(definition, Closure):
        return "closure"
    if isinstance(definition, ValueRef):
        return "value"
    raise TypeError(f"not a node definition: {definition!r}")


def node_record(node: PlanNode) -> NodeRecord:
    return NodeRecord(
        node.id,
        definition_to_json(node.definition),
        op_of(node.definition),
        None if node.span is None else str(node.span),
        node.label,
    )


def check_ref_name(name: str) -> str:
    if not REF_NAME.fullmatch(name):
        raise UsageError(
            f"invalid ref name '{name}': use letters, digits and . _ / + - (not starting with a symbol)"
        )
    return name


def resolve_text(text: str, refs: dict[str, RunId], find: Finder) -> Resolved:
    """Resolve a ref name or a unique id prefix; raise a clear error otherwise."""
    if text in refs:
        return ("run", refs[text])
    only_objects = text.startswith(DIGEST_PREFIX)
    hexpart = (text[len(DIGEST_PREFIX) :] if only_objects else text).lower()  # ids are lowercase hex
    if not is_hex(hexpart):
        raise ObjectNotFoundError(f"no object, node, run or ref matches '{text}'")
    if len(hexpart) < MIN_PREFIX:
        raise UsageError(f"id prefix '{text}' is too short: give at least {MIN_PREFIX} hex digits")
    matches = [m for m in find(hexpart) if not only_objects or m[0] == "object"]
    unique = sorted(set(matches))
    if not unique:
        raise ObjectNotFoundError(f"no object, node, run or ref matches '{text}'")
    if len(unique) > 1:
        exact = [m for m in unique if m[1] in (text, DIGEST_PREFIX + hexpart)]
        if len(exact) == 1:
            return exact[0]
        shown = ", ".join(
            f"{kind} {ident[: len(DIGEST_PREFIX) + 16] if ident.startswith(DIGEST_PREFIX) else ident[:16]}…"
            for kind, ident in unique[:5]
        )
        more = f", and {len(unique) - 5} more" if len(unique) > 5 else ""
        raise AmbiguousPrefixError(f"ambiguous id '{text}': matches {len(unique)} ids ({shown}{more})")
    return unique[0]
