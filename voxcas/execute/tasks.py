"""The functions Dask runs, and the outcome objects that travel between them.

A task never raises: `evaluate` returns `Ok(value, seconds)`, `Failed(message, traceback)` or
`Skipped(cause)`, so one failing primitive does not stop the scheduler; its dependents see a
`Failed`/`Skipped` argument and skip themselves, while independent branches go on. Everything
here is a module-level function or a small dataclass, so it pickles for the processes and
distributed schedulers (the store never travels: stored inputs are loaded by the client for
those schedulers and embedded in the graph as `Literal`s).
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from voxcas.access import AccessPolicy, using
from voxcas.errors import PrimitiveError, VoxcasError
from voxcas.ids import Digest, NodeId
from voxcas.plan.fingerprint import FingerprintCache, LayeredCache, verify_inputs
from voxcas.plan.nodes import LOOP_OPS, RUNTIME_READ, Apply
from voxcas.primitives.registry import Primitive, Registry, default_registry
from voxcas.store.base import Store


@dataclass(frozen=True, slots=True)
class Ok:
    value: Any
    seconds: float


@dataclass(frozen=True, slots=True)
class Failed:
    message: str  # "path:line:col: error: <primitive>: <cause>"
    traceback: str


@dataclass(frozen=True, slots=True)
class Skipped:
    cause: str  # why: "depends on failed node <id>" / "cancelled"


Outcome = Ok | Failed | Skipped


class Literal:
    """A value placed in a graph as is: Dask does not look inside it for keys or tasks."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __reduce__(self) -> tuple[Any, ...]:
        return (Literal, (self.value,))


@dataclass(frozen=True, slots=True)
class Call:
    """What a task needs to apply one primitive: the node, the primitive, and where it came from.

    In this process the task carries the `Primitive` itself. For other processes and machines it
    carries only the qualified name (`op`) and the registry's namespace modules (`modules`, None
    for the built-in registry): the worker imports the namespace and looks the primitive up, so
    nothing but names is pickled.
    """

    node: NodeId
    op: str
    where: str | None  # "prog.imgql:4:9", or None for nodes without a source position
    primitive: Primitive | None = None
    modules: tuple[tuple[str, str], ...] | None = None
    picks: tuple[NodeId | None, ...] | None = None  # per argument: the member of a fused chunk
    # file readers: the fingerprint the node id was made with, re-checked around the read
    # (`voxcas.plan.fingerprint.verify_inputs`), and the cache to check it with (in this process,
    # the store's stat cache; None elsewhere: the worker's own)
    reads: str | None = None
    fingerprints: FingerprintCache | None = None
    access: AccessPolicy | None = None  # the run's file-access policy, current while the task runs

    def resolve(self) -> Primitive:
        if self.primitive is not None:
            return self.primitive
        return _registry(self.modules).get(self.op)


_REGISTRIES: dict[tuple[tuple[str, str], ...] | None, Registry] = {}


def _registry(modules: tuple[tuple[str, str], ...] | None) -> Registry:
    """The registry a worker process uses for these namespace modules (built once per process)."""
    if modules not in _REGISTRIES:
        _REGISTRIES[modules] = default_registry() if modules is None else Registry(dict(modules))
    return _REGISTRIES[modules]


def read_check(definition: Apply) -> str | None:
    """The fingerprint a task must find its inputs still have (file readers), else None."""
    fingerprint = definition.fingerprint
    if fingerprint is None or fingerprint == RUNTIME_READ or definition.op in LOOP_OPS:
        return None
    return fingerprint


def checking_cache(store: Store) -> FingerprintCache:
    """The cache an in-process task re-checks its inputs with: the store's entries, read only."""
    return LayeredCache(store)


def failure_message(where: str | None, primitive: str, error: BaseException) -> str:
    """The one-line failure text: `prog.imgql:4:9: error: vox1.near: argument 'a': ...`."""
    if isinstance(error, PrimitiveError) or str(error).startswith(f"{primitive}: "):
        cause = str(error)  # it names the primitive already (an access refusal: `voxcas.access`)
    elif isinstance(error, VoxcasError):
        cause = f"{primitive}: {error}"
    else:
        cause = f"{primitive}: {type(error).__name__}: {error}"
    return f"{where}: error: {cause}" if where else f"error: {cause}"


