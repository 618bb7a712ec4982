"""`vox diff RUN_A RUN_B`: two runs side by side, from what the store recorded.

- **Goals**, matched by kind and target (the n-th `print "m"` of A with the n-th of B): equal
  values (same digest) say so; numbers show both and the difference (B − A); sequences are
  compared item by item by digest (only differing items are loaded); images show their digests,
  size, the count of non-zero voxels in each and its change, and how many voxels differ when the
  sizes agree; anything else both summaries. Goals only one run has are listed as such.
- **Inputs**: every file a run's nodes read (applications whose definition carries a
  fingerprint, found from the goals down through stored definitions and in the run's node log),
  keyed by the reading primitive and path: changed fingerprints, and files only one run read.
- **Definitions**: for each goal whose node differs, what differs in its definition
  (`voxcas.explain.compare.differences`, B against A), down to the leaves.

`diff_runs` returns JSON-ready data; `render` makes the text `vox diff` prints. `equal` is true
when every goal has the same value in both runs and no input differs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from voxcas.errors import CorruptObjectError, ObjectNotFoundError
from voxcas.explain.compare import differences, load_definition, record_or_none
from voxcas.explain.targets import resolve_run
from voxcas.ids import Digest, NodeId, short
from voxcas.plan.nodes import LOOP_OPS, RUNTIME_READ
from voxcas.store.base import RunInfo, Store, StoredSequence
from voxcas.values import Image, format_value, kind_of

MAX_ITEMS = 20  # differing sequence items shown per goal
MAX_WALK = 200_000  # stored definitions read while looking for a run's inputs


# -- values ---------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return kind_of(value) in ("int", "float")


def _short_text(value: Any, limit: int = 60) -> str:
    if isinstance(value, Image):
        return value.summary()
    text = format_value(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _image_side(image: Image, digest: Digest | None) -> dict[str, Any]:
    import numpy as np

    return {
        "digest": digest,
        "size": list(image.size),
        "pixel_type": image.pixel_type,
        "voxels": int(np.count_nonzero(image.array)),
    }


def compare_values(store: Store, a: Any, b: Any, da: Digest | None, db: Digest | None) -> dict[str, Any]:
    """How value `b` differs from value `a` (their digests when stored); `equal` says whether they do."""
    if da is not None and da == db:
        return {"equal": True, "kind": kind_of(a), "value": _short_text(a)}
    if _is_number(a) and _is_number(b):
        return {"equal": a == b, "kind": "number", "a": a, "b": b, "difference": b - a}
    if isinstance(a, Image) and isinstance(b, Image):
        import numpy as np

        sa, sb = _image_side(a, da), _image_side(b, db)
        out: dict[str, Any] = {"kind": "image", "a": sa, "b": sb, "voxel_change": sb["voxels"] - sa["voxels"]}
        if a.array.shape == b.array.shape:
            differing = int(np.count_nonzero(a.array != b.array))
            out["differing_voxels"] = differing
            out["equal"] = differing == 0 and a.spacing == b.spacing and a.origin == b.origin
        else:
            out["equal"] = False
        return out
    if kind_of(a) == "sequence" and kind_of(b) == "sequence":
        return _compare_sequences(store, a, b)
    equal = kind_of(a) == kind_of(b) and _short_text(a, 10**6) == _short_text(b, 10**6)
    return {"equal": equal, "kind": "value", "a": _short_text(a), "b": _short_text(b)}


def _digests(value: Any) -> list[Digest | None]:
    if isinstance(value, StoredSequence):
        return list(value.digests)
    return [None] * len(value)


def _compare_sequences(store: Store, a: Any, b: Any) -> dict[str, Any]:
    ga, gb = _digests(a), _digests(b)
    items: list[dict[str, Any]] = []
    differing = 0
    for i in range(max(len(a), len(b))):
        if i >= len(a) or i >= len(b):
            differing += 1
            if len(items) < MAX_ITEMS:
                side = "b" if i >= len(a) else "a"
                value = (b if side == "b" else a)[i]
                items.append({"index": i, "only": side, "value": _short_text(value)})
            continue
        if ga[i] is not None and ga[i] == gb[i]:
            continue
        change = compare_values(store, a[i], b[i], ga[i], gb[i])
        if change["equal"]:
            continue
        differing += 1
        if len(items) < MAX_ITEMS:
            items.append({"index": i, **change})
    return {
        "equal": differing == 0,
        "kind": "sequence",
        "a_length": len(a),
        "b_length": len(b),
        "differing": differing,
        "items": items,
    }


def _value(store: Store, node: NodeId) -> tuple[bool, Any, Digest | None]:
    """(found, value, digest) of a goal node: its stored result, or the constant it is."""
    digest = store.lookup(node)
    if digest is not None:
        try:
            return True, store.get(digest), digest
        except (CorruptObjectError, ObjectNotFoundError):
            return False, None, digest
    record = record_or_none(store, node)
    if record is not None:
        from voxcas.plan.identity import definition_from_json
        from voxcas.plan.nodes import Const

        definition = definition_from_json(record.definition)
        if isinstance(definition, Const):
            value = definition.value
            return True, list(value) if isinstance(value, tuple) else value, None
    return False, None, None


# -- goals ----------------------------------------------------------------------------------------


def _keyed(goals: Iterable[dict[str, Any]]) -> dict[tuple[str, str, int], dict[str, Any]]:
    out: dict[tuple[str, str, int], dict[str, Any]] = {}
    seen: dict[tuple[str, str], int] = {}
    for goal in goals:
        key = (str(goal.get("kind")), str(goal.get("target")))
        n = seen.get(key, 0)
        seen[key] = n + 1
        out[(*key, n)] = goal
    return out


def _goal_side(
    store: Store, goal: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, bool, Any, Digest | None]:
    if goal is None:
        return None, False, None, None
    node = NodeId(str(goal["node"]))
    found, value, digest = _value(store, node)
    side = {"node": node, "digest": digest, "value": _short_text(value) if found else None}
    return side, found, value, digest


def _goals(store: Store, a: RunInfo, b: RunInfo) -> list[dict[str, Any]]:
    ka, kb = _keyed(a.goals), _keyed(b.goals)
    keys = list(ka) + [k for k in kb if k not in ka]
    out = []
    for key in keys:
        ga, gb = ka.get(key), kb.get(key)
        sa, fa, va, da = _goal_side(store, ga)
        sb, fb, vb, db = _goal_side(store, gb)
        entry: dict[str, Any] = {"kind": key[0], "target": key[1], "a": sa, "b": sb}
        if ga is None or gb is None:
            entry["equal"], entry["change"] = False, {"kind": "only", "only": "b" if ga is None else "a"}
        elif not (fa and fb):
            same = sa is not None and sb is not None and sa["node"] == sb["node"]
            entry["equal"] = same
            entry["change"] = {"kind": "missing", "stored": {"a": fa, "b": fb}, "same_node": same}
        else:
            change = compare_values(store, va, vb, da, db)
            entry["equal"], entry["change"] = change["equal"], change
        if sa is not None and sb is not None and sa["node"] != sb["node"]:
            entry["definition"] = [d.to_json() for d in differences(store, sb["node"], sa["node"])]
        out.append(entry)
    return out


# -- inputs ---------------------------------------------------------------------------------------


def _string_const(store: Store, node: NodeId, cache: dict[NodeId, Any]) -> str | None:
    definition = cache.get(node)
    if definition is None:
        record = record_or_none(store, node)
        if record is None:
            return None
        definition = cache[node] = load_definition(record)
    if definition[1] == "const" and definition[2][0] == "str":
        return str(definition[2][1])
    return None


def run_inputs(store: Store, run: RunInfo) -> dict[str, str]:
    """The files a run's nodes read: `op path` → fingerprint (`op` alone when the path is not a
    stored constant, e.g. a path computed from a loop item)."""
    start = [NodeId(str(g["node"])) for g in run.goals] + [n for n, _ in store.run_nodes(run.id)]
    seen: set[NodeId] = set()
    definitions: dict[NodeId, Any] = {}
    stack = list(dict.fromkeys(start))
    found: dict[str, str] = {}
    while stack and len(seen) < MAX_WALK:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        record = record_or_none(store, node)
        if record is None:
            continue
        d = definitions[node] = load_definition(record)
        if d[1] == "apply":
            args = [NodeId(str(x)) for x in d[4]]
            if d[5] is not None and d[5] != RUNTIME_READ:
                path = next((p for p in (_string_const(store, x, definitions) for x in args) if p), None)
                where = record.span or short(node)
                if path:
                    label = f"{d[2]} {path}"
                elif d[2] in LOOP_OPS:
                    label = f"what the items of the loop at {where} read"
                else:
                    label = f"{d[2]} at {where}"
                found[label] = str(d[5])
            stack.extend(args)
        elif d[1] == "closure":
            stack.extend(NodeId(str(x)) for x in d[4])
    return found


def _inputs(store: Store, a: RunInfo, b: RunInfo) -> list[dict[str, Any]]:
    ia, ib = run_inputs(store, a), run_inputs(store, b)
    out = []
    for key in sorted(ia.keys() | ib.keys()):
        fa, fb = ia.get(key), ib.get(key)
        if fa != fb:
            out.append({"input": key, "a": fa, "b": fb})
    return out


# -- the whole diff -------------------------------------------------------------------------------


def _run_side(run: RunInfo) -> dict[str, Any]:
    return {
        "id": run.id,
        "program": run.program,
        "program_digest": run.program_digest,
        "started": run.started,
        "status": run.status,
    }


def diff_runs(store: Store, a_text: str, b_text: str) -> dict[str, Any]:
    """How run `b_text` differs from run `a_text` (each a run id prefix or a ref)."""
    a = store.run_info(resolve_run(store, a_text))
    b = store.run_info(resolve_run(store, b_text))
    goals = _goals(store, a, b)
    inputs = _inputs(store, a, b)
    same_program = a.program_digest is not None and a.program_digest == b.program_digest
    return {
        "a": _run_side(a),
        "b": _run_side(b),
        "same_program": same_program,
        "goals": goals,
        "inputs": inputs,
        "equal": all(g["equal"] for g in goals) and not inputs,
    }


# -- text -----------------------------------------------------------------------------------------


def _number(x: Any) -> str:
    return format_value(x)


def _signed(x: Any) -> str:
    text = format_value(x)
    return text if text.startswith("-") else "+" + text


def _size(side: dict[str, Any]) -> str:
    return "x".join(str(n) for n in side["size"])


def _change_text(change: dict[str, Any]) -> list[str]:
    """The first line (and item lines) describing one change."""
    kind = change.get("kind")
    if change.get("equal") and "value" in change:
        return [f"equal: {change['value']}"]
    if kind == "number":
        return [f"{_number(change['a'])} → {_number(change['b'])} ({_signed(change['difference'])})"]
    if kind == "image":
        sa, sb = change["a"], change["b"]
        text = f"image {short(sa['digest'] or '-')} → {short(sb['digest'] or '-')}"
        if sa["size"] != sb["size"]:
            text += f", size {_size(sa)} → {_size(sb)}"
        else:
            text += f" ({_size(sa)} {sb['pixel_type']})"
        text += f", non-zero voxels {sa['voxels']} → {sb['voxels']} ({_signed(change['voxel_change'])})"
        if "differing_voxels" in change:
            text += f", {change['differing_voxels']} voxels differ"
        return [text]
    if kind == "sequence":
        n = change["differing"]
        sizes = f"{change['a_length']} → {change['b_length']}"
        head = f"sequence of {sizes} items, {n} differ{'s' if n == 1 else ''}"
        lines = [head]
        for item in change["items"]:
            if "only" in item:
                lines.append(f"  [{item['index']}] only in {item['only'].upper()}: {item['value']}")
            else:
                lines.append(f"  [{item['index']}] " + _change_text(item)[0])
        if change["differing"] > len(change["items"]):
            lines.append(f"  … and {change['differing'] - len(change['items'])} more")
        return lines
    if kind == "only":
        return [f"only in run {change['only'].upper()}"]
    if kind == "missing" and change.get("same_node"):
        return ["the same node in both runs (its value is not stored)"]
    if kind == "missing":
        stored = change["stored"]
        which = " and ".join(side.upper() for side in ("a", "b") if not stored[side])
        return [f"no stored value in run {which}"]
    return [f"{change['a']} → {change['b']}"]


def render(diff: dict[str, Any]) -> list[str]:
    """The text `vox diff` prints."""
    import time

    def when(t: float) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))

    lines = []
    for side in ("a", "b"):
        run = diff[side]
        lines.append(
            f"{side.upper()}: run {short(run['id'])}  {when(run['started'])}  "
            f"{run['status']}  {run['program']}"
        )
    if not diff["same_program"]:
        lines.append("the programs differ")
    lines.append("goals:")
    for goal in diff["goals"]:
        head = f"  {goal['kind']} {json.dumps(goal['target'], ensure_ascii=False)}: "
        body = _change_text(goal["change"])
        lines.append(head + body[0])
        lines.extend("    " + line for line in body[1:])
        if not goal["equal"]:
            lines.extend("    because " + d["message"] for d in goal.get("definition", []))
    if diff["inputs"]:
        lines.append("inputs:")
        for entry in diff["inputs"]:
            a = short(entry["a"]) if entry["a"] else "not read"
            b = short(entry["b"]) if entry["b"] else "not read"
            lines.append(f"  {entry['input']}: {a} → {b}")
    lines.append("the runs agree" if diff["equal"] else "the runs differ")
    return lines
