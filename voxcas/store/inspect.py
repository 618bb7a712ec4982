"""What the git-style commands show: listings, node/run/object descriptions, values for `cat`.

Every function works on any `Store` and returns plain JSON-ready data (dicts, lists, str, numbers),
which the CLI prints as text or with `--json`, and the HTTP API can return as is.
"""

from __future__ import annotations

import json
from typing import Any

from voxcas.errors import ObjectNotFoundError, UsageError
from voxcas.ids import Digest, NodeId, RunId
from voxcas.store.base import ObjectInfo, Store
from voxcas.values import Image, format_value, kind_of

LISTINGS = ("runs", "results", "objects", "refs")


def _object_infos(store: Store) -> dict[Digest, ObjectInfo]:
    return {info.digest: info for info in store.objects()}


def list_runs(store: Store) -> list[dict[str, Any]]:
    names: dict[str, list[str]] = {}
    for name, run in store.refs().items():
        names.setdefault(run, []).append(name)
    return [
        {
            "id": r.id,
            "program": r.program,
            "status": r.status,
            "started": r.started,
            "finished": r.finished,
            "computed": r.computed,
            "reused": r.reused,
            "failed": r.failed,
            "refs": names.get(r.id, []),
        }
        for r in store.runs()
    ]


def list_results(store: Store) -> list[dict[str, Any]]:
    infos = _object_infos(store)
    out = []
    for r in store.results():
        try:
            record = store.node(r.node)
            op, label = record.op, record.label
        except ObjectNotFoundError:
            op = label = None
        info = infos.get(r.digest)
        out.append(
            {
                "node": r.node,
                "digest": r.digest,
                "op": op,
                "label": label,
                "kind": info.kind if info else None,
                "size": info.size if info else None,
                "stored_size": info.stored_size if info else None,
                "seconds": r.seconds,
                "bytes": r.bytes,
                "created": r.created,
                "run": r.run,
                "provenance": r.provenance,
            }
        )
    return out


def list_objects(store: Store) -> list[dict[str, Any]]:
    return [
        {
            "digest": o.digest,
            "kind": o.kind,
            "size": o.size,
            "stored_size": o.stored_size,
            "created": o.created,
        }
        for o in store.objects()
    ]


def list_refs(store: Store) -> list[dict[str, Any]]:
    out = []
    for name, run in store.refs().items():
        info = store.run_info(run)
        out.append({"name": name, "run": run, "program": info.program, "started": info.started})
    return out


def listing(store: Store, what: str) -> list[dict[str, Any]]:
    """One of `LISTINGS`, newest first."""
    functions = {"runs": list_runs, "results": list_results, "objects": list_objects, "refs": list_refs}
    if what not in functions:
        raise UsageError(f"cannot list '{what}': choose one of {', '.join(LISTINGS)}")
    return functions[what](store)


# -- show -----------------------------------------------------------------------------------------


def _arguments(store: Store, definition: list[Any]) -> list[dict[str, Any]]:
    kind = definition[1]
    ids: list[str] = []
    if kind in ("apply", "closure"):  # argument ids / captured ids
        ids = list(definition[4])
    args = []
    for ident in ids:
        entry: dict[str, Any] = {"node": ident, "op": None, "label": None, "result": None}
        try:
            record = store.node(NodeId(ident))
            entry["op"], entry["label"] = record.op, record.label
        except ObjectNotFoundError:
            pass
        entry["result"] = store.lookup(NodeId(ident))
        args.append(entry)
    return args


def _argument_value(store: Store, node: str) -> Any:
    """The value of an argument node: a recorded constant, or its stored result (None if neither)."""
    try:
        record = store.node(NodeId(node))
    except ObjectNotFoundError:
        record = None
    if record is not None and record.op == "const":
        return _constant(record.definition)
    digest = store.lookup(NodeId(node))
    return None if digest is None else store.get(digest)


