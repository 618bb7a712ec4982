"""Names: bindings, environments, and name resolution (language.md §4 "Name resolution").

`Names` holds what is visible at the top level: declarations by position (a later declaration
shadows an earlier one from its position on; a function body sees what was declared before
it), imported namespaces by position (the most recent import first), and the declarations of
each namespace's prelude (for qualified names like `vox1.dilate`). Local bindings (parameters,
`let`, loop variables) live in the `Env` of the expression being reduced.

Only an unresolved name makes `Names` load every namespace of the registry (a unique hit in a
namespace that was not imported resolves there with a warning); otherwise only `default` and
the imported namespaces are loaded.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from voxcas.errors import ResolutionError
from voxcas.lang import ast as A
from voxcas.lang.builder import Val
from voxcas.lang.files import FileCtx
from voxcas.primitives.registry import Primitive, Registry
from voxcas.span import Span

_fn_serials = itertools.count(1)


def next_function_serial() -> int:
    """A process-unique number identifying a function declaration (memo keys, recursion checks)."""
    return next(_fn_serials)


@dataclass(frozen=True, slots=True)
class Function:
    """A declared function or operator: inlined at each call."""

    decl: A.Decl
    pos: int
    ctx: FileCtx
    serial: int

    @property
    def params(self) -> tuple[str, ...]:
        return self.decl.params or ()


Binding = Val | Function


@dataclass(frozen=True, slots=True)
class Local:
    name: str
    val: Val
    parent: Local | None


@dataclass(frozen=True, slots=True)
class Env:
    """Where an expression is reduced: its local bindings, the top-level position limit, its file."""

    locals: Local | None
    limit: int
    ctx: FileCtx

    def bind(self, name: str, val: Val) -> Env:
        return Env(Local(name, val, self.locals), self.limit, self.ctx)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def suggest(candidates: list[str]) -> str:
    if not candidates:
        return ""
    quoted = [f"'{c}'" for c in candidates]
    text = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f" (did you mean {text}?)"


class Names:
    def __init__(
        self,
        registry: Registry,
        fail: Callable[[str, Span | None], ResolutionError],
        warn: Callable[[str], None],
    ) -> None:
        self.registry = registry
        self.default = registry.namespace("default")
        self.fail = fail
        self.warn = warn
        self.top: dict[str, list[tuple[int, Binding]]] = {}
        self.imports: list[tuple[int, str]] = []
        self.ns_members: dict[str, dict[str, Binding]] = {}

    def declare(self, name: str, binding: Binding, pos: int, namespace: str | None) -> None:
        """Bind a top-level name from position `pos` on (and as a member of a prelude's namespace)."""
        self.top.setdefault(name, []).append((pos, binding))
        if namespace is not None:
            self.ns_members.setdefault(namespace, {})[name] = binding

    def import_namespace(self, pos: int, namespace: str) -> None:
        self.imports.append((pos, namespace))

    def resolve(self, name: str, env: Env, span: Span) -> Val | Function | Primitive:
        if "." in name and (name[0].isalpha() or name[0] == "_"):  # `ns.f`, not the operator `>.`
            return self.resolve_qualified(name, span)
        local = env.locals
        while local is not None:
            if local.name == name:
                return local.val
            local = local.parent
        for pos, binding in reversed(self.top.get(name, ())):
            if pos < env.limit:
                return binding
        for pos, ns in reversed(self.imports):
            if pos < env.limit:
                prim = self.registry.lookup(ns, name)
                if prim is not None:
                    return prim
        prim = self.default.primitives.get(name)
        if prim is not None:
            return prim
        hits = []
        for ns in self._all_namespaces():
            found = self.registry.namespace(ns).primitives.get(name)
            if found is not None and ns != "default":
                hits.append(found)
        if len(hits) == 1:
            self.warn(
                f"name '{name}' resolved in namespace '{hits[0].namespace}'; "
                f'add `import "{hits[0].namespace}"`'
            )
            return hits[0]
        if len(hits) > 1:
            where = " and ".join(f"'{h.namespace}'" for h in hits)
            raise self.fail(f"name '{name}' is in namespaces {where}: import one or qualify the name", span)
        raise self.fail(f"unknown name '{name}'{suggest(self.close_names(name, env))}", span)

    def resolve_qualified(self, name: str, span: Span) -> Function | Val | Primitive:
        ns, _, short = name.partition(".")
        if not self.registry.has_namespace(ns):
            names = difflib.get_close_matches(ns, self.registry.names(), n=3, cutoff=0.6)
            raise self.fail(f"unknown namespace '{ns}' in '{name}'{suggest(names)}", span)
        member = self.ns_members.get(ns, {}).get(short)
        if member is not None:
            return member
        try:
            prim = self.registry.lookup(ns, short)
        except ImportError as exc:
            raise self.fail(f"namespace '{ns}' cannot be loaded: {exc}", span) from None
        if prim is not None:
            return prim
        known = [*self.registry.namespace(ns).primitives, *self.ns_members.get(ns, {})]
        close = [f"{ns}.{c}" for c in difflib.get_close_matches(short, known, n=3, cutoff=0.6)]
        raise self.fail(f"unknown name '{name}'{suggest(close)}", span)

    def _all_namespaces(self) -> list[str]:
        loaded = []
        for ns in self.registry.names():
            try:
                self.registry.namespace(ns)
            except ImportError:
                continue  # a namespace whose module is not available here
            loaded.append(ns)
        return loaded

    def close_names(self, name: str, env: Env) -> list[str]:
        candidates: set[str] = set()
        local = env.locals
        while local is not None:
            candidates.add(local.name)
            local = local.parent
        for key, entries in self.top.items():
            if any(pos < env.limit for pos, _ in entries):
                candidates.add(key)
        for ns in self._all_namespaces():
            candidates.update(self.registry.namespace(ns).primitives)
        return difflib.get_close_matches(name, sorted(candidates), n=3, cutoff=0.6)
