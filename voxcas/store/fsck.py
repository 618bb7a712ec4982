"""`fsck`: verify a store end to end and report every problem found (it never repairs).

Checks, in order:
1. SQLite's `PRAGMA integrity_check` (pages, indexes, free lists);
2. every object: its bytes decompress, re-hash to its digest, its header names its `kind`, its
   size is the recorded one, and its item rows are exactly the items its encoding lists;
3. every item of a sequence or mapping is present;
4. every result has its object and its node record;
5. every node id is re-derivable: `node_id(definition_from_json(definition)) == id`.

Objects are read one at a time, so fsck runs in constant memory on large stores.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from voxcas.errors import CorruptObjectError
from voxcas.ids import Digest
from voxcas.plan.identity import definition_from_json, node_id
from voxcas.store import codec
from voxcas.store.sqlite import SqliteStore

MAX_LISTED = 1000  # problems beyond this many are counted, not listed


@dataclass(slots=True)
class FsckReport:
    objects: int = 0
    results: int = 0
    nodes: int = 0
    items: int = 0
    problems: list[str] = field(default_factory=list)
    unlisted: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and not self.unlisted

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_LISTED:
            self.problems.append(text)
        else:
            self.unlisted += 1

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def _check_object(store: SqliteStore, digest: Digest, kind: str, report: FsckReport) -> None:
    try:
        data = store.read_verified(digest)
        found, children = codec.children_of(data, digest)
    except CorruptObjectError as exc:
        report.problem(str(exc))
        return
    if found != kind:
        report.problem(f"object {digest} is recorded as a {kind} but its encoding is a {found}")
    if store.items_of(digest) != children:
        report.problem(f"object {digest}: its item rows do not match the items its encoding lists")


def fsck(store: SqliteStore) -> FsckReport:
    """Verify the whole store; `report.ok` is False when anything is wrong."""
    report = FsckReport()
    for (line,) in store.query("PRAGMA integrity_check"):
        if line != "ok":
            report.problem(f"sqlite integrity check: {line}")
    for digest, kind in store.object_kinds():
        report.objects += 1
        _check_object(store, digest, kind, report)
    for parent, child in store.dangling_items():
        report.problem(f"object {parent} lists item {child}, which is missing")
    report.items = store.item_count()
    for node, digest, has_object, has_node in store.result_links():
        report.results += 1
        if not has_object:
            report.problem(f"result of node {node} points to object {digest}, which is missing")
        if not has_node:
            report.problem(f"result of node {node} has no node record")
    for ident, definition in store.query("SELECT id, definition FROM nodes"):
        report.nodes += 1
        try:
            derived = node_id(definition_from_json(definition))
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            report.problem(f"node {ident}: its definition cannot be read ({exc})")
            continue
        if derived != ident:
            report.problem(f"node {ident}: its definition hashes to {derived}")
    return report