def _constant(definition_text: str) -> Any:
    from voxcas.plan.identity import definition_from_json
    from voxcas.plan.nodes import Const

    definition = definition_from_json(definition_text)
    assert isinstance(definition, Const)
    return list(definition.value) if isinstance(definition.value, tuple) else definition.value


def _reads(store: Store, op: str | None, definition: list[Any]) -> list[dict[str, Any]]:
    """What a file-reading application read: each path argument with the fingerprint its id covers."""
    if definition[1] != "apply" or definition[5] is None:
        return []
    from voxcas.primitives.registry import default_registry

    try:
        prim = default_registry().find(str(op)) if op else None
    except Exception:  # a plugin namespace that no longer imports: fall back to string arguments
        prim = None
    args: list[str] = definition[4]
    positions = [i for i in prim.path_params if i < len(args)] if prim is not None else []
    if not positions:  # a reader with its own fingerprint function (dir): its string arguments
        positions = list(range(len(args)))
    reads = []
    for i in positions:
        value = _argument_value(store, args[i])
        if isinstance(value, str):
            reads.append({"argument": i, "path": value})
    if not reads:
        reads.append({"argument": None, "path": None})
    for entry in reads:
        entry["fingerprint"] = definition[5]
    return reads


def describe_node(store: Store, node: NodeId) -> dict[str, Any]:
    record = store.node(node)
    definition = json.loads(record.definition)
    result = store.result(node)
    result_data: dict[str, Any] | None = None
    if result is not None:
        result_data = {
            "digest": result.digest,
            "seconds": result.seconds,
            "bytes": result.bytes,
            "created": result.created,
            "run": result.run,
            "provenance": result.provenance,
            "present": store.has(result.digest),
        }
    failures = [
        {"run": f.run, "message": f.message, "traceback": f.traceback, "created": f.created}
        for f in store.failures()
        if f.node == node
    ]
    constant = definition[2] if definition[1] == "const" else None
    version = definition[3] if definition[1] == "apply" else None
    return {
        "type": "node",
        "id": node,
        "op": record.op,
        "version": version,
        "constant": constant,
        "label": record.label,
        "span": record.span,
        "arguments": _arguments(store, definition),
        "definition": definition,
        "reads": _reads(store, record.op, definition),
        "result": result_data,
        "failures": failures,
    }


def describe_run(store: Store, run: RunId) -> dict[str, Any]:
    info = store.run_info(run)
    failures = {f.node: f.message for f in store.failures(run)}
    nodes = []
    for node, status in store.run_nodes(run):
        try:
            record = store.node(node)
            op, label, span = record.op, record.label, record.span
        except ObjectNotFoundError:
            op = label = span = None
        nodes.append(
            {
                "node": node,
                "status": status,
                "op": op,
                "label": label,
                "span": span,
                "error": failures.get(node),
            }
        )
    return {
        "type": "run",
        "id": info.id,
        "program": info.program,
        "program_digest": info.program_digest,
        "status": info.status,
        "started": info.started,
        "finished": info.finished,
        "computed": info.computed,
        "reused": info.reused,
        "failed": info.failed,
        "goals": info.goals,
        "options": info.options,
        "sources": [{"path": src.path, "digest": src.digest} for src in store.run_sources(run)],
        "names": store.run_names(run),
        "refs": sorted(name for name, r in store.refs().items() if r == run),
        "nodes": nodes,
        "failures": [{"node": n, "message": m} for n, m in failures.items()],
    }


def describe_object(store: Store, digest: Digest) -> dict[str, Any]:
    info = store.object_info(digest)
    if info is None:
        raise ObjectNotFoundError(f"no object {digest} in the store")
    value = store.get(digest)
    items: list[str] | dict[str, Any] | None = None
    if info.kind == "sequence":
        items = list(value.digests)
    elif info.kind == "mapping":
        items = {k: kind_of(v) for k, v in value.items()}
    return {
        "type": "object",
        "digest": digest,
        "kind": info.kind,
        "size": info.size,
        "stored_size": info.stored_size,
        "created": info.created,
        "summary": summarize(value),
        "items": items,
    }


