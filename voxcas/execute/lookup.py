"""The top-down walk: which nodes must run to make some roots available, after asking the store.

The roots are looked up first, in one `store.lookup_many`; a stored root needs nothing beneath
it. For the missing roots, every node beneath them is looked up in one more bulk call, and the
walk descends only through missing nodes; the stored nodes where it stops are the *reused*
frontier (marked reused in the run state). Constants are never looked up (they are their
value), `ValueRef` nodes are known by their digest, and only pure applications are asked for:
impure primitives, `--no-cache` runs and volatile nodes (reads at paths computed at run time)
always run. A stored result counts only when the run trusts where it came from: local work,
a bundle signed by a trusted signer, or any import with `trust_imported` (`voxcas.store.trust`);
an untrusted imported result is computed again (and the local result replaces it).
"""

from __future__ import annotations

from collections.abc import Mapping

from voxcas.execute.options import RunOptions
from voxcas.execute.state import RunState
from voxcas.ids import Digest, NodeId
from voxcas.plan.nodes import LOOP_OPS, Apply, Const, PlanNode, ValueRef, dependencies_first
from voxcas.primitives.registry import Registry
from voxcas.store.base import Store
from voxcas.store.trust import trust_of

Nodes = Mapping[NodeId, PlanNode]


class Lookup:
    """The walk of one run (it remembers which primitives are pure)."""

    def __init__(self, store: Store, registry: Registry, options: RunOptions, state: RunState) -> None:
        self.store = store
        self.registry = registry
        self.options = options
        self.state = state
        self._pure: dict[str, bool] = {}  # op -> may its results be reused
        self.trust = trust_of(store, imported=options.trust_imported)
        self._leased = getattr(store, "directory", None) is not None  # gc may run beside the run

    def lookupable(self, node: PlanNode) -> bool:
        """Whether the store may already hold this node's result (pure applications only)."""
        d = node.definition
        if not isinstance(d, Apply) or self.options.no_cache or node.id in self.state.volatile:
            return False
        pure = self._pure.get(d.op)
        if pure is None:
            prim = self.registry.find(d.op)
            # an unknown primitive fails when it runs, with its position
            pure = d.op in LOOP_OPS or prim is None or prim.pure
            self._pure[d.op] = pure
        return pure

    def _hold(self, found: dict[NodeId, Digest]) -> dict[NodeId, Digest]:
        """The stored results of `found` that gc can no longer take from this run.

        They are noted as reused in the run's node log first (a leased run's noted nodes are kept
        by gc, `voxcas.store.lease`), then looked up again: one that a gc running meanwhile
        deleted is gone now and is computed instead. A store without leases (in memory) has no
        gc running beside it."""
        if not found or self._leased is False:
            return found
        self.store.note_run_nodes(self.state.run, [(n, "reused") for n in found])
        still = self.store.lookup_many(found)
        return {n: d for n, d in found.items() if still.get(n) == d}

    def _available(self, nid: NodeId) -> bool:
        state = self.state
        return nid in state.bad or nid in state.held or state.digest_of(nid) is not None

    def _settled(self, nodes: Nodes, nid: NodeId) -> bool:
        """A constant (its own value) or a ValueRef (known by digest): nothing to run or ask."""
        d = nodes[nid].definition
        if isinstance(d, ValueRef):
            self.state.mark_known(nid, d.digest)
            return True
        return isinstance(d, Const)

    def missing(self, nodes: Nodes, roots: list[NodeId]) -> list[NodeId]:
        """The nodes that must run to make `roots` available, dependencies first."""
        todo = [r for r in dict.fromkeys(roots) if not self._available(r) and not self._settled(nodes, r)]
        ask = [r for r in todo if self.lookupable(nodes[r])]
        found = self._hold(self.store.lookup_trusted(ask, self.trust)) if ask else {}
        self.state.mark_reused(found)
        missing_roots = [r for r in todo if r not in found]
        if not missing_roots:
            return []
        order = dependencies_first(nodes, missing_roots)
        ask = [n for n in order if self.state.digest_of(n) is None and self.lookupable(nodes[n])]
        below = self.store.lookup_trusted(ask, self.trust) if ask else {}
        marked = set(missing_roots)
        frontier: dict[NodeId, Digest] = {}
        stack = list(missing_roots)
        while stack:
            for arg in nodes[stack.pop()].args:
                if arg in marked or self._available(arg):
                    continue
                if arg in below:
                    frontier[arg] = below[arg]
                    continue
                if self._settled(nodes, arg):
                    continue
                marked.add(arg)
                stack.append(arg)
        held = self._hold(frontier)
        if len(held) < len(frontier):  # a gc took some meanwhile: they are missing now
            return self.missing(nodes, roots)
        self.state.mark_reused(held)
        return [n for n in order if n in marked]
