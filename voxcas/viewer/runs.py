"""The run history and a run's page, as the viewer shows them (JSON-ready dicts).

- `run_history(store)`: every run the store recorded (`vox run`, the notebook API, HTTP), newest
  first, with its program, status, counts and refs;
- `run_page(store, text)`: one run (any address `vox show` takes: an id prefix, a ref,
  `latest~N`): its goals with their printed values, and for goal loops (`for p in cases do
  print ...` / `save ...`) one row per item. Rows of goals that loop over the same sequence are
  joined into one table, each row named by its input (the case: a file's stem, or the item
  itself), with each goal's value in its own column.

A value is described by `describe_value`: scalars and short sequences by their printed text,
images by digest, summary and geometry (the viewer draws them), anything else by its summary.
A goal whose node has no stored result says why (`error`), as `vox show` would.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from voxcas.errors import CorruptObjectError, ObjectNotFoundError
from voxcas.ids import NodeId, RunId
from voxcas.store.base import Store
from voxcas.values import Image, format_value, kind_of

LOOP_OPS = ("default.for",)  # a goal loop's node applies this to (sequence, body)
MAX_ROWS = 2_000  # items shown per loop table (a larger one says it is cut)
_ABSENT = object()


def run_history(store: Store) -> list[dict[str, Any]]:
    """Every run in the store, newest first (see the module docstring)."""
    from voxcas.store.inspect import list_runs

    runs = list_runs(store)
    goals = {info.id: len(info.goals) for info in store.runs()}
    for row in runs:
        row["name"] = PurePosixPath(row["program"]).name if row["program"] else ""
        row["goals"] = goals.get(row["id"], 0)
    return runs


def run_page(store: Store, text: str) -> dict[str, Any]:
    """One run's page: its record, each goal with its value, and loop tables (module docstring)."""
    from voxcas.store.address import resolve_run

    run = resolve_run(store, text)
    info = store.run_info(run)
    failures = [{"node": f.node, "message": f.message} for f in store.failures(run)]
    goals: list[dict[str, Any]] = []
    tables: dict[str, dict[str, Any]] = {}
    for index, goal in enumerate(info.goals):
        entry = _goal_entry(store, goal, index)
        goals.append(entry)
        if "items" in entry:
            _join(tables, entry)
    return {
        "id": info.id,
        "program": info.program,
        "status": info.status,
        "started": info.started,
        "finished": info.finished,
        "computed": info.computed,
        "reused": info.reused,
        "failed": info.failed,
        "options": info.options,
        "refs": sorted(name for name, r in store.refs().items() if r == run),
        "goals": goals,
        "tables": list(tables.values()),
        "failures": failures,
        "has_program": bool(store.run_sources(RunId(run))),
    }


def describe_value(value: Any, digest: str | None = None) -> dict[str, Any]:
    """How the viewer shows one value: `kind`, `text` (printed form or summary), and for images
    their `digest`, `size`, `spacing`, `pixel_type`, `components`."""
    kind = kind_of(value)
    if isinstance(value, Image):
        return {
            "kind": "image",
            "digest": digest,
            "text": value.summary(),
            "size": list(value.size),
            "spacing": list(value.spacing),
            "pixel_type": value.pixel_type,
            "components": value.components,
            "mask": value.array.dtype.kind == "b",
        }
    if kind in ("ndarray", "bytes"):
        from voxcas.store.inspect import summarize

        return {"kind": kind, "digest": digest, "text": summarize(value)}
    text = format_value(value)
    if len(text) > 400:
        text = text[:400] + " …"
    return {"kind": kind, "digest": digest, "text": text}


def _goal_entry(store: Store, goal: dict[str, Any], index: int) -> dict[str, Any]:
    node = NodeId(goal["node"])
    entry: dict[str, Any] = {
        "index": index,
        "kind": goal["kind"],
        "target": goal["target"],
        "node": node,
        "loop": False,
    }
    try:
        digest, value = _node_value(store, node)
    except (CorruptObjectError, ObjectNotFoundError) as exc:
        entry["error"] = str(exc)
        return entry
    if value is _ABSENT:
        entry["error"] = "not computed (it failed, or the run stopped before it)"
        return entry
    if not goal.get("pairs"):
        entry["value"] = describe_value(value, digest)
        return entry
    entry["loop"] = _loop_sequence(store, node) is not None
    entry["sequence"] = _loop_sequence(store, node)
    entry["inputs"] = _inputs(store, entry["sequence"])
    entry["items"] = _pairs(store, value)
    return entry


