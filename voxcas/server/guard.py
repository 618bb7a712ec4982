"""The server's shell over `voxcas.access`: the policies of HTTP programs, and a static proof.

The rule itself lives in `voxcas.access` and is enforced where files are opened: a program sent
over HTTP is reduced under `read_policy(data_roots)` (imports at any depth, folded listings and
fingerprints read only inside the data roots; nothing written) and runs under
`run_policy(data_roots, out_dir)` (reads likewise, writes only inside the run's own output
directory), resolved final paths checked as each file is opened: symlinks, the data files a
header names, DICOM series members, computed save names and `simpleitk.WriteImage` targets.

`check_plan(plan, roots)` adds an early refusal, after reduction and before anything executes,
so a client gets a 403 instead of a failed run. It finds every application of a primitive that
reads files (`Primitive.reads_files`), at top level and inside loop bodies, and proves that
each path it will read lies inside one of the data roots:

- a constant path (a `Const` / `TConst` string, or every item of a constant list) is made absolute
  against the working directory, and checked by the policy (symlinks and companions resolved);
- a path that is a loop item (`("param", 0)` in a loop body) is checked through the sequence the
  loop runs over: a constant list (every item checked) or a directory listing (`LISTING_OPS`,
  whose root is itself a checked path read, and whose glob pattern may not climb out with `..`);
- anything else (a path computed at run time, e.g. read from a file) cannot be proved safe
  before it runs, so the program is refused.

Save goals and writers (`Primitive.writes_files`, `write_params`) with constant targets must name
relative paths that stay inside the output directory, and a file-name template may hold only
numbered fields and format specs (`voxcas.fieldformat`). Every refusal is an
`AccessDeniedError` (HTTP 403) naming the path or the expression and its source position.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from voxcas.access import AccessPolicy
from voxcas.errors import AccessDeniedError
from voxcas.plan.nodes import (
    LOOP_OPS,
    Apply,
    Closure,
    Const,
    PlanNode,
    TApply,
    TClosure,
    TConst,
    Template,
    TemplateRef,
    Workplan,
)
from voxcas.primitives.registry import Primitive, Registry, default_registry
from voxcas.span import Span

# primitives whose value is a list of file paths found under their (checked) root argument
LISTING_OPS: frozenset[str] = frozenset({"default.dir"})


def inside(path: str, roots: Sequence[Path], cwd: Path | None = None) -> bool:
    """Whether `path` (relative to `cwd`), with its symlinks resolved, lies inside one of `roots`."""
    base = cwd if cwd is not None else Path.cwd()
    real = Path(os.path.realpath(os.path.join(base, path)))
    for root in roots:
        real_root = Path(os.path.realpath(root))
        if real == real_root or real.is_relative_to(real_root):
            return True
    return False


def check_save_target(target: str, span: Span | None = None) -> None:
    """A save goal of an HTTP run must name a relative path that stays in the run's output directory."""
    pure = PurePath(target)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise AccessDeniedError(
            f"{_where(span)}save path {target!r} must be relative and stay inside the run's output directory"
        )


def check_save_template(target: str, span: Span | None = None) -> None:
    """A save file-name template may hold only numbered fields and format specs (no attributes)."""
    from voxcas.fieldformat import check_template

    try:
        check_template(target)
    except ValueError as exc:
        raise AccessDeniedError(f"{_where(span)}save path {target!r}: {exc}") from None


def check_write_target(op: str, target: str, span: Span | None = None) -> None:
    """A file a primitive of an HTTP run writes must be named relative to the run's output directory."""
    pure = PurePath(target)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise AccessDeniedError(
            f"{_where(span)}{op}: path {target!r} must be relative and stay inside the run's output directory"
        )


@dataclass(frozen=True, slots=True)
class _Scope:
    """How to resolve the refs of one template: its nodes, its captures, the sequences it loops over."""

    template: Template
    captures: tuple[_Source, ...]
    items_of: tuple[_Source, ...]  # the sequences whose items the template's parameter takes


@dataclass(frozen=True, slots=True)
class _Source:
    """Where a value comes from: a node of the plan, or the i-th node of a scope's template."""

    plan_node: PlanNode | None = None
    scope: _Scope | None = None
    index: int = -1
    param: bool = False  # the loop item of `scope`


