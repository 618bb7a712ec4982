"""The reduction cache: a re-run of an unchanged program skips parsing and reducing.

Reducing a 10,000-line program takes a good part of a second, far more than answering it from a
warm store. So after each reduction `vox run` saves a small *plan entry* beside the store
(`<store>/plans/<key>.json`): the goal nodes (definitions, spans), the declared names' ids, the
reducer's warnings, the imported files' texts (each run records the code it ran), and the
file-system observations the reduction made (`voxcas.plan.observe`).

- **Key.** SHA-256 of: the entry format, the voxcas version, a stamp of the front-end's and the
  primitives' source files (path, size, mtime of every `.py`/`.imgql` under `voxcas/lang`,
  `voxcas/plan`, `voxcas/primitives`: editing voxcas or a primitive's version invalidates every
  entry), the program's absolute path, the working directory (relative paths in programs resolve
  against it), and the program text.
- **Validity.** An entry is used only if every observation still holds (`observe.unchanged`):
  each imported file, fingerprinted input, listed directory and probed path is as it was, and
  every primitive the reduction resolved from outside voxcas's own namespaces (a plugin, a
  namespace added at run time, whose code the key's stamp does not cover) still has the version
  it had (a version bump must never leave a cached plan, with its old ids and folded constants,
  in use).
  Otherwise the program is reduced again and the entry rewritten.
- **Lazy completion.** A cached plan holds only the goal nodes, which is all a run needs when the
  goals are stored. Its `nodes` mapping is a `LazyNodes`: the first time the executor asks for a
  node it lacks (a goal is not stored, or its object proved corrupt), it reduces the program for
  real and fills in every node, so the run continues exactly as without the cache.
- **Writes** go to a temporary file renamed into place, so concurrent runs and kills never leave
  a torn entry; an unreadable or malformed entry is ignored (and rewritten). Entries are small
  (goals only) and `vox gc` removes them all (they are rebuilt by the next run).

Only runs with the built-in registry and without `--show` use the cache (`--show` needs every
declared node; custom registries, e.g. the HTTP server's guarded one, change what reduction does).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voxcas.ids import NodeId
from voxcas.plan.identity import definition_from_json, definition_to_json
from voxcas.plan.nodes import Goal, PlanNode, Workplan
from voxcas.plan.observe import Observation, unchanged
from voxcas.primitives.libraries import BUILTIN_LIBRARIES, built_with
from voxcas.span import Span
from voxcas.version import __version__

if TYPE_CHECKING:
    from voxcas.primitives.registry import Registry

# 2: goals carry `pairs`; 3: observations are (path, state stamp, proof); 4: primitives' versions;
# 5: the imported files' texts (a run records the code it ran)
FORMAT = "voxcas-plan-cache/5"
PLANS_DIR = "plans"
_CODE_PACKAGES = ("lang", "plan", "primitives")
_code_stamp: str | None = None


def code_stamp() -> str:
    """A digest of the (path, size, mtime) of the source files whose change could change a plan."""
    global _code_stamp
    if _code_stamp is None:
        h = hashlib.sha256()
        root = Path(__file__).resolve().parents[1]  # the voxcas package
        for package in _CODE_PACKAGES:
            for entry in sorted(os.scandir(root / package), key=lambda e: e.name):
                if entry.name.endswith((".py", ".imgql")):
                    st = entry.stat()
                    h.update(f"{package}/{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        _code_stamp = h.hexdigest()
    return _code_stamp


def plan_key(
    program: Path, text: str, params: dict[str, Any] | None = None, dialect: str | None = None
) -> str:
    """The entry of a program text run from here, with these parameters, read in this dialect
    (None: detected), by this voxcas."""
    h = hashlib.sha256()
    libraries = built_with(BUILTIN_LIBRARIES)  # an upgrade changes the versions nodes carry
    for part in (FORMAT, __version__, code_stamp(), libraries, str(program.resolve()), os.getcwd()):
        h.update(part.encode("utf-8") + b"\0")
    h.update(json.dumps(params or {}, sort_keys=True).encode("utf-8") + b"\0")
    if dialect is not None:  # (absent for a detected dialect: keys made before dialects stay valid)
        h.update(f"dialect={dialect}".encode() + b"\0")
    h.update(text.encode("utf-8"))
    return h.hexdigest()


class LazyNodes(dict[NodeId, PlanNode]):
    """The nodes of a cached plan; a missing node triggers the real reduction, once."""

    def __init__(self, nodes: dict[NodeId, PlanNode], complete: Callable[[], Workplan]) -> None:
        super().__init__(nodes)
        self._complete: Callable[[], Workplan] | None = complete

    def __missing__(self, key: NodeId) -> PlanNode:
        if self._complete is not None:
            complete, self._complete = self._complete, None
            self.update(complete().nodes)
            if dict.__contains__(self, key):
                return dict.__getitem__(self, key)
        raise KeyError(key)


def _entry_path(directory: Path, key: str) -> Path:
    return directory / PLANS_DIR / f"{key}.json"


def _span_json(span: Span | None) -> dict[str, object] | None:
    return None if span is None else span.to_json()


def save(directory: Path, key: str, plan: Workplan, observations: list[Observation]) -> None:
    """Write the plan entry for `key` atomically (errors writing a cache entry are not fatal)."""
    goal_ids = {g.node for g in plan.goals}
    entry = {
        "format": FORMAT,
        "observations": observations,
        "primitives": getattr(observations, "primitives", {}),
        "nodes": [
            {
                "id": nid,
                "definition": definition_to_json(plan.nodes[nid].definition),
                "span": _span_json(plan.nodes[nid].span),
                "label": plan.nodes[nid].label,
            }
            for nid in sorted(goal_ids)
        ],
        "goals": [
            {"kind": g.kind, "target": g.target, "node": g.node, "span": _span_json(g.span), "pairs": g.pairs}
            for g in plan.goals
        ],
        "names": plan.names,
        "warnings": plan.warnings,
        "imports": plan.imports,
    }
    target = _entry_path(directory, key)
    tmp = target.with_name(f".{key}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(exist_ok=True)
        tmp.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)


def versions_unchanged(primitives: dict[str, str], registry: Registry) -> bool:
    """Whether every recorded primitive outside voxcas's own namespaces has its recorded version."""
    for qualified, version in primitives.items():
        namespace = qualified.partition(".")[0]
        if registry.is_builtin(namespace):
            continue  # its code is in the key's stamp
        try:
            prim = registry.find(qualified)
        except Exception:  # a plugin that no longer imports
            return False
        if prim is None or prim.identity_version != version:
            return False
    return True