def _node_value(store: Store, node: NodeId) -> tuple[str | None, Any]:
    """A node's stored value with its digest, or a recorded constant (never stored); `_ABSENT`."""
    digest = store.lookup(node)
    if digest is not None:
        return digest, store.get(digest)
    try:
        record = store.node(node)
    except ObjectNotFoundError:
        return None, _ABSENT
    if record.op != "const":
        return None, _ABSENT
    from voxcas.plan.identity import definition_from_json
    from voxcas.plan.nodes import Const

    definition = definition_from_json(record.definition)
    assert isinstance(definition, Const)
    constant = definition.value
    return None, list(constant) if isinstance(constant, tuple) else constant


def _loop_sequence(store: Store, node: NodeId) -> str | None:
    """The node of the sequence a goal loop runs over (None: the goal is not a loop)."""
    from voxcas.plan.identity import definition_from_json
    from voxcas.plan.nodes import Apply

    try:
        record = store.node(node)
    except ObjectNotFoundError:
        return None
    if record.op not in LOOP_OPS:
        return None
    definition = definition_from_json(record.definition)
    return definition.args[0] if isinstance(definition, Apply) and definition.args else None


def _inputs(store: Store, sequence: str | None) -> list[str] | None:
    """The loop's items as row names: strings as themselves (paths), others printed."""
    if sequence is None:
        return None
    try:
        _, value = _node_value(store, NodeId(sequence))
    except (CorruptObjectError, ObjectNotFoundError):
        return None
    if value is _ABSENT or kind_of(value) != "sequence":
        return None
    names = []
    for i in range(min(len(value), MAX_ROWS)):
        item = value[i]
        names.append(item if isinstance(item, str) else format_value(item))
    return names


def _pairs(store: Store, value: Any) -> list[dict[str, Any]]:
    """Each [target, value] item of a goal's pairs, described (digests kept for stored sequences)."""
    from voxcas.store.base import StoredSequence

    out = []
    for i in range(min(len(value), MAX_ROWS)):
        pair = value[i]
        if isinstance(pair, StoredSequence) and len(pair) == 2:
            target, item = pair[0], pair[1]
            digest: str | None = pair.digests[1]
        else:
            target, item = pair[0], pair[1]
            digest = None  # a value held inside another object: shown, not addressable
        out.append(
            {
                "target": format_value(target) if not isinstance(target, str) else target,
                "value": describe_value(item, digest),
            }
        )
    return out


def case_name(item: str) -> str:
    """A case's short name: a path's file name without its image extensions, else the item."""
    name = PurePosixPath(item).name
    if not name:
        return item
    for ext in (".nii.gz", ".nii", ".mha", ".mhd", ".nrrd", ".png", ".hdr", ".gz", ".dcm", ".json"):
        if name.lower().endswith(ext) and len(name) > len(ext):
            return name[: -len(ext)]
    return name


def _join(tables: dict[str, dict[str, Any]], entry: dict[str, Any]) -> None:
    """Add a loop goal's items as a column of the table of its sequence (one table per sequence)."""
    key = entry["sequence"] if entry["loop"] and entry["sequence"] else f"goal-{entry['index']}"
    inputs = entry["inputs"] if entry["loop"] else None
    items = entry["items"]
    table = tables.get(key)
    if table is None or len(table["rows"]) != len(items):
        if table is not None:
            key = f"{key}-{entry['index']}"
        names = inputs if inputs is not None and len(inputs) == len(items) else None
        rows: list[dict[str, Any]] = [
            {
                "input": names[i] if names else None,
                "case": case_name(names[i]) if names else item["target"],
                "values": [],
            }
            for i, item in enumerate(items)
        ]
        table = {"sequence": entry["sequence"], "columns": [], "rows": rows}
        tables[key] = table
    table["columns"].append({"goal": entry["index"], "kind": entry["kind"], "target": entry["target"]})
    for row, item in zip(table["rows"], items, strict=True):
        row["values"].append({"target": item["target"], **item["value"]})