def program_of(store: Store, text: str) -> list[dict[str, Any]]:
    """The code a run ran: its program, then each imported file, as {path, digest, text}."""
    from voxcas.errors import AddressError
    from voxcas.store.address import resolve_run

    run = resolve_run(store, text)
    sources = store.run_sources(run)
    if not sources:
        raise AddressError(
            f"run {run[:12]} recorded no program text (it ran before voxcas kept programs, "
            "or from a workplan)"
        )
    return [{"path": s.path, "digest": s.digest, "text": store.get(s.digest)} for s in sources]


def show(store: Store, text: str) -> dict[str, Any]:
    """Describe whatever `text` names (voxcas.store.address: RUN:NAME, latest~N, a ref, a prefix)."""
    from voxcas.store.address import resolve

    kind, ident = resolve(store, text)
    if kind == "node":
        return describe_node(store, NodeId(ident))
    if kind == "run":
        return describe_run(store, RunId(ident))
    return describe_object(store, Digest(ident))


# -- cat ------------------------------------------------------------------------------------------


def value_of(store: Store, text: str) -> tuple[Digest, Any]:
    """The digest and verified value named by `text`: an object, the result of a node, or the
    value of a run's top-level name (`RUN:NAME`, voxcas.store.address)."""
    from voxcas.store.address import resolve, split

    kind, ident = resolve(store, text)
    if kind == "run":
        raise UsageError(f"'{text}' is a run, not a value; use 'vox show {text}'")
    if kind == "node":
        digest = store.lookup(NodeId(ident))
        if digest is None:
            return _unstored(store, text, NodeId(ident), named=split(text) is not None)
        return digest, store.get(digest)
    return Digest(ident), store.get(Digest(ident))


def _unstored(store: Store, text: str, node: NodeId, *, named: bool) -> tuple[Digest, Any]:
    """A node without a stored result: for a run's name bound to a constant, the constant (with the
    digest it would have in the store: the memory store encodes alike); else an error saying why."""
    from voxcas.errors import AddressError
    from voxcas.store.memory import MemoryStore

    try:
        record = store.node(node)
    except ObjectNotFoundError:
        record = None
    if named and record is not None and record.op == "const":  # `t = 0.5`: never stored as a result
        value = _constant(record.definition)
        return MemoryStore().put(value), value
    if named:
        raise AddressError(
            f"'{text}' was not computed (no goal of that run needed it, or it failed); "
            f"'vox run --show NAME' computes it"
        )
    raise ObjectNotFoundError(f"node {node} has no stored result")


def _array_summary(array: Any) -> str:
    import numpy as np

    if array.size == 0 or array.dtype.kind not in "biuf":
        return ""
    import warnings

    data = array.astype(np.uint8) if array.dtype.kind == "b" else array
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN arrays
        lo, hi = np.nanmin(data), np.nanmax(data)
    return f", min {format_value(lo.item())}, max {format_value(hi.item())}"


def summarize(value: Any) -> str:
    """How `vox cat` prints a value: scalars and sequences in full, arrays and images summarised."""
    if isinstance(value, Image):
        return value.summary()[:-1] + _array_summary(value.array) + ")"
    if kind_of(value) == "ndarray":
        return format_value(value)[:-1] + _array_summary(value) + ")"
    return format_value(value)


def tag_run(store: Store, name: str, text: str) -> RunId:
    """Point ref `name` at the run `text` names (a run id prefix, another ref, latest~N); return the run."""
    from voxcas.store.address import resolve

    kind, ident = resolve(store, text)
    if kind != "run":
        raise UsageError(f"cannot tag '{text}': it is a {kind}, and refs point at runs")
    store.tag(name, RunId(ident))
    return RunId(ident)