class _Checker:
    def __init__(
        self, plan: Workplan, roots: Sequence[Path], registry: Registry, cwd: Path, writable: bool = True
    ) -> None:
        self.plan = plan
        self.policy = PathPolicy.of(roots, cwd)
        self.registry = registry
        self.writable = writable

    # -- entry ---------------------------------------------------------------------------------
    def run(self) -> None:
        loops_over = self._loops_by_closure()
        for node in self.plan.nodes.values():
            d = node.definition
            if isinstance(d, Apply):
                self._check_apply(d.op, [self._plan_source(a) for a in d.args], node.span)
            elif isinstance(d, Closure):
                scope = _Scope(
                    d.body,
                    tuple(self._plan_source(c) for c in d.captures),
                    tuple(loops_over.get(node.id, ())),
                )
                self._check_template(scope, node.span)
        for goal in self.plan.goals:
            if goal.kind == "save" and not goal.pairs:  # computed paths: checked as they are written
                check_save_target(goal.target, goal.span)
            if goal.kind == "save" and "{" in goal.target:
                check_save_template(goal.target, goal.span)

    def _loops_by_closure(self) -> dict[str, list[_Source]]:
        out: dict[str, list[_Source]] = {}
        for node in self.plan.nodes.values():
            d = node.definition
            if isinstance(d, Apply) and d.op in LOOP_OPS:
                closures = [a for a in d.args if isinstance(self.plan.nodes[a].definition, Closure)]
                others = [self._plan_source(a) for a in d.args if a not in closures]
                for c in closures:
                    out.setdefault(c, []).extend(others)
        return out

    def _plan_source(self, node_id: str) -> _Source:
        return _Source(plan_node=self.plan.nodes[node_id])  # type: ignore[index]

    # -- templates -------------------------------------------------------------------------------
    def _check_template(self, scope: _Scope, span: Span | None) -> None:
        nodes = scope.template.nodes
        inner_loops: dict[int, list[_Source]] = {}
        for node in nodes:
            if isinstance(node, TApply) and node.op in LOOP_OPS:
                closure_refs = [r for r in node.args if r[0] == "node" and isinstance(nodes[r[1]], TClosure)]
                others = [self._ref(scope, r) for r in node.args if r not in closure_refs]
                for r in closure_refs:
                    inner_loops.setdefault(r[1], []).extend(others)
        for index, node in enumerate(nodes):
            where = node.span or span
            if isinstance(node, TApply):
                self._check_apply(node.op, [self._ref(scope, r) for r in node.args], where)
            elif isinstance(node, TClosure):
                inner = _Scope(
                    node.body,
                    tuple(self._ref(scope, c) for c in node.captures),
                    tuple(inner_loops.get(index, ())),
                )
                self._check_template(inner, where)

    def _ref(self, scope: _Scope, ref: TemplateRef) -> _Source:
        kind, i = ref
        if kind == "node":
            return _Source(scope=scope, index=i)
        if kind == "capture":
            return scope.captures[i]
        return _Source(scope=scope, param=True)

    # -- applications ------------------------------------------------------------------------------
    def _check_apply(self, op: str, args: list[_Source], span: Span | None) -> None:
        prim = self._primitive(op)
        if prim is not None and prim.writes_files:
            self._check_write_sources(prim, args, span)
        if prim is None or not prim.reads_files:
            return
        offset = 1 if prim.base_image else 0
        indices = [offset + i for i in prim.path_params] or list(range(offset, len(args)))
        for i in indices:
            if i < len(args):
                self._check_path_source(args[i], op, span)
        if op in LISTING_OPS:
            for i, source in enumerate(args):
                if i not in indices:
                    self._check_pattern(source, op, span)

    def _check_write_sources(self, prim: Primitive, args: list[_Source], span: Span | None) -> None:
        """A constant path a writer is given must be relative and stay in the output directory
        (computed ones are checked by the access policy as they are written)."""
        if not self.writable:
            raise AccessDeniedError(
                f"{_where(span)}{prim.qualified} writes files: "
                "this server has no output directory (--out-root)"
            )
        offset = 1 if prim.base_image else 0
        for i in prim.write_params:
            if offset + i < len(args):
                for path in self._constant(args[offset + i]) or ():
                    check_write_target(prim.qualified, path, span)

    def _primitive(self, op: str) -> Primitive | None:
        return self.registry.find(op)

    def _check_path_source(self, source: _Source, op: str, span: Span | None) -> None:
        if source.param:
            assert source.scope is not None
            if not source.scope.items_of:
                self._refuse_computed(op, "a function parameter", span)
            for seq in source.scope.items_of:
                self._check_items(seq, op, span)
            return
        const = self._constant(source)
        if const is not None:
            for path in const:
                self._check_path(path, op, span)
            return
        self._refuse_computed(op, self._describe(source), span)

    def _check_items(self, seq: _Source, op: str, span: Span | None) -> None:
        """Every item of the sequence `seq` will be read as a path by `op`."""
        const = self._constant(seq)
        if const is not None:
            for path in const:
                self._check_path(path, op, span)
            return
        if self._op_of(seq) in LISTING_OPS:
            return  # its root (and pattern) are checked where the listing itself is applied
        self._refuse_computed(op, f"items of {self._describe(seq)}", span)

    def _check_pattern(self, source: _Source, op: str, span: Span | None) -> None:
        const = self._constant(source)
        if const is None:
            return
        for pattern in const:
            self.policy.check_pattern(op, pattern, span)

    def _check_path(self, path: str, op: str, span: Span | None) -> None:
        self.policy.check_path(op, path, span)

    def _refuse_computed(self, op: str, what: str, span: Span | None) -> None:
        raise AccessDeniedError(
            f"{_where(span)}{op}: the path read is {what}, computed at run time; "
            "programs submitted over HTTP may only read constant paths or directory listings"
        )

    # -- sources ---------------------------------------------------------------------------------------
    def _constant(self, source: _Source) -> list[str] | None:
        """The path strings of a constant source (a string, or a list of them), else None."""
        value: object
        if source.plan_node is not None:
            d = source.plan_node.definition
            if not isinstance(d, Const):
                return None
            value = d.value
        elif source.scope is not None and not source.param:
            node = source.scope.template.nodes[source.index]
            if not isinstance(node, TConst):
                return None
            value = node.value
        else:
            return None
        items: Iterable[object] = value if isinstance(value, tuple) else (value,)
        return [str(v) for v in items]

    def _op_of(self, source: _Source) -> str | None:
        if source.plan_node is not None:
            d = source.plan_node.definition
            return d.op if isinstance(d, Apply) else None
        if source.scope is not None and not source.param:
            node = source.scope.template.nodes[source.index]
            return node.op if isinstance(node, TApply) else None
        return None

    def _describe(self, source: _Source) -> str:
        op = self._op_of(source)
        if op is not None:
            return f"the result of {op}"
        if source.plan_node is not None and source.plan_node.label:
            return f"'{source.plan_node.label}'"
        return "a computed value"


