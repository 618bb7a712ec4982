"""The executor: a workplan and a store in, stored results, goal outputs and a run record out.

Design (DESIGN.md §Executor semantics):

1. **Top-down lookup.** The roots (goal nodes and `--show` nodes) are looked up first, in one
   `store.lookup_many`. A stored root needs nothing beneath it: a fully cached run stops here,
   having imported neither Dask nor numpy. For the missing roots, every node beneath them is
   looked up in one more bulk call, and the walk descends only through missing nodes; the
   stored nodes where it stops are the *reused* frontier.
2. **Stages.** Missing nodes run as one Dask graph per stage (`Scheduler`). Loop nodes
   (`LOOP_OPS`) are run by the engine itself between stages (`voxcas.execute.loops`), and
   whatever depends on a loop waits for the next stage. Inputs cross stages through the store
   (persisted first), except loop sequences, which are kept in memory for the loop.
3. **Persist as you go.** Each finished node is queued to the single `Writer` thread in the
   Dask `posttask` callback; the writer commits batches with `store.put_results` (and makes
   the scheduler wait when uncommitted values exceed its memory bound). Values are released by
   Dask as soon as no pending task needs them; a sink's value is dropped from the scheduler's
   cache right after it is handed to the writer.
4. **Node kinds.** Const and Closure nodes are definitions: evaluated in place, never looked up,
   stored or counted. ValueRef nodes name a stored object and load it. Applications of primitives
   declared impure are never looked up (always recomputed) but are stored.
5. **Failures.** A task never raises: a failing primitive returns `Failed`, recorded with
   `store.record_failure` against node and run; its dependents return `Skipped`; independent
   branches finish and are stored. The run ends with status "failed" (exit 1).
6. **Unreadable inputs.** A stored input whose object fails its verified read is a cache miss:
   its result is forgotten (`store.delete_result`), what was skipped because of it is forgiven,
   and the walk restarts, so the node is recomputed within the same run.
7. **Cancel.** Ctrl-C (KeyboardInterrupt) or `options.cancel.set()` stops scheduling at once —
   without waiting for primitives still running in the pool, whose results are dropped —,
   waits for the writer to commit what finished, and marks the run "cancelled" (exit 130). A
   process killed outright keeps every committed batch; a re-run resumes from them.
8. **Goals** run after computing, in program order, every time (`voxcas.execute.goals`).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voxcas.errors import RunCancelled, UsageError
from voxcas.execute.options import Failure, RunOptions, RunSummary
from voxcas.execute.progress import NullProgress, Progress
from voxcas.execute.writer import Writer
from voxcas.ids import Digest, NodeId, RunId, digest_bytes
from voxcas.plan.fingerprint import FingerprintCache, RehashingCache
from voxcas.plan.nodes import (
    LOOP_OPS,
    Apply,
    Closure,
    Const,
    PlanNode,
    ValueRef,
    Workplan,
    dependencies_first,
)
from voxcas.plan.volatile import volatile_nodes
from voxcas.primitives.registry import Registry, default_registry
from voxcas.store.base import Store

if TYPE_CHECKING:
    from voxcas.execute.schedulers import Scheduler

Nodes = Mapping[NodeId, PlanNode]
RECOVERY_ROUNDS = 3  # walks a run retries after finding unreadable stored inputs


def where_of(node: PlanNode) -> str | None:
    return str(node.span) if node.span is not None else None


def is_loop(node: PlanNode) -> bool:
    return isinstance(node.definition, Apply) and node.definition.op in LOOP_OPS


class Engine:
    """The state of one run: what is stored, what failed, the writer, the scheduler."""

    def __init__(
        self, store: Store, registry: Registry, options: RunOptions, progress: Progress, run: RunId
    ) -> None:
        self.store = store
        self.registry = registry
        self.options = options
        self.progress = progress
        self.run = run
        self.writer = Writer(store, run)
        self.known: dict[NodeId, Digest] = {}  # node -> digest of its stored value
        self.bad: dict[NodeId, str] = {}  # node -> "failed" | "skipped"
        self.held: dict[NodeId, Any] = {}  # values kept in memory (loop sequences, loop items)
        self.failures: list[Failure] = []
        self.computed = self.reused = self.skipped = 0
        self.reused_nodes: set[NodeId] = set()
        self.unreadable: dict[NodeId, str] = {}  # stored inputs whose object could not be read
        self.stage_skipped: list[NodeId] = []  # skipped since the last recovery
        self.keep_values: set[NodeId] = set()  # computed values to hold in memory (goals recomputed)
        self.volatile: set[NodeId] = set()  # never looked up: they read files known only at run time
        self._scheduler: Scheduler | None = None
        self._pure: dict[str, bool] = {}  # op -> may its results be reused
        # where fingerprints of inputs are cached: the store, or (--rehash) nowhere
        self.fingerprints: FingerprintCache = RehashingCache(store) if options.rehash else store

    # -- bookkeeping -------------------------------------------------------------------------
    def scheduler(self) -> Scheduler:
        if self._scheduler is None:
            from voxcas.execute.schedulers import Scheduler

            self._scheduler = Scheduler(self.options.scheduler, self.options.workers)
        return self._scheduler

    def close(self) -> None:
        try:
            self.writer.close()
        finally:
            if self._scheduler is not None:
                self._scheduler.close()

    def digest_of(self, node: NodeId) -> Digest | None:
        return self.known.get(node) or self.writer.digests.get(node)

    def flush(self) -> None:
        """Commit everything finished so far; learn the digests and any refused values."""
        self.writer.flush()
        for nid, message in list(self.writer.refused.items()):
            if nid not in self.bad:
                self.bad[nid] = "failed"
                self.computed -= 1
                self.failures.append(Failure(nid, None, None, f"error: {message}"))

    def check_cancel(self) -> None:
        if self.options.cancel.is_set():
            raise RunCancelled(f"run {self.run[:12]} cancelled")

    def mark_reused(self, found: Mapping[NodeId, Digest]) -> None:
        fresh = [n for n in found if n not in self.known]
        self.known.update(found)
        self.reused += len(fresh)
        self.reused_nodes.update(fresh)
        for nid in fresh:
            self.writer.note(nid, "reused")

    def mark_failed(self, node: PlanNode, message: str, tb: str = "") -> None:
        prim = node.definition.op if isinstance(node.definition, Apply) else None
        self.bad[node.id] = "failed"
        self.failures.append(Failure(node.id, prim, where_of(node), message))
        self.writer.fail(node, message, tb)
        self.writer.note(node.id, "failed")
        self.progress.posttask(node.id, "failed")

    def unreadable_input(self, node: NodeId, message: str) -> None:
        """A stored input could not be read back (its object is missing or corrupt): noted here;
        `satisfy` forgets the result and recomputes the node (a corrupt result is a cache miss)."""
        self.unreadable[node] = message

    def forget(self, node: NodeId) -> None:
        """Drop a stored result that cannot be read, so that it is computed again."""
        store = self.store
        self.writer.call(lambda: store.delete_result(node)).result()
        self.known.pop(node, None)
        self.writer.digests.pop(node, None)
        if node in self.reused_nodes:
            self.reused_nodes.discard(node)
            self.reused -= 1

    def mark_skipped(self, node: PlanNode) -> None:
        self.bad[node.id] = "skipped"
        self.stage_skipped.append(node.id)
        self.skipped += 1
        self.writer.note(node.id, "skipped")
        self.progress.posttask(node.id, "skipped")

    def mark_computed(self, node: PlanNode, value: Any, seconds: float) -> None:
        self.computed += 1
        self.writer.put(node, value, seconds)  # the writer notes it "computed" once committed
        self.progress.posttask(node.id, "computed")

    def record(self, node: PlanNode, outcome: Any, *, persisted: bool = False) -> None:
        """Account for one node's outcome (`Ok`, `Failed` or `Skipped`) as its task hands it back;
        `persisted`: an `Ok` value was already handed to the writer by the task itself."""
        from voxcas.execute.tasks import Failed, Ok

        if node.id in self.bad:  # failed before it could be scheduled (unknown primitive)
            return
        if isinstance(outcome, Ok) and persisted:
            self.computed += 1
            self.progress.posttask(node.id, "computed")
        elif isinstance(outcome, Ok):
            self.mark_computed(node, outcome.value, outcome.seconds)
        elif isinstance(outcome, Failed):
            self.mark_failed(node, outcome.message, outcome.traceback)
        else:
            self.mark_skipped(node)

    def lookupable(self, node: PlanNode) -> bool:
        """Whether the store may already hold this node's result (pure applications only)."""
        d = node.definition
        if not isinstance(d, Apply) or self.options.no_cache or node.id in self.volatile:
            return False
        pure = self._pure.get(d.op)
        if pure is None:
            try:
                pure = d.op in LOOP_OPS or self.registry.get(d.op).pure
            except KeyError:
                pure = True  # an unknown primitive fails when it runs, with its position
            self._pure[d.op] = pure
        return pure

    # -- the top-down walk -------------------------------------------------------------------
    def missing(self, nodes: Nodes, roots: list[NodeId]) -> list[NodeId]:
        """The nodes that must run to make `roots` available, dependencies first."""
        todo: list[NodeId] = []
        for root in dict.fromkeys(roots):
            if root in self.bad or self.digest_of(root) is not None or root in self.held:
                continue
            d = nodes[root].definition
            if isinstance(d, Const):
                continue
            if isinstance(d, ValueRef):
                self.known[root] = d.digest
                continue
            todo.append(root)
        ask = [r for r in todo if self.lookupable(nodes[r])]
        found = self.store.lookup_many(ask) if ask else {}
        self.mark_reused(found)
        missing_roots = [r for r in todo if r not in found]
        if not missing_roots:
            return []
        order = dependencies_first(nodes, missing_roots)
        ask = [n for n in order if n not in self.known and self.lookupable(nodes[n])]
        below = self.store.lookup_many(ask) if ask else {}
        marked = set(missing_roots)
        frontier: dict[NodeId, Digest] = {}
        stack = list(missing_roots)
        while stack:
            for arg in nodes[stack.pop()].args:
                if arg in marked or arg in self.bad or arg in self.held or self.digest_of(arg) is not None:
                    continue
                if arg in below:
                    frontier[arg] = below[arg]
                    continue
                d = nodes[arg].definition
                if isinstance(d, Const):
                    continue
                if isinstance(d, ValueRef):
                    self.known[arg] = d.digest
                    continue
                marked.add(arg)
                stack.append(arg)
        self.mark_reused(frontier)
        return [n for n in order if n in marked]

    # -- stages ----------------------------------------------------------------------------
    def satisfy(self, nodes: Nodes, roots: list[NodeId]) -> None:
        """Make every root stored, held, constant, failed or skipped.

        If a stored input turns out to be unreadable (corrupt or vanished object), its result is
        forgotten, what was skipped because of it is forgiven, and the walk starts again, so the
        node is recomputed in this run; after `RECOVERY_ROUNDS` the reads are reported as failures.
        """
        for _ in range(RECOVERY_ROUNDS):
            self.stage_skipped = []
            if not self._satisfy_once(nodes, roots):
                return
            forgiven = [n for n in self.stage_skipped if self.bad.get(n) == "skipped"]
            for nid in forgiven:
                del self.bad[nid]
            self.skipped -= len(forgiven)
            self.progress.grow(len(forgiven), 0)
            for nid in list(self.unreadable):
                self.forget(nid)
            self.unreadable.clear()
        for nid, message in self.unreadable.items():
            self.failures.append(Failure(nid, None, None, message))
        self.unreadable.clear()

    def _satisfy_once(self, nodes: Nodes, roots: list[NodeId]) -> bool:
        """One walk; True if it stopped early because a stored input could not be read."""
        reused_before = self.reused
        remaining = self.missing(nodes, roots)
        work = sum(1 for n in remaining if not isinstance(nodes[n].definition, Closure))
        self.progress.grow(work, self.reused - reused_before)
        if not remaining:
            return False
        from voxcas.execute import loops, stage

        while remaining:
            self.check_cancel()
            blocked: set[NodeId] = set()
            runnable: list[NodeId] = []
            loop_ids: list[NodeId] = []
            for nid in remaining:
                node = nodes[nid]
                if any(a in blocked for a in node.args):
                    blocked.add(nid)
                elif is_loop(node):
                    loop_ids.append(nid)
                    blocked.add(nid)
                elif not isinstance(node.definition, Closure):
                    runnable.append(nid)
            keep = {a for nid in blocked if is_loop(nodes[nid]) for a in nodes[nid].args}
            keep |= self.keep_values
            stage.compute(self, nodes, runnable, keep)
            self.flush()
            if self.unreadable:
                return True
            for lid in loop_ids:
                self.check_cancel()
                loops.run_loop(self, nodes, lid)
            self.flush()
            if self.unreadable:
                return True
            remaining = [n for n in remaining if n in blocked and n not in loop_ids]
            for nid in keep - self.keep_values:
                if not any(nid in nodes[r].args for r in remaining if is_loop(nodes[r])):
                    self.held.pop(nid, None)
        return False


