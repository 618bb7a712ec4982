"""`MemoryStore`: the in-memory store for tests and throw-away runs.

It keeps exactly what `SqliteStore` keeps (the same encodings, so the same digests) in dicts under
one lock, and passes the same contract suite (`tests/store/contract.py`). Reads are verified like
the persistent store's, so corruption tests can run against both.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voxcas.errors import CorruptObjectError, ObjectNotFoundError
from voxcas.ids import Digest, NodeId, RunId, new_run_id
from voxcas.plan.nodes import PlanNode
from voxcas.store import codec
from voxcas.store.base import (
    FailureInfo,
    NodeRecord,
    ObjectInfo,
    PendingResult,
    Resolved,
    ResultInfo,
    RunInfo,
    RunSource,
    Store,
    StoredObject,
    StoredSequence,
)
from voxcas.store.common import check_ref_name, node_record, resolve_text


@dataclass(slots=True)
class _Object:
    kind: str
    data: bytes
    created: float
    seq: int


class MemoryStore(Store):
    """A store held in memory; everything is lost on `close()`."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._seq = itertools.count()
        self._objects: dict[Digest, _Object] = {}
        self._nodes: dict[NodeId, NodeRecord] = {}
        self._results: dict[NodeId, tuple[ResultInfo, int]] = {}
        self._failures: dict[tuple[NodeId, RunId], tuple[FailureInfo, int]] = {}
        self._runs: dict[RunId, tuple[RunInfo, int]] = {}
        self._sources: dict[RunId, list[RunSource]] = {}
        self._names: dict[RunId, dict[str, NodeId]] = {}
        self._run_nodes: dict[RunId, dict[NodeId, str]] = {}
        self._refs: dict[str, RunId] = {}
        self._fingerprints: dict[str, tuple[str, str]] = {}

    # -- objects ----------------------------------------------------------------------------
    def _add(self, kind: str, data: Any, digest: Digest) -> None:
        if digest not in self._objects:
            self._objects[digest] = _Object(kind, bytes(data), time.time(), next(self._seq))

    def _copy(self, source: Store, digest: Digest) -> None:
        if digest in self._objects:
            return
        data = source.get_encoded(digest)
        kind, children = codec.children_of(data, digest)
        for child in children:
            self._copy(source, child)
        self._add(kind, data, digest)

    def put(self, value: Any) -> Digest:
        if type(value) is StoredObject:  # stored already (the writer's large values)
            return value.digest
        with self._lock:
            if isinstance(value, StoredSequence) and value.store is not self:
                for digest in value.digests:
                    self._copy(value.store, digest)
            enc = codec.encode(value, self.put)
            self._add(enc.kind, enc.data, enc.digest)
            return enc.digest

    def get_encoded(self, digest: Digest) -> bytes:
        with self._lock:
            obj = self._objects.get(digest)
        if obj is None:
            raise ObjectNotFoundError(f"no object {digest} in the store")
        codec.verify(obj.data, digest)
        return obj.data

    def get(self, digest: Digest) -> Any:
        return codec.decode(self.get_encoded(digest), digest, self.get, self)

    def has(self, digest: Digest) -> bool:
        return digest in self._objects

    def discard_damaged(self, digest: Digest) -> bool:
        try:
            self.get_encoded(digest)
            return False
        except ObjectNotFoundError:
            return False
        except CorruptObjectError:
            with self._lock:
                self._objects.pop(digest, None)
            return True

    def missing(self, digests: Iterable[Digest]) -> set[Digest]:
        return {d for d in digests if d not in self._objects}

    def object_info(self, digest: Digest) -> ObjectInfo | None:
        with self._lock:
            o = self._objects.get(digest)
        return None if o is None else ObjectInfo(digest, o.kind, len(o.data), len(o.data), o.created)

    def objects(self) -> Iterator[ObjectInfo]:
        with self._lock:
            items = sorted(self._objects.items(), key=lambda kv: (kv[1].created, kv[1].seq), reverse=True)
        return iter([ObjectInfo(d, o.kind, len(o.data), len(o.data), o.created) for d, o in items])

    # -- nodes and results ------------------------------------------------------------------
    def put_results(self, pending: Sequence[PendingResult]) -> list[Digest]:
        with self._lock:
            digests = [self.put(p.value) for p in pending]
            for p, digest in zip(pending, digests, strict=True):
                self._nodes.setdefault(p.node.id, node_record(p.node))
                old = self._results.get(p.node.id)
                if old is None or old[0].digest != digest:
                    info = ResultInfo(
                        p.node.id, digest, p.seconds, time.time(), p.run, "local", self._reach_bytes(digest)
                    )
                    self._results[p.node.id] = (info, next(self._seq))
            return digests

    def _reach_bytes(self, digest: Digest) -> int:
        """The bytes of an object and of every object it reaches through items, each once."""
        seen: set[Digest] = set()
        todo = [digest]
        total = 0
        while todo:
            d = todo.pop()
            if d in seen or d not in self._objects:
                continue
            seen.add(d)
            data = self._objects[d].data
            total += len(data)
            todo.extend(codec.children_of(data, d)[1])
        return total

    def put_nodes(self, nodes: Iterable[PlanNode]) -> None:
        with self._lock:
            for node in nodes:
                self._nodes.setdefault(node.id, node_record(node))

    def lookup(self, node: NodeId) -> Digest | None:
        entry = self._results.get(node)
        if entry is None or entry[0].digest not in self._objects:
            return None
        return entry[0].digest

    def lookup_many(self, nodes: Iterable[NodeId]) -> dict[NodeId, Digest]:
        found: dict[NodeId, Digest] = {}
        for node in nodes:
            digest = self.lookup(node)
            if digest is not None:
                found[node] = digest
        return found

    def result(self, node: NodeId) -> ResultInfo | None:
        entry = self._results.get(node)
        return None if entry is None else entry[0]

    def results(self) -> Iterator[ResultInfo]:
        with self._lock:
            entries = sorted(self._results.values(), key=lambda e: (e[0].created, e[1]), reverse=True)
        return iter([e[0] for e in entries])

    def node(self, node: NodeId) -> NodeRecord:
        record = self._nodes.get(node)
        if record is None:
            raise ObjectNotFoundError(f"no node {node} in the store")
        return record

    def delete_result(self, node: NodeId) -> None:
        with self._lock:
            self._results.pop(node, None)

    def nodes_where(self, *, span: str | None = None, label: str | None = None) -> list[NodeRecord]:
        if span is None and label is None:
            return []
        with self._lock:
            records = list(self._nodes.values())
        return [
            r for r in records if (span is None or r.span == span) and (label is None or r.label == label)
        ]

    def node_runs(self, node: NodeId) -> list[tuple[RunId, str]]:
        with self._lock:
            return [
                (run.id, self._run_nodes[run.id][node])
                for run in self.runs()
                if node in self._run_nodes.get(run.id, {})
            ]

    # -- failures, runs, refs ---------------------------------------------------------------
    def record_failure(self, node: NodeId, run: RunId, message: str, traceback: str) -> None:
        with self._lock:
            info = FailureInfo(node, run, message, traceback, time.time())
            self._failures[(node, run)] = (info, next(self._seq))

    def failures(self, run: RunId | None = None) -> list[FailureInfo]:
        with self._lock:
            entries = [e for e in self._failures.values() if run is None or e[0].run == run]
        return [e[0] for e in sorted(entries, key=lambda e: (e[0].created, e[1]), reverse=True)]

    def start_run(
        self,
        program: str,
        program_digest: Digest | None,
        goals: list[dict[str, Any]],
        options: dict[str, Any] | None = None,
        *,
        sources: Sequence[tuple[str, str]] = (),
        names: Mapping[str, NodeId] | None = None,
    ) -> RunId:
        recorded = [RunSource(path, self.put(text)) for path, text in sources]
        run = new_run_id()
        with self._lock:
            info = RunInfo(
                run, program, program_digest, time.time(), goals=list(goals), options=dict(options or {})
            )
            self._runs[run] = (info, next(self._seq))
            self._sources[run] = recorded
            self._names[run] = dict(names or {})
        return run

    def run_sources(self, run: RunId) -> list[RunSource]:
        self.run_info(run)
        return list(self._sources.get(run, []))

    def run_names(self, run: RunId) -> dict[str, NodeId]:
        self.run_info(run)
        return dict(self._names.get(run, {}))

    def finish_run(self, run: RunId, status: str, *, computed: int, reused: int, failed: int) -> None:
        with self._lock:
            info = self.run_info(run)
            info.finished, info.status = time.time(), status
            info.computed, info.reused, info.failed = computed, reused, failed

    def run_info(self, run: RunId) -> RunInfo:
        entry = self._runs.get(run)
        if entry is None:
            raise ObjectNotFoundError(f"no run {run} in the store")
        return entry[0]

    def runs(self) -> list[RunInfo]:
        with self._lock:
            entries = sorted(self._runs.values(), key=lambda e: (e[0].started, e[1]), reverse=True)
        return [e[0] for e in entries]

    def run_nodes(self, run: RunId) -> list[tuple[NodeId, str]]:
        return sorted(self._run_nodes.get(run, {}).items())

    def note_run_nodes(self, run: RunId, entries: Iterable[tuple[NodeId, str]]) -> None:
        with self._lock:
            self._run_nodes.setdefault(run, {}).update(entries)

    def tag(self, name: str, run: RunId) -> None:
        check_ref_name(name)
        with self._lock:
            self.run_info(run)
            self._refs[name] = run

    def untag(self, name: str) -> None:
        with self._lock:
            if self._refs.pop(name, None) is None:
                raise ObjectNotFoundError(f"no ref named '{name}'")

    def refs(self) -> dict[str, RunId]:
        return dict(sorted(self._refs.items()))

    # -- ids --------------------------------------------------------------------------------
    def _find(self, prefix: str) -> list[tuple[Any, str]]:
        with self._lock:
            found: list[tuple[Any, str]] = [("object", d) for d in self._objects if d[7:].startswith(prefix)]
            found += [("node", n) for n in self._nodes.keys() | self._results.keys() if n.startswith(prefix)]
            found += [("run", r) for r in self._runs if r.startswith(prefix)]
        return found

    def resolve(self, text: str) -> Resolved:
        return resolve_text(text, self.refs(), self._find)

    # -- fingerprints -----------------------------------------------------------------------
    def cached_fingerprint(self, path: str, stamp: str) -> str | None:
        entry = self._fingerprints.get(path)
        if entry is None or entry[0] != stamp:
            return None
        return entry[1]

    def remember_fingerprint(self, path: str, stamp: str, fingerprint: str) -> None:
        with self._lock:
            self._fingerprints[path] = (stamp, fingerprint)

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"MemoryStore({len(self._objects)} objects, {len(self._results)} results)"
