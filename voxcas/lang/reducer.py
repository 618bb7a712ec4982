"""The reducer: program AST → content-addressed workplan (language.md §4–§5).

Design
------
Commands are reduced in program order. Every top-level value declaration is reduced when it is
met (so every name, including those inside loop bodies and unused declarations, is resolved
before anything runs); a function declaration only records the function, whose body is
*inlined* at each call. Calls are memoised on (function, argument node refs, builder, base
image): calling `g(x)` twice costs one reduction and yields one node, so `f(x) = g(x) + g(x)`
nested 30 deep stays linear. A function's free names resolve where it was declared (lexical
scope); a call of a function inside its own body is a `ResolutionError`.

Names resolve (`voxcas.lang.scope.Names`) as language.md §4 says: local bindings (function parameters, `let`,
loop variables), then top-level declarations visible at the position of the use, then imported
namespaces (most recent `import` first), then `default`; `ns.f` reaches namespace `ns` (its
primitives and its prelude's declarations). Only on that lookup's failure are all namespaces
loaded (a unique hit elsewhere resolves with a warning; none is an error listing the closest
names). `import "ns"` reduces the namespace's prelude file once; file imports are read once,
relative to the importing file, and a cycle is an error.

Nodes are created through the builders of `voxcas.lang.builder` (constants are folded via
`voxcas.plan.fold`; loop bodies become closures; loop-invariant work is hoisted out of them).
File-reading applications with constant paths get their fingerprint here, through the
`FingerprintCache`; a missing file is a `ResolutionError` at the call. The base image
(primitives.md) is the first image loaded at the level being reduced (the top level, or the
body of the loop being reduced), looked up outwards.

Nothing is cached across reductions except parsed prelude files (keyed by path and mtime), and
nothing is written anywhere: on error the partial workplan is discarded.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from typing import Any

from voxcas.errors import AccessDeniedError, ResolutionError, UsageError, VoxcasError
from voxcas.ids import NodeId
from voxcas.lang import ast as A
from voxcas.lang.budget import CHECK_EVERY, Budget
from voxcas.lang.builder import Builder, RootBuilder, TemplateBuilder, Val
from voxcas.lang.files import FileCtx, parse_cached
from voxcas.lang.kinds import argument_problem
from voxcas.lang.parser import gc_paused
from voxcas.lang.pretty import expr as pretty_expr
from voxcas.lang.scope import Binding, Env, Function, Names, next_function_serial, plural, suggest
from voxcas.plan.fingerprint import (
    FileArgumentProblem,
    FingerprintCache,
    check_file_arguments,
    paths_known,
    read_fingerprint,
)
from voxcas.plan.fold import const_value, try_fold
from voxcas.plan.nodes import LOOP_OPS, RUNTIME_READ, Const, Definition, Goal, Workplan
from voxcas.plan.observe import observe, observe_primitive
from voxcas.primitives.registry import Primitive, Registry, prelude_path
from voxcas.span import Span

FOLD_OPS = ("+", "-", "*", "/", "&&", "||", "min", "max")


VOXLOGICA1_STDLIB = "stdlib.imgql"  # VoxLogicA 1's library file: the vox1 namespace when absent


def loop_warning(span: Span | None) -> str:
    """The warning at a loop that reads files at paths only a run computes (said once per loop)."""
    return (
        f"{span}: warning: this loop body reads a file at a path computed while the program runs; "
        "the loop and everything that depends on it are recomputed on every run"
    )


class Reducer:
    def __init__(
        self,
        registry: Registry,
        fingerprints: FingerprintCache | None,
        params: dict[str, Const] | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.registry = registry
        self.budget = budget
        self.until_check = CHECK_EVERY  # expressions left before the next budget check
        self.template_nodes = 0  # nodes of the loop bodies finished so far (`plan_size`)
        self.fingerprints = fingerprints
        self.params = dict(params or {})  # -p NAME=VALUE: replaces a top-level value (lang.params)
        self.params_set: set[str] = set()
        self.workplan = Workplan()
        self.root = RootBuilder(self.workplan)
        self.current: Builder = self.root
        self.names = Names(registry, self.fail, self.warn)
        self.preludes_done: set[str] = set()
        self.files_done: set[str] = set()
        self.file_stack: list[str] = []
        self.texts: dict[str, str] = {}  # shown path -> source text (for error carets)
        self.shown: dict[str, str] = {}  # absolute path -> the path errors show
        self.pos = 0
        self.dialect = "voxlogica2"  # the program's grammar: its imported files are read with it
        self.main_path: str | None = None  # the program file's shown path
        # the user's call (in the program file) of the imported or prelude function being inlined
        self.site: Span | None = None
        self.memo: dict[tuple[Any, ...], Val] = {}
        self.active: set[int] = set()
        self.warned: set[str] = set()
        self.default = registry.namespace("default")
        # per primitive (by id, the primitive kept alive beside it): itself, min and max arity,
        # qualified name (properties that recompute on every access)
        self.prim_info: dict[int, tuple[Primitive, int, int | None, str, str]] = {}
        # reduced integer literals by value: the same Val every time (the root builder adds the
        # constant's node once, with the span of its first use, either way)
        self.int_vals: dict[int, Val] = {}
        self._expr: dict[type, Callable[[Any, Env], Val]] = {
            A.Num: self.num,
            A.Str: self.str_,
            A.Bool: self.bool_,
            A.Var: self.var,
            A.Name: self.name,
            A.Call: self.call,
            A.BinOp: self.binop,
            A.UnOp: self.unop,
            A.Array: self.array,
            A.Index: self.index,
            A.Slice: self.slice,
            A.Let: self.let,
            A.For: self.loop,
            A.Filter: self.loop,
            A.Fold: self.fold,
        }

    # --- errors ---------------------------------------------------------------------------
    def at(self, span: Span | None) -> Span | None:
        """Where a node or an error made inside an imported function is reported: the user's call,
        with the function's position second (`Span.inner`)."""
        site = self.site
        if site is None or span is None or span.path == site.path:
            return span
        return Span(site.path, site.line, site.col, site.end_line, site.end_col, span)

    def fail(self, message: str, span: Span | None) -> ResolutionError:
        span = self.at(span)
        line = None
        if span is not None and span.path in self.texts:
            lines = self.texts[span.path].splitlines()
            if 0 < span.line <= len(lines):
                line = lines[span.line - 1]
        return ResolutionError(message, span, line)

    def check_import(self, path: str, span: Span | None) -> str:
        """The file to read for an import (resolved when the run's access policy restricts reads,
        `voxcas.access`): imports of imports are held to the same roots, and a file outside them
        is never read, so never quoted in a syntax error."""
        from voxcas.access import current

        try:
            return current().check_read(path, "import")
        except AccessDeniedError as exc:
            raise AccessDeniedError(f"{span}: {exc}" if span is not None else str(exc)) from None

    def warn(self, text: str) -> None:
        if text not in self.warned:
            self.warned.add(text)
            self.workplan.warnings.append(text)

    def check_params_used(self, path: str) -> None:
        """Every parameter must name a top-level value of the program file (UsageError if not)."""
        unknown = sorted(set(self.params) - self.params_set)
        if unknown:
            values = sorted(name for name in self.workplan.names if name not in self.params)
            listed = ", ".join(values) if values else "none"
            raise UsageError(
                f"parameter '{unknown[0]}': {path} declares no top-level value of that name "
                f"(its top-level values: {listed})"
            )

    def warn_loops_reading_at_run_time(self) -> None:
        """Warn at each loop whose body reads a file at a path only a run can compute (the loop is
        then recomputed on every run: `voxcas.plan.volatile`)."""
        from voxcas.plan.nodes import Closure
        from voxcas.plan.volatile import closure_reads_at_run_time

        nodes = self.workplan.nodes
        for node in nodes.values():
            d = node.definition
            if isinstance(d, Closure) and closure_reads_at_run_time(d, nodes, self.registry):
                self.warn(loop_warning(node.span))

    # --- commands -------------------------------------------------------------------------
    def program(self, program: A.Program, ctx: FileCtx) -> None:
        with gc_paused():
            self._program(program, ctx)

    def _program(self, program: A.Program, ctx: FileCtx) -> None:
        if not self.file_stack:  # the program itself
            self.main_path = program.path
            self.dialect = program.dialect
            for note in program.notes:
                self.warn(note)
        self.texts[program.path] = program.text
        self.shown[ctx.file] = program.path
        self.files_done.add(ctx.file)
        self.file_stack.append(ctx.file)
        try:
            for command in program.commands:
                self.pos += 1
                self.command(command, ctx)
        finally:
            self.file_stack.pop()

    def command(self, cmd: A.Command, ctx: FileCtx) -> None:
        pos = self.pos
        env = Env(None, pos, ctx)
        if isinstance(cmd, A.Decl):
            param = self.params.get(cmd.name) if len(self.file_stack) == 1 else None
            if cmd.is_function:
                if param is not None:
                    raise self.fail(
                        f"parameter '{cmd.name}' names a function; -p sets only values", cmd.span
                    )
                self.declare(cmd.name, Function(cmd, pos, ctx, next_function_serial()), pos, ctx)
            elif param is not None:
                self.params_set.add(cmd.name)
                self.declare_value(cmd.name, self.const(param, cmd.span), pos, ctx)
            else:
                self.declare_value(cmd.name, self.expr(cmd.body, env), pos, ctx)
        elif isinstance(cmd, A.LoadDecl):
            path = self.const(Const("str", cmd.path), cmd.span)
            self.declare_value(
                cmd.name, self.apply(self.default.primitives["load"], [path], cmd.span), pos, ctx
            )
        elif isinstance(cmd, A.Print | A.Save | A.GoalLoop):
            self.goal(cmd, env)
        elif isinstance(cmd, A.Import):
            self.import_(cmd, ctx)

    def goal(self, cmd: A.Print | A.Save | A.GoalLoop, env: Env) -> None:
        """A print/save goal. A literal target stays in the goal; a computed one (or a goal loop)
        makes the goal's node a sequence of [target, value] pairs (`Goal.pairs`): one pair, or one
        per item of the loop, each item computed and stored on its own like any loop's."""
        inner = cmd.goal if isinstance(cmd, A.GoalLoop) else cmd
        kind: Any = "print" if isinstance(inner, A.Print) else "save"
        target = inner.label if isinstance(inner, A.Print) else inner.path
        if isinstance(target, str) and not isinstance(cmd, A.GoalLoop):
            if kind == "save":
                from voxcas.output import save_target_problem

                problem = save_target_problem(target)
                if problem is not None:  # found before any node runs, at the goal's position
                    raise self.fail(problem, cmd.span)
            val = self.expr(inner.expr, env)
            self.workplan.goals.append(Goal(kind, target, self.root.lift(val), cmd.span))  # type: ignore[arg-type]
            return
        target_expr = A.Str(target, inner.span) if isinstance(target, str) else target
        pair: A.Expr = A.Array((target_expr, inner.expr), inner.span)
        if isinstance(cmd, A.GoalLoop):
            pairs: A.Expr = A.For(cmd.var, cmd.seq, pair, cmd.span)
            shown = f"for {cmd.var} in {pretty_expr(cmd.seq)} do {pretty_expr(target_expr)}"
        else:
            pairs = A.Array((pair,), inner.span)
            shown = pretty_expr(target_expr)
        val = self.expr(pairs, env)
        self.workplan.goals.append(Goal(kind, shown, self.root.lift(val), cmd.span, pairs=True))  # type: ignore[arg-type]

    def declare(self, name: str, binding: Binding, pos: int, ctx: FileCtx) -> None:
        self.names.declare(name, binding, pos, ctx.namespace)

    def declare_value(self, name: str, val: Val, pos: int, ctx: FileCtx) -> None:
        self.declare(name, val, pos, ctx)
        nid = self.root.lift(val)
        self.root.label(nid, name)  # type: ignore[arg-type]
        self.workplan.names[name] = nid  # type: ignore[assignment]

    def import_(self, cmd: A.Import, ctx: FileCtx) -> None:
        target = cmd.target
        if target.endswith(".imgql") or "/" in target or os.sep in target:
            if self.import_file(cmd, ctx, target):
                return
            target = "vox1"  # the absent stdlib.imgql
        elif not self.registry.has_namespace(target):
            # VoxLogicA 1 imports a file by its name without the extension (`import "RegionCalculus"`)
            for name in (target, f"{target}.imgql"):
                if os.path.isfile(os.path.join(ctx.directory, name)):
                    self.import_file(cmd, ctx, name)
                    return
            names = difflib.get_close_matches(target, self.registry.names(), n=3, cutoff=0.6)
            raise self.fail(f"unknown namespace or file '{target}'{suggest(names)}", cmd.span)
        self.import_namespace(cmd, target)

    def import_file(self, cmd: A.Import, ctx: FileCtx, target: str) -> bool:
        """Import the program file `target` (relative to the importing file); False when it is
        VoxLogicA 1's absent `stdlib.imgql`, which stands for the namespace vox1."""
        path = os.path.normpath(os.path.join(ctx.directory, target))
        if path in self.file_stack:
            chain = [*self.file_stack[self.file_stack.index(path) :], path]
            raise self.fail("import cycle: " + " -> ".join(os.path.basename(p) for p in chain), cmd.span)
        if path in self.files_done:
            return True
        real = self.check_import(path, cmd.span)  # before the file is looked at or read
        importer = self.shown.get(ctx.file, ctx.file)
        shown = os.path.normpath(os.path.join(os.path.dirname(importer), target))
        observe(path)
        if not os.path.isfile(path):
            if target == VOXLOGICA1_STDLIB and self.registry.has_namespace("vox1"):
                # VoxLogicA 1 programs begin with this import; its library is the vox1 namespace
                self.warn(
                    f"{cmd.span}: warning: no file '{shown}': importing the namespace vox1 "
                    "(VoxLogicA 1's standard library) instead; write import \"vox1\""
                )
                return False
            raise self.fail(f"cannot import '{target}': no such file '{shown}'", cmd.span)
        imported = parse_cached(real, shown, self.dialect)
        self.workplan.imports.append((shown, imported.text))
        self.program(imported, FileCtx.of(path))
        return True

    def import_namespace(self, cmd: A.Import, target: str) -> None:
        try:
            self.registry.namespace(target)
        except ImportError as exc:
            raise self.fail(f"namespace '{target}' cannot be loaded: {exc}", cmd.span) from None
        self.names.import_namespace(self.pos, target)
        if target not in self.preludes_done:
            self.preludes_done.add(target)
            prelude = prelude_path(self.registry, target)
            if prelude is not None:
                self.program(parse_cached(prelude), FileCtx.of(prelude, namespace=target))

    # --- values and nodes -----------------------------------------------------------------
    def const(self, const: Const, span: Span | None) -> Val:
        return Val(self.root, self.root.const(const, span), const)

    def base_image(self, prim: Primitive, span: Span) -> Val:
        b: Builder | None = self.current
        while b is not None:
            if b.base is not None:
                return b.base
            b = b.parent
        # no image loaded anywhere: inside a loop, the base is resolved when it runs, as
        # VoxLogicA-2 does: the item of the innermost loop (an image another `map` loaded; an item
        # that is no image is the primitive's error at run time)
        b = self.current
        while b is not None:
            if isinstance(b, TemplateBuilder):
                return Val(b, ("param", 0))
            b = b.parent
        raise self.fail(f"'{prim.name}' needs a base image: load an image before using it", span)

    def info(self, prim: Primitive) -> tuple[Primitive, int, int | None, str, str]:
        info = self.prim_info.get(id(prim))
        if info is None or info[0] is not prim:
            info = (prim, prim.min_arity, prim.max_arity, prim.qualified, prim.identity_version)
            self.prim_info[id(prim)] = info
            observe_primitive(info[3], info[4])  # a cached reduction re-checks it
        return info

    def apply(self, prim: Primitive, vals: list[Val], span: Span) -> Val:
        _, lo, hi, qualified, version = self.info(prim)
        n = len(vals)
        if n < lo or (hi is not None and n > hi):
            arity = prim.arity_text()  # "1", "1 to 2", "at least 1"
            noun = "argument" if arity.split()[-1] == "1" else "arguments"
            raise self.fail(f"'{prim.name}' expects {arity} {noun}, got {len(vals)}", span)
        problem = argument_problem(prim, vals)
        if problem is not None:  # bound to fail when it runs: say so before anything runs
            raise self.fail(problem, span)
        if prim.base_image:
            vals = [self.base_image(prim, span), *vals]
        fingerprint = None
        loads_image = False
        if prim.reads_files:
            consts = [v.const for v in vals]
            all_const = all(c is not None for c in consts)
            offset = 1 if prim.base_image else 0
            known = [c is not None for c in consts[offset:]]
            values = [const_value(c) if c is not None else None for c in consts[offset:]]
            try:
                check_file_arguments(prim, values, known)
            except FileArgumentProblem as problem:
                raise self.fail(str(problem), span) from None
            loads_image = prim.result == "image"
            if prim.qualified == "default.load":
                from voxcas.primitives.default_io import is_image_path

                # a path known only per item (inside a loop body) is taken to be an image
                in_loop = self.current is not self.root
                loads_image = is_image_path(str(values[0])) if paths_known(prim, known) else in_loop
            if all_const:
                folded = try_fold(prim, [c for c in consts if c is not None])
                if folded is not None:
                    return self.const(folded, span)
            try:
                fingerprint = read_fingerprint(prim, values, known, self.fingerprints)
            except FileArgumentProblem as problem:
                raise self.fail(str(problem), span) from None
            except VoxcasError as refusal:
                # a deliberate refusal (e.g. the HTTP read guard): reported at the call; the refusal
                # stays the ResolutionError's __context__ for callers that answer it differently
                raise self.fail(f"'{prim.name}' cannot read its input: {refusal}", span) from None
        elif prim.foldable:
            consts = [v.const for v in vals]
            if all(c is not None for c in consts):
                folded = try_fold(prim, consts)  # type: ignore[arg-type]
                if folded is not None:
                    return self.const(folded, span)
        target: Builder = self.root
        if not prim.pure:
            target = self.current
        else:
            level = 0
            for v in vals:
                if v.builder.level > level:
                    target = v.builder
                    level = target.level
        if prim.reads_files and fingerprint is None and target is self.root:
            # not a loop body's per-item path (fingerprinted when each item is instantiated)
            fingerprint = RUNTIME_READ
            self.warn(
                f"{span}: warning: '{prim.name}' reads a path computed while the program runs; "
                "it and everything that depends on it are recomputed on every run"
            )
        lift = target.lift
        refs = tuple([lift(v) for v in vals])
        if qualified in LOOP_OPS and target is self.root:
            fingerprint = self.loop_contents(refs, span)  # type: ignore[arg-type]
        ref = target.apply(qualified, version, refs, fingerprint, self.at(span))
        val = Val(target, ref, kind=prim.result)
        if loads_image and self.current.base is None:
            self.current.base = val
        return val

    def loop_contents(self, args: tuple[NodeId, ...], span: Span) -> str | None:
        """The contents fingerprint of a top-level loop (`voxcas.plan.template.loop_fingerprint`):
        what its items read reaches its id."""
        from voxcas.plan.template import loop_fingerprint

        nodes = self.workplan.nodes

        def lookup(nid: NodeId) -> Definition | None:
            node = nodes.get(nid)
            return None if node is None else node.definition

        try:
            fingerprint = loop_fingerprint(args, lookup, self.registry, self.fingerprints)
        except VoxcasError as refusal:  # a deliberate refusal (e.g. the HTTP read guard)
            raise self.fail(f"this loop cannot read its inputs: {refusal}", span) from None
        if fingerprint == RUNTIME_READ:
            self.warn(loop_warning(span))
        return fingerprint

    def closure(self, body: Callable[[Val], Val], span: Span) -> Val:
        """Reduce a one-parameter loop body into a closure node of the current level."""
        outer = self.current
        child = TemplateBuilder(parent=outer)
        self.current = child
        try:
            result = body(Val(child, ("param", 0)))
            template = child.template(result)
        finally:
            self.current = outer
        self.template_nodes += len(template.nodes)
        return Val(outer, outer.closure(template, tuple(child.captures), self.at(span)))

    # --- expressions ----------------------------------------------------------------------
    def expr(self, node: A.Expr, env: Env) -> Val:
        self.until_check -= 1
        if self.until_check <= 0:
            self.check_budget(node.span)
        return self._expr[type(node)](node, env)

    def node_count(self) -> int:
        """Nodes made so far: the plan's, the finished loop bodies', the open loop bodies'."""
        count = len(self.workplan.nodes) + self.template_nodes
        b: Builder | None = self.current
        while isinstance(b, TemplateBuilder):
            count += len(b.nodes)
            b = b.parent
        return count

    def check_budget(self, span: Span | None) -> None:
        """Stop if the reduction was cancelled or the plan is over its node limit (`Budget`)."""
        self.until_check = CHECK_EVERY
        if self.budget is not None:
            self.budget.check(self.node_count(), span)

    def num(self, node: A.Num, env: Env) -> Val:
        value = node.value
        if type(value) is not int:  # floats are not remembered: 0.0 == -0.0, different constants
            return self.const(Const("int" if isinstance(value, int) else "float", value), node.span)
        val = self.int_vals.get(value)
        if val is None:
            val = self.int_vals[value] = self.const(Const("int", value), node.span)
        return val

    def str_(self, node: A.Str, env: Env) -> Val:
        return self.const(Const("str", node.value), node.span)

    def bool_(self, node: A.Bool, env: Env) -> Val:
        return self.const(Const("bool", node.value), node.span)

    def var(self, node: A.Var, env: Env) -> Val:
        value = env.ctx.variables.get(node.name)
        if value is None:
            known = ", ".join(f"${v}" for v in sorted(env.ctx.variables))
            raise self.fail(f"unknown program variable '${node.name}' (known: {known})", node.span)
        return self.const(Const("str", value), node.span)

    def name(self, node: A.Name, env: Env) -> Val:
        target = self.names.resolve(node.name, env, node.span)
        if isinstance(target, Val):
            return target
        if isinstance(target, Function):
            if target.params:
                raise self.fail(
                    f"'{node.name}' is a function of {plural(len(target.params), 'parameter')}: "
                    f"call it with arguments",
                    node.span,
                )
            return self.call_function(target, [], node.name, node.span)
        return self.apply(target, [], node.span)

    def call(self, node: A.Call, env: Env) -> Val:
        return self.call_named(node.func, node.args, env, node.span)

    def binop(self, node: A.BinOp, env: Env) -> Val:
        return self.call_named(node.op, (node.left, node.right), env, node.span)

    def unop(self, node: A.UnOp, env: Env) -> Val:
        return self.call_named(node.op, (node.operand,), env, node.span)

    def call_named(self, name: str, args: tuple[A.Expr, ...], env: Env, span: Span) -> Val:
        target = self.names.resolve(name, env, span)
        if isinstance(target, Val):
            raise self.fail(f"'{name}' is a value, not a function", span)
        if isinstance(target, Function):
            return self.call_function(target, [self.expr(a, env) for a in args], name, span)
        if target.name == "map" and self.info(target)[3] == "default.map":
            return self.map_(target, args, env, span)
        return self.apply(target, [self.expr(a, env) for a in args], span)

    def call_function(self, fn: Function, args: list[Val], shown: str, span: Span) -> Val:
        if len(args) != len(fn.params):
            raise self.fail(f"'{shown}' expects {plural(len(fn.params), 'argument')}, got {len(args)}", span)
        if fn.serial in self.active:
            raise self.fail(f"function '{fn.decl.name}' calls itself: recursion is not supported", span)
        base = None
        b: Builder | None = self.current
        while b is not None and base is None:
            base = b.base
            b = b.parent
        key = (fn.serial, tuple(a.key for a in args), self.current.serial, base.key if base else None)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        env = Env(None, fn.pos + 1, fn.ctx)
        for pname, val in zip(fn.params, args, strict=True):
            env = env.bind(pname, val)
        self.active.add(fn.serial)
        outer_site = self.site
        if outer_site is None and span.path == self.main_path and fn.ctx.file != self.file_stack[0]:
            self.site = span  # the user's call of a function of an imported file or a prelude
        try:
            result = self.expr(fn.decl.body, env)
        finally:
            self.active.discard(fn.serial)
            self.site = outer_site
        self.memo[key] = result
        return result

    def map_(self, prim: Primitive, args: tuple[A.Expr, ...], env: Env, span: Span) -> Val:
        if len(args) != 2:
            raise self.fail(f"'map' expects 2 arguments, got {len(args)}", span)
        first = args[0]
        if not isinstance(first, A.Name):
            raise self.fail("the first argument of 'map' must be the name of a function or primitive", span)
        target = self.names.resolve(first.name, env, first.span)
        body: Callable[[Val], Val]
        if isinstance(target, Val):
            raise self.fail(f"'{first.name}' is a value, not a function: 'map' needs a function", first.span)
        if isinstance(target, Function):
            fn = target
            if len(fn.params) != 1:
                raise self.fail(
                    f"'map' needs a function of one parameter; '{first.name}' has {len(fn.params)}",
                    first.span,
                )

            def body(item: Val) -> Val:
                return self.call_function(fn, [item], first.name, first.span)

        else:
            prim_f = target
            if not prim_f.accepts(1):
                raise self.fail(
                    f"'map' needs a primitive of one argument; '{first.name}' expects {prim_f.arity_text()}",
                    first.span,
                )

            def body(item: Val) -> Val:
                return self.apply(prim_f, [item], first.span)

        seq = self.expr(args[1], env)
        return self.apply(prim, [self.closure(body, span), seq], span)

    def array(self, node: A.Array, env: Env) -> Val:
        return self.apply(self.default.primitives["list"], [self.expr(i, env) for i in node.items], node.span)

    def index(self, node: A.Index, env: Env) -> Val:
        vals = [self.expr(node.target, env), self.expr(node.index, env)]
        return self.apply(self.default.primitives["index"], vals, node.span)

    def slice(self, node: A.Slice, env: Env) -> Val:
        vals = [self.expr(node.target, env)]
        if node.start is not None or node.stop is not None:
            vals.append(
                self.expr(node.start, env)
                if node.start is not None
                else self.const(Const("int", 0), node.span)
            )
        if node.stop is not None:
            vals.append(self.expr(node.stop, env))
        return self.apply(self.default.primitives["slice"], vals, node.span)

    def let(self, node: A.Let, env: Env) -> Val:
        return self.expr(node.body, env.bind(node.name, self.expr(node.value, env)))

    def loop(self, node: A.For | A.Filter, env: Env) -> Val:
        seq = self.expr(node.seq, env)
        closure = self.closure(lambda item: self.expr(node.body, env.bind(node.var, item)), node.span)
        name = "for" if isinstance(node, A.For) else "filter"
        return self.apply(self.default.primitives[name], [seq, closure], node.span)

    def fold(self, node: A.Fold, env: Env) -> Val:
        if node.op not in FOLD_OPS:
            raise self.fail(f"cannot fold with '{node.op}' (use one of {', '.join(FOLD_OPS)})", node.span)
        vals = [self.const(Const("str", node.op), node.span)]
        if node.init is not None:
            vals.append(self.expr(node.init, env))
        vals.append(self.expr(node.seq, env))
        return self.apply(self.default.primitives["fold"], vals, node.span)
