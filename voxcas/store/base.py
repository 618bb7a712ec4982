"""The Store interface: what every store implementation (SQLite, memory) guarantees.

Vocabulary (as in dvc/git): an *object* is an immutable value addressed by `Digest`
(`sha256:` of its uncompressed canonical encoding, see `voxcas.store.codec`); a *result* binds a
`NodeId` (a computation) to the digest of its value; a *node record* keeps the definition that
the node id was computed from, so a result can be explained and its id re-verified.

Contract (checked by the shared suite `tests/store/contract.py` for every implementation):
- Writes are idempotent: putting an existing object or re-binding a node to the same digest is a
  no-op; Dask may run a task twice and nothing breaks. Binding a node to a *different* digest
  replaces the result (a recomputation by a newer primitive version never happens, since the
  version is part of the id, but an imported result may be superseded by a local one).
- `put_result` commits the object (with its sequence items), the node record and the result in
  ONE transaction: durable before visible.
- Reads are verified: `get` re-hashes what it reads and raises `CorruptObjectError` on a
  mismatch, never returning bad data. `lookup` returns a digest only when the object row exists;
  callers that then fail to `get` it (corruption) treat the node as a cache miss.
- Sequences are stored like git trees: each item is an object, the sequence object is the list of
  item digests; `get` of a sequence returns a lazy `StoredSequence` that loads items on access.
  Mappings likewise map keys to item digests.
- Errors are from `voxcas.errors`: `ObjectNotFoundError`, `AmbiguousPrefixError`,
  `CorruptObjectError`, `EncodingError`, `SchemaVersionError`, `BundleError`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from voxcas.errors import ObjectNotFoundError
from voxcas.ids import Digest, NodeId, RunId
from voxcas.plan.nodes import PlanNode
from voxcas.store.trust import Trust

Provenance = str  # "local" or "import:<bundle digest>"


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    digest: Digest
    kind: str  # scalar | mapping | sequence | ndarray | image | bytes
    size: int  # uncompressed encoding size in bytes
    stored_size: int  # bytes on disk (compressed when that helped)
    created: float  # unix time


@dataclass(frozen=True, slots=True)
class NodeRecord:
    id: NodeId
    definition: str  # canonical JSON (voxcas.plan.identity.definition_to_json)
    op: str | None  # qualified primitive name for applications, else the node kind
    span: str | None  # "path:line:col" of the expression that made it
    label: str | None


@dataclass(frozen=True, slots=True)
class ResultInfo:
    node: NodeId
    digest: Digest
    seconds: float  # compute time
    created: float  # unix time
    run: RunId | None
    provenance: Provenance
    bytes: int | None = None  # stored bytes of its object and the items it reaches (None: unknown)


@dataclass(frozen=True, slots=True)
class FailureInfo:
    node: NodeId
    run: RunId
    message: str
    traceback: str
    created: float


@dataclass(slots=True)
class RunInfo:
    id: RunId
    program: str  # path as given
    program_digest: Digest | None
    started: float
    finished: float | None = None
    status: str = "running"  # running | ok | failed | cancelled | killed
    computed: int = 0
    reused: int = 0
    failed: int = 0
    goals: list[dict[str, Any]] = field(default_factory=list)  # [{"kind","target","node"}]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunSource:
    """One file of the code a run ran: the program (first) or a file it imported, with the digest
    of the object that holds its text (`store.get(digest)` is the text)."""

    path: str
    digest: Digest


@dataclass(frozen=True, slots=True)
class PendingResult:
    """One result to commit: the node, its value, and how long it took."""

    node: PlanNode
    value: Any
    seconds: float = 0.0
    run: RunId | None = None


@dataclass(frozen=True, slots=True)
class StoredObject:
    """A value already stored in the store it is given to, named by its digest: `put_results`
    binds a result to it without encoding anything (the writer stores large values ahead)."""

    digest: Digest


ITER_BATCH = 256  # items a StoredSequence loads per store round trip while iterated


class StoredSequence(Sequence[Any]):
    """A sequence object read from (or already in) a store: item digests, values loaded on access.

    The codec encodes a `StoredSequence` from its digests without re-storing its items, so a
    loop can persist its result as the list of its items' digests.
    """

    __slots__ = ("digests", "store")

    def __init__(self, store: Store, digests: Sequence[Digest]) -> None:
        self.store = store
        self.digests: tuple[Digest, ...] = tuple(digests)

    def __len__(self) -> int:
        return len(self.digests)

    def __getitem__(self, index: int | slice) -> Any:  # type: ignore[override]
        if isinstance(index, slice):
            return StoredSequence(self.store, self.digests[index])
        return self.store.get(self.digests[index])

    def __iter__(self) -> Iterator[Any]:
        for start in range(0, len(self.digests), ITER_BATCH):
            yield from self.store.get_many(self.digests[start : start + ITER_BATCH])

    def __repr__(self) -> str:
        return f"StoredSequence({len(self.digests)} items)"


Resolved = tuple[Literal["object", "node", "run", "ref"], str]


class Store(ABC):
    """Abstract store. Implementations: `SqliteStore` (`voxcas.store.sqlite`), `MemoryStore`."""

    # -- objects ---------------------------------------------------------------------------
    @abstractmethod
    def put(self, value: Any) -> Digest:
        """Store a value (and, for sequences/mappings, its items); return its digest."""

    @abstractmethod
    def get(self, digest: Digest) -> Any:
        """The value of an object, verified against its digest."""

    def get_many(self, digests: Sequence[Digest]) -> list[Any]:
        """The values of several objects, in order (verified like `get`); stores may batch the reads."""
        return [self.get(d) for d in digests]

    @abstractmethod
    def has(self, digest: Digest) -> bool: ...

    @abstractmethod
    def discard_damaged(self, digest: Digest) -> bool:
        """Delete the object `digest` if its bytes fail verification (or are gone), so that the
        next put of its value stores it whole again (a put never rewrites an object it has);
        True if it was deleted. An object that reads back whole is left alone."""

    def put_sequence(self, digests: Sequence[Digest]) -> Digest:
        """Store a sequence object whose items are already stored (a loop's result)."""
        absent = self.missing(digests)
        if absent:
            raise ObjectNotFoundError(
                f"cannot store a sequence: item {sorted(absent)[0]} is not in the store"
            )
        return self.put(StoredSequence(self, digests))

    @abstractmethod
    def missing(self, digests: Iterable[Digest]) -> set[Digest]:
        """Which of `digests` the store lacks (for push/pull)."""

    @abstractmethod
    def get_encoded(self, digest: Digest) -> bytes:
        """The verified uncompressed encoding of an object (for export and the HTTP API)."""

    @abstractmethod
    def objects(self) -> Iterator[ObjectInfo]:
        """Every object, newest first."""

    def object_info(self, digest: Digest) -> ObjectInfo | None:
        """One object's kind, sizes and time, or None (stores override this scan with a lookup)."""
        return next((o for o in self.objects() if o.digest == digest), None)

    # -- nodes and results -------------------------------------------------------------------
    def put_result(
        self, node: PlanNode, value: Any, *, seconds: float = 0.0, run: RunId | None = None
    ) -> Digest:
        """Commit object + node record + result in one transaction; return the digest."""
        return self.put_results([PendingResult(node, value, seconds, run)])[0]

    @abstractmethod
    def put_results(self, pending: Sequence[PendingResult]) -> list[Digest]:
        """Commit many results in one transaction (the executor's batched single writer)."""

    @abstractmethod
    def put_nodes(self, nodes: Iterable[PlanNode]) -> None:
        """Record node definitions without results (plans are explainable before they run)."""

    @abstractmethod
    def lookup(self, node: NodeId) -> Digest | None:
        """The digest bound to a node, if its object is present."""

    @abstractmethod
    def lookup_many(self, nodes: Iterable[NodeId]) -> dict[NodeId, Digest]:
        """`lookup` for many ids in few queries; absent ids are left out."""

    def lookup_trusted(self, nodes: Iterable[NodeId], trust: Trust) -> dict[NodeId, Digest]:
        """`lookup_many` keeping only the results whose provenance `trust` allows."""
        found = self.lookup_many(nodes)
        return {
            n: d for n, d in found.items() if (r := self.result(n)) is not None and trust.allows(r.provenance)
        }

    @abstractmethod
    def result(self, node: NodeId) -> ResultInfo | None: ...

    @abstractmethod
    def results(self) -> Iterator[ResultInfo]:
        """Every result, newest first."""

    @abstractmethod
    def node(self, node: NodeId) -> NodeRecord:
        """The definition of a node; `ObjectNotFoundError` if unknown."""

    @abstractmethod
    def delete_result(self, node: NodeId) -> None:
        """Forget a result (its object stays until gc); used when its object is corrupt."""

    @abstractmethod
    def nodes_where(self, *, span: str | None = None, label: str | None = None) -> list[NodeRecord]:
        """The node records made at source position `span` ("path:line:col") and/or labelled
        `label` (both, when both are given); `vox why` looks there for a node's predecessors."""

    @abstractmethod
    def node_runs(self, node: NodeId) -> list[tuple[RunId, str]]:
        """The runs whose node log has `node`, newest run first, with what happened to it there."""

    # -- failures, runs, refs ----------------------------------------------------------------
    @abstractmethod
    def record_failure(self, node: NodeId, run: RunId, message: str, traceback: str) -> None: ...

    @abstractmethod
    def failures(self, run: RunId | None = None) -> list[FailureInfo]: ...

    @abstractmethod
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
        """Record a new run. `sources`: (path, text) of the program and of every file it imported,
        stored as objects (shared by every run of the same text); `names`: its top-level names."""

    @abstractmethod
    def run_sources(self, run: RunId) -> list[RunSource]:
        """The program and imported files a run recorded, program first ([] for older runs)."""

    @abstractmethod
    def run_names(self, run: RunId) -> dict[str, NodeId]:
        """The top-level names a run recorded, with their node ids ({} for older runs)."""

    @abstractmethod
    def finish_run(
        self, run: RunId, status: str, *, computed: int, reused: int, failed: int
    ) -> None: ...

    @abstractmethod
    def run_info(self, run: RunId) -> RunInfo: ...

    @abstractmethod
    def runs(self) -> list[RunInfo]:
        """Every run, newest first."""

    @abstractmethod
    def run_nodes(self, run: RunId) -> list[tuple[NodeId, str]]:
        """The nodes a run touched with what happened: computed | reused | failed | skipped."""

    @abstractmethod
    def note_run_nodes(self, run: RunId, entries: Iterable[tuple[NodeId, str]]) -> None: ...

    @abstractmethod
    def tag(self, name: str, run: RunId) -> None:
        """Point ref `name` at a run (replacing an existing ref of that name)."""

    @abstractmethod
    def untag(self, name: str) -> None: ...

    @abstractmethod
    def refs(self) -> dict[str, RunId]: ...

    # -- ids ----------------------------------------------------------------------------------
    @abstractmethod
    def resolve(self, text: str) -> Resolved:
        """Resolve a ref name, or a unique prefix of an object digest, node id or run id."""

    # -- file fingerprints (cached by path and FileState stamp: voxcas.plan.filestate) -------
    @abstractmethod
    def cached_fingerprint(self, path: str, stamp: str) -> str | None: ...

    @abstractmethod
    def remember_fingerprint(self, path: str, stamp: str, fingerprint: str) -> None: ...

    # -- lifecycle ----------------------------------------------------------------------------
    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
