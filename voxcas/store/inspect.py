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


def describe_node(store: Store, node: NodeId) -> dict[str, Any]:
    record = store.node(node)
    definition = json.loads(record.definition)
    result = store.result(node)
    result_data: dict[str, Any] | None = None
    if result is not None:
        result_data = {
            "digest": result.digest,
            "seconds": result.seconds,
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


def show(store: Store, text: str) -> dict[str, Any]:
    """Describe whatever `text` resolves to (a ref name, or a prefix of a node, run or digest)."""
    kind, ident = store.resolve(text)
    if kind == "node":
        return describe_node(store, NodeId(ident))
    if kind == "run":
        return describe_run(store, RunId(ident))
    return describe_object(store, Digest(ident))


# -- cat ------------------------------------------------------------------------------------------


def value_of(store: Store, text: str) -> tuple[Digest, Any]:
    """The digest and verified value named by `text`: an object, or the result of a node."""
    kind, ident = store.resolve(text)
    if kind == "run":
        raise UsageError(f"'{text}' is a run, not a value; use 'vox show {text}'")
    if kind == "node":
        digest = store.lookup(NodeId(ident))
        if digest is None:
            raise ObjectNotFoundError(f"node {ident} has no stored result")
        return digest, store.get(digest)
    return Digest(ident), store.get(Digest(ident))


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
    """Point ref `name` at the run `text` names (a run id prefix or another ref); return the run."""
    kind, ident = store.resolve(text)
    if kind != "run":
        raise UsageError(f"cannot tag '{text}': it is a {kind}, and refs point at runs")
    store.tag(name, RunId(ident))
    return RunId(ident)