@dataclass(frozen=True, slots=True)
class PathPolicy:
    """The data roots (symlinks resolved) and the directory relative paths are taken from: the
    static proof's view of `voxcas.access.AccessPolicy`, whose checks it uses (with positions)."""

    roots: tuple[Path, ...]
    cwd: Path

    @classmethod
    def of(cls, roots: Sequence[Path], cwd: Path | None = None) -> PathPolicy:
        return cls(tuple(Path(os.path.realpath(r)) for r in roots), cwd or Path.cwd())

    def check_path(self, op: str, path: str, span: Span | None = None) -> None:
        access = AccessPolicy(read_roots=self.roots)
        full = os.path.join(self.cwd, path)
        try:
            if op in LISTING_OPS:
                access.check_listing(full, op)  # a listing opens no file; its items are checked when read
            else:
                access.check_read(full, op)
        except AccessDeniedError as exc:
            raise AccessDeniedError(f"{_where(span)}{str(exc).replace(repr(full), repr(path))}") from None

    def check_pattern(self, op: str, pattern: str, span: Span | None = None) -> None:
        pure = PurePath(pattern)
        if pure.is_absolute() or ".." in pure.parts:
            raise AccessDeniedError(
                f"{_where(span)}{op}: pattern {pattern!r} may not leave the listed directory"
            )


def read_policy(data_roots: Sequence[Path]) -> AccessPolicy:
    """What a program submitted over HTTP may read while it is reduced: the data roots; no writes."""
    return AccessPolicy.confined(tuple(data_roots), None, writable=False)


def run_policy(data_roots: Sequence[Path], out_dir: Path | None) -> AccessPolicy:
    """What an HTTP run may touch: reads under the data roots, writes under its output directory
    (none at all when the server has no `--out-root`)."""
    return AccessPolicy.confined(tuple(data_roots), out_dir, writable=out_dir is not None)


def _where(span: Span | None) -> str:
    return f"{span}: " if span is not None else ""


def check_plan(
    plan: Workplan,
    roots: Sequence[Path],
    *,
    registry: Registry | None = None,
    cwd: Path | None = None,
    writable: bool = True,
) -> None:
    """Refuse (`AccessDeniedError`) a plan that could read a file outside `roots` or save outside its
    output directory (or write at all, when not `writable`: a server without `--out-root`); return
    quietly when every read is proved to be inside."""
    _Checker(plan, roots, registry or default_registry(), cwd or Path.cwd(), writable).run()