def _open(value: Any) -> Any:
    return value.value if isinstance(value, Literal) else value


def evaluate(call_arg: Call | Literal, cancel_arg: threading.Event | Literal | None, *args: Any) -> Outcome:
    """Apply `call.primitive` to the argument values; never raises.

    An argument is an outcome (`Ok`, `Failed`, `Skipped`), possibly wrapped in a `Literal`, or —
    when `call.picks` names a member for it — the outcome mapping of a fused chunk.
    """
    call: Call = _open(call_arg)
    cancel: threading.Event | None = _open(cancel_arg)
    if call.picks is not None:
        args = tuple(arg if pick is None else arg[pick] for arg, pick in zip(args, call.picks, strict=True))
    return _apply(call, cancel, args)


def _apply(call: Call, cancel: threading.Event | None, args: Any) -> Outcome:
    values: list[Any] = []
    for arg in args:
        if isinstance(arg, Literal):
            arg = arg.value
        if isinstance(arg, Ok):
            values.append(arg.value)
        elif isinstance(arg, Failed | Skipped):
            return Skipped("an argument failed" if isinstance(arg, Failed) else arg.cause)
        else:
            values.append(arg)
    if cancel is not None and cancel.is_set():
        return Skipped("cancelled")
    started = time.perf_counter()
    try:
        with using(call.access):
            value = _call(call, values)
    except Exception as error:
        return Failed(failure_message(call.where, call.op, error), traceback.format_exc())
    return Ok(value, time.perf_counter() - started)


def _call(call: Call, values: list[Any]) -> Any:
    """The primitive's value (with its inputs re-checked around the read, for file readers)."""
    primitive = call.resolve()
    if call.reads is None:
        return primitive(*values)
    own = values[1:] if primitive.base_image else values
    verify_inputs(primitive, own, call.reads, call.fingerprints)
    value = primitive(*values)
    verify_inputs(primitive, own, call.reads, call.fingerprints)
    return value


# How a step of a fused chunk finds an argument (the first item of its tuple):
LOCAL = 0  # (LOCAL, position): the outcome of an earlier step of the same chunk
INPUT = 1  # (INPUT, index, member): the chunk's index-th input; its `member` if that is a chunk
GIVEN = 2  # (GIVEN, outcome): an outcome known when the graph was built
Source = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Step:
    """One node of a fused chunk: its call and where each of its arguments comes from."""

    call: Call
    sources: tuple[Source, ...]


def evaluate_chunk(
    steps_arg: tuple[Step, ...] | Literal,
    cancel_arg: threading.Event | Literal | None,
    *inputs: Any,
    persist: Callable[[NodeId, Any, float], None] | None = None,
) -> dict[NodeId, Outcome]:
    """Evaluate the steps of a fused chunk in order: each node's outcome, by node id; never raises.

    `persist(node, value, seconds)`, when given (in-process runs), is called as each step succeeds,
    so that a long chunk's finished nodes reach the store before the whole chunk returns."""
    steps: tuple[Step, ...] = _open(steps_arg)
    cancel: threading.Event | None = _open(cancel_arg)
    outcomes: list[Outcome] = []
    for step in steps:
        args: list[Any] = []
        for source in step.sources:
            if source[0] == LOCAL:
                args.append(outcomes[source[1]])
            elif source[0] == INPUT:
                value = inputs[source[1]]
                args.append(value if source[2] is None else value[source[2]])
            else:
                args.append(source[1])
        outcome = _apply(step.call, cancel, args)
        if persist is not None and isinstance(outcome, Ok):
            persist(step.call.node, outcome.value, outcome.seconds)
        outcomes.append(outcome)
    return {step.call.node: outcome for step, outcome in zip(steps, outcomes, strict=True)}


def load_object(store: Store | Literal, digest: Digest | Literal, node: NodeId | Literal) -> Outcome:
    """Load a stored input (threads/sync schedulers, inside the pool: decoding runs in parallel)."""
    store_: Store = _open(store)
    digest_: Digest = _open(digest)
    node_: NodeId = _open(node)
    try:
        return Ok(store_.get(digest_), 0.0)
    except Exception as error:
        return Failed(
            f"error: cannot read the stored value of node {node_[:12]}: {error}", traceback.format_exc()
        )