def _failure_order(failure: Failure) -> tuple[Any, ...]:
    """Failures in source order (line and column numerically), then by message."""
    parts = (failure.span or "").rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return (parts[0], int(parts[1]), int(parts[2]), failure.message)
    return (failure.span or "", 0, 0, failure.message)


def _roots(plan: Workplan, show: tuple[str, ...]) -> list[NodeId]:
    roots = [g.node for g in plan.goals]
    for name in show:
        if name not in plan.names:
            known = ", ".join(sorted(plan.names)) or "none"
            raise UsageError(f"--show {name}: no top-level declaration named {name!r} (declared: {known})")
        roots.append(plan.names[name])
    return roots


_frozen_runs = 0  # runs in progress that asked the collector to leave older objects alone
_frozen_lock = threading.Lock()


@contextmanager
def _older_objects_frozen() -> Iterator[None]:
    """Keep the cyclic garbage collector off the objects that exist when a run starts.

    A reduced 10,000-node plan is hundreds of thousands of long-lived objects, and every full
    collection during the run would walk them all again (~20 % of a cold run of trivial nodes).
    `gc.freeze()` moves them out of the collector's sight; they are handed back when the last
    concurrent run ends. Objects made during the run are collected as usual, and freezing never
    frees or keeps anything by itself (reference counting still frees what dies).
    """
    global _frozen_runs
    with _frozen_lock:
        _frozen_runs += 1
        gc.freeze()
    try:
        yield
    finally:
        with _frozen_lock:
            _frozen_runs -= 1
            if _frozen_runs == 0:
                gc.unfreeze()