def load(
    directory: Path, key: str, complete: Callable[[], Workplan], registry: Registry | None = None
) -> Workplan | None:
    """The cached plan for `key` if its entry exists and every observation still holds."""
    from voxcas.primitives.registry import default_registry

    try:
        entry: dict[str, Any] = json.loads(_entry_path(directory, key).read_text(encoding="utf-8"))
        if entry.get("format") != FORMAT:
            return None
        if not versions_unchanged(entry["primitives"], registry or default_registry()):
            return None
        if not unchanged(tuple(o) for o in entry["observations"]):
            return None
        nodes = {
            NodeId(n["id"]): PlanNode(
                NodeId(n["id"]),
                definition_from_json(n["definition"]),
                None if n["span"] is None else Span.from_json(n["span"]),
                n["label"],
            )
            for n in entry["nodes"]
        }
        goals = [
            Goal(
                g["kind"],
                g["target"],
                NodeId(g["node"]),
                None if g["span"] is None else Span.from_json(g["span"]),
                bool(g["pairs"]),
            )
            for g in entry["goals"]
        ]
        names = {str(k): NodeId(v) for k, v in entry["names"].items()}
        warnings = [str(w) for w in entry["warnings"]]
        imports = [(str(path), str(text)) for path, text in entry["imports"]]
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    return Workplan(LazyNodes(nodes, complete), goals, names, warnings, imports)


def clear(directory: Path) -> int:
    """Delete every plan entry (gc); returns how many were removed."""
    removed = 0
    folder = directory / PLANS_DIR
    if folder.is_dir():
        for entry in folder.iterdir():
            entry.unlink(missing_ok=True)
            removed += 1
    return removed
