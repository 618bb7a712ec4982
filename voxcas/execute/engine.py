"""The executor: a workplan and a store in, stored results, goal outputs and a run record out.

Design (DESIGN.md §Executor semantics):

1. **Top-down lookup.** The roots (goal nodes and `--show` nodes) are looked up first, in one
   `store.lookup_many`. A stored root needs nothing beneath it: a fully cached run stops here,
   having imported neither Dask nor numpy. For the missing roots, every node beneath them is
   looked up in one more bulk call, and the walk descends only through missing nodes; the
   stored nodes where it stops are the *reused* frontier.
2. **Stages.** Missing nodes run as one Dask graph per stage (`voxcas.execute.stage`). Loop
   nodes (`LOOP_OPS`) are run by the engine itself between stages (`voxcas.execute.loops`), and
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
7. **Leases.** A run holds a lease on its store from before it is recorded until it ends
   (`voxcas.store.lease`): gc keeps the run and everything written since the lease began.
8. **Cancel.** Ctrl-C (KeyboardInterrupt) or `options.cancel.set()` stops scheduling at once —
   without waiting for primitives still running in the pool, whose results are dropped —,
   waits for the writer to commit what finished, and marks the run "cancelled" (exit 130). A
   process killed outright keeps every committed batch; a re-run resumes from them.
9. **Goals** run after computing, in program order, every time (`voxcas.execute.goals`).

Structure: what the run learns lives in one `RunState` (`voxcas.execute.state`), changed only by
its mutators; where inputs load and values persist is one `Placement`
(`voxcas.execute.placement`); the walk is `Lookup` (`voxcas.execute.lookup`). The engine binds
them into a `RunContext` whose `satisfy` is this module's walk-and-compute loop, handed down to
loops, the loop bag and the goals as a callable: nothing imports the engine back.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voxcas.errors import RunCancelled, UsageError
from voxcas.execute.context import Nodes, RunContext
from voxcas.execute.lookup import Lookup
from voxcas.execute.options import Failure, RunOptions, RunSummary
from voxcas.execute.placement import placement_for
from voxcas.execute.progress import NullProgress, Progress
from voxcas.execute.state import RunState
from voxcas.execute.writer import Writer
from voxcas.ids import Digest, NodeId, RunId, digest_bytes
from voxcas.plan.fingerprint import FingerprintCache, RehashingCache
from voxcas.plan.nodes import LOOP_OPS, Apply, Closure, PlanNode, Workplan
from voxcas.plan.volatile import volatile_nodes
from voxcas.primitives.registry import Registry, default_registry
from voxcas.store.base import Store

if TYPE_CHECKING:
    from voxcas.store.lease import Lease

RECOVERY_ROUNDS = 3  # walks a run retries after finding unreadable stored inputs


def is_loop(node: PlanNode) -> bool:
    return isinstance(node.definition, Apply) and node.definition.op in LOOP_OPS


class _Engine:
    """Builds a run's context and drives its walks; `satisfy` is the context's callable."""

    def __init__(
        self,
        store: Store,
        registry: Registry,
        options: RunOptions,
        progress: Progress,
        run: RunId,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        writer = Writer(store, run)
        state = RunState(store, writer, progress, options, run)
        placement = placement_for(options, store, writer, registry, state.unreadable_input, warn)
        lookup = Lookup(store, registry, options, state)
        # where fingerprints of inputs are cached: the store, or (--rehash) nowhere
        fingerprints: FingerprintCache = RehashingCache(store) if options.rehash else store
        self.ctx = RunContext(
            store, registry, options, progress, state, placement, lookup, fingerprints, self.satisfy
        )
        self.state = state
        self.writer = writer

    def close(self) -> None:
        try:
            self.writer.close()
        finally:
            self.ctx.placement.close()

    def satisfy(self, nodes: Nodes, roots: list[NodeId]) -> None:
        """Make every root stored, held, constant, failed or skipped.

        If a stored input turns out to be unreadable (corrupt or vanished object), its result is
        forgotten, what was skipped because of it is forgiven, and the walk starts again, so the
        node is recomputed in this run; after `RECOVERY_ROUNDS` the reads are reported as failures.
        """
        for _ in range(RECOVERY_ROUNDS):
            self.state.begin_walk()
            if not self._satisfy_once(nodes, roots):
                return
            self.state.forgive_walk()
        self.state.give_up_unreadable()

    def _satisfy_once(self, nodes: Nodes, roots: list[NodeId]) -> bool:
        """One walk; True if it stopped early because a stored input could not be read."""
        from voxcas.execute import loops, provenance, stage

        ctx, state = self.ctx, self.state
        reused_before = state.reused
        remaining = ctx.lookup.missing(nodes, roots)
        provenance.record_arguments(ctx.store, nodes, remaining)
        work = sum(1 for n in remaining if not isinstance(nodes[n].definition, Closure))
        ctx.progress.grow(work, state.reused - reused_before)
        while remaining:
            state.check_cancel()
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
            sequences = {a for nid in blocked if is_loop(nodes[nid]) for a in nodes[nid].args}
            with state.keeping(sequences):
                stage.compute(ctx, nodes, runnable, set(state.keep))
            state.flush()
            if state.unreadable:
                return True
            for lid in loop_ids:
                state.check_cancel()
                loops.run_loop(ctx, nodes, lid)
            state.flush()
            if state.unreadable:
                return True
            remaining = [n for n in remaining if n in blocked and n not in loop_ids]
            still_needed = {a for r in remaining if is_loop(nodes[r]) for a in nodes[r].args}
            state.release(n for n in sequences - state.keep if n not in still_needed)
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
    from voxcas.access import using
    from voxcas.store.lease import lease_for

    with _older_objects_frozen(), using(options.access), lease_for(store) as lease:
        return _run_workplan(plan, store, options, progress, lease)


def _run_workplan(
    plan: Workplan, store: Store, options: RunOptions, progress: Progress | None, lease: Lease | None
) -> RunSummary:
    from voxcas.execute import goals as goal_runner
    from voxcas.execute import provenance

    started = time.perf_counter()
    progress = progress or NullProgress()
    registry = options.registry or default_registry()
    roots = _roots(plan, options.show)
    text = options.program_text
    program_digest: Digest | None = digest_bytes(text.encode("utf-8")) if text is not None else None
    goal_records = [
        {"kind": g.kind, "target": g.target, "node": g.node, **({"pairs": True} if g.pairs else {})}
        for g in plan.goals
    ]
    run = store.start_run(
        options.program,
        program_digest,
        goal_records,
        options.record(),
        sources=provenance.run_sources(options.program, text, plan),
        names=plan.names,
    )
    if lease is not None:
        lease.name_run(run)
    constants = provenance.named_constants(plan)
    if constants:
        store.put_nodes(constants)
    summary = RunSummary(run=run, warnings=list(plan.warnings))
    if options.on_warning is not None:
        for warning in plan.warnings:
            options.on_warning(warning)

    def warn(text: str) -> None:  # a warning of the run itself (where large results travel)
        summary.warnings.append(text)
        if options.on_warning is not None:
            options.on_warning(text)

    engine = _Engine(store, registry, options, progress, run, warn)
    state = engine.state
    state.find_volatile(plan.nodes, registry)
    progress.start(run, 0, 0)
    status = "ok"
    try:
        try:
            engine.satisfy(plan.nodes, roots)
            state.flush()
        except (KeyboardInterrupt, RunCancelled):
            options.cancel.set()
            status = "cancelled"
        if status == "ok":
            goal_runner.run_goals(engine.ctx, plan, summary)
    except BaseException:  # the store or the cluster failed under us: record it, then re-raise
        options.cancel.set()
        status = "failed"
        raise
    finally:
        try:
            engine.close()
        finally:
            failures = state.failures
            if status == "ok" and failures:
                status = "failed"
            summary.status = status
            summary.computed, summary.reused = state.computed, state.reused
            summary.failed, summary.skipped = len(failures), state.skipped
            summary.failures = sorted(failures, key=_failure_order)
            summary.seconds = time.perf_counter() - started
            store.finish_run(run, status, computed=state.computed, reused=state.reused, failed=len(failures))
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
    from voxcas.lang.budget import Budget
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
    budget = Budget(options.max_nodes, options.cancel)

    def reduce() -> Workplan:
        from voxcas.access import using

        with using(options.access):  # imports and the files read while reducing, held to the policy
            return load_workplan(
                path,
                registry=registry,
                fingerprints=fingerprints,
                params=options.params,
                budget=budget,
                dialect=options.dialect,
            )

    directory: Path | None = getattr(store, "directory", None)
    confined = options.access is not None and options.access.restricted  # its checks happen while reducing
    if directory is None or options.registry is not None or options.show or confined:
        return run_workplan(reduce(), store, options, progress)
    key = cache.plan_key(path, options.program_text, options.params, options.dialect)
    # a cached plan holds only its goals: with a node limit the program is reduced, to be counted
    counted = options.rehash or options.max_nodes is not None
    plan = None if counted else cache.load(directory, key, reduce, registry)
    if plan is None:
        with recording() as observations:
            plan = reduce()
        if not volatile_nodes(plan.nodes, registry):  # reads at run time: reduce it every time
            cache.save(directory, key, plan, observations)
    return run_workplan(plan, store, options, progress)