def run_workplan(
    plan: Workplan, store: Store, options: RunOptions, progress: Progress | None = None
) -> RunSummary:
    """Run a reduced program: compute what is missing, persist it, run the goals, record the run."""
    with _older_objects_frozen():
        return _run_workplan(plan, store, options, progress)


def _run_workplan(
    plan: Workplan, store: Store, options: RunOptions, progress: Progress | None
) -> RunSummary:
    from voxcas.execute import goals as goal_runner

    started = time.perf_counter()
    progress = progress or NullProgress()
    registry = options.registry or default_registry()
    roots = _roots(plan, options.show)
    text = options.program_text
    program_digest = digest_bytes(text.encode("utf-8")) if text is not None else None
    goal_records = [
        {"kind": g.kind, "target": g.target, "node": g.node, **({"pairs": True} if g.pairs else {})}
        for g in plan.goals
    ]
    run = store.start_run(options.program, program_digest, goal_records, options.record())
    summary = RunSummary(run=run, warnings=list(plan.warnings))
    if options.on_warning is not None:
        for warning in plan.warnings:
            options.on_warning(warning)
    engine = Engine(store, registry, options, progress, run)
    engine.volatile = volatile_nodes(plan.nodes, registry)
    progress.start(run, 0, 0)
    status = "ok"
    try:
        try:
            engine.satisfy(plan.nodes, roots)
            engine.flush()
        except (KeyboardInterrupt, RunCancelled):
            options.cancel.set()
            status = "cancelled"
        if status == "ok":
            goal_runner.run_goals(engine, plan, summary)
    except BaseException:  # the store or the cluster failed under us: record it, then re-raise
        options.cancel.set()
        status = "failed"
        raise
    finally:
        try:
            engine.close()
        finally:
            if status == "ok" and engine.failures:
                status = "failed"
            summary.status = status
            summary.computed, summary.reused = engine.computed, engine.reused
            summary.failed, summary.skipped = len(engine.failures), engine.skipped
            summary.failures = sorted(engine.failures, key=_failure_order)
            summary.seconds = time.perf_counter() - started
            store.finish_run(
                run, status, computed=engine.computed, reused=engine.reused, failed=len(engine.failures)
            )
            progress.finish(summary)
    return summary


def run_file(
    path: str | Path, store: Store, options: RunOptions, progress: Progress | None = None
) -> RunSummary:
    """Reduce a program file (the store caches input-file fingerprints) and run it.

    An unchanged program whose inputs are unchanged is not reduced again: its goals come from the
    reduction cache beside the store (`voxcas.plan.cache`), completed lazily if anything is missing.
    """
    from voxcas.lang import load_workplan
    from voxcas.lang.files import read_source
    from voxcas.plan import cache
    from voxcas.plan.observe import recording

    path = Path(path)
    registry = options.registry or default_registry()
    if options.program == "<workplan>":
        options.program = str(path)
    if options.program_text is None:
        options.program_text = read_source(str(path))  # the front-end's own errors for unreadable files

    fingerprints: FingerprintCache = RehashingCache(store) if options.rehash else store

    def reduce() -> Workplan:
        return load_workplan(path, registry=registry, fingerprints=fingerprints)

    directory: Path | None = getattr(store, "directory", None)
    if directory is None or options.registry is not None or options.show:
        return run_workplan(reduce(), store, options, progress)
    key = cache.plan_key(path, options.program_text)
    plan = None if options.rehash else cache.load(directory, key, reduce, registry)
    if plan is None:
        with recording() as observations:
            plan = reduce()
        if not volatile_nodes(plan.nodes, registry):  # reads at run time: reduce it every time
            cache.save(directory, key, plan, observations)
    return run_workplan(plan, store, options, progress)
