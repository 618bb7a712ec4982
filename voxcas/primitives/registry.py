"""The primitive registry: declaration, lookup by namespace, argument checking and coercion.

Adding a namespace is a matter of one module: create `voxcas/primitives/<module>.py` that makes a
`Namespace` and registers functions on it with `@NAMESPACE.primitive(...)`, then name the module
in `NAMESPACE_MODULES` below. Namespace modules are imported lazily (only when a program or a
command needs that namespace), and must themselves import heavy libraries (SimpleITK, scipy,
pyarrow) inside the primitive functions, so that reducing a program stays fast.

A primitive function receives plain runtime values (see `voxcas.values`) in parameter order,
already coerced to the declared kinds, and returns a value. Errors it means to report are
`voxcas.errors.PrimitiveError(qualified_name, message, argument=param_name)`.

Kinds used for coercion and docs: "any", "int", "float", "number", "bool", "str", "seq",
"image", "mask" (boolean image), "func" (a closure, `map`'s first argument).
`4.0` is accepted where "int" is declared; `4.5` is an error naming the argument.

Special flags:
- `reads_files`: the node id includes `fingerprint(args)` (default: content digest of the
  paths given in the parameters listed in `path_params`), computed when the arguments are
  constants (at reduction, or when a loop item is instantiated). Such a primitive opens its files
  only through the run's access policy (`voxcas.access.current()`: `check_read`/`open_read`).
- `writes_files`: the primitive writes files (`simpleitk.WriteImage`), only through the run's
  access policy (`check_write`/`open_write`): over HTTP, only inside the run's output directory.
- `foldable`: cheap, pure and scalar-valued (string building, arithmetic on numbers): the
  reducer may evaluate it on constant arguments and use the result as a constant node.
- `base_image`: the reducer passes the base image (primitives.md: the first image the program
  loads outside loops, or the current loop item's image) as an extra first argument, so it is
  part of the node id (`tt`, `ff`, `border`, `x`, `constant`, ...).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from voxcas.errors import PrimitiveError

# namespace name -> module defining it (imported on first use)
NAMESPACE_MODULES: dict[str, str] = {
    "default": "voxcas.primitives.default",
    "strings": "voxcas.primitives.strings",
    "vox1": "voxcas.primitives.vox1",
    "simpleitk": "voxcas.primitives.simpleitk",
    "metrics": "voxcas.primitives.metrics",
    "arrays": "voxcas.primitives.arrays",
}

REQUIRED: Any = object()


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: str = "any"
    default: Any = REQUIRED

    @property
    def optional(self) -> bool:
        return self.default is not REQUIRED


@dataclass(frozen=True, slots=True)
class Primitive:
    namespace: str
    name: str
    fn: Callable[..., Any]
    params: tuple[Param, ...]
    variadic: Param | None = None
    result: str = "any"
    version: str = "1"
    doc: str = ""
    pure: bool = True
    reads_files: bool = False
    path_params: tuple[int, ...] = ()
    writes_files: bool = False
    write_params: tuple[int, ...] = ()  # for writers: the parameters that name the files written
    fingerprint: Callable[[list[Any]], str] | None = None
    foldable: bool = False
    base_image: bool = False
    libraries: tuple[str, ...] = ()  # what it computes with (voxcas.primitives.libraries)

    @property
    def qualified(self) -> str:
        return f"{self.namespace}.{self.name}"

    @property
    def identity_version(self) -> str:
        """The version its nodes carry (and so their ids): its own, then its libraries' versions."""
        if not self.libraries:
            return self.version
        from voxcas.primitives.libraries import built_with

        return f"{self.version}+{built_with(self.libraries)}"

    @property
    def min_arity(self) -> int:
        return sum(1 for p in self.params if not p.optional)

    @property
    def max_arity(self) -> int | None:
        return None if self.variadic is not None else len(self.params)

    def arity_text(self) -> str:
        lo, hi = self.min_arity, self.max_arity
        if hi is None:
            return f"at least {lo}"
        return str(lo) if lo == hi else f"{lo} to {hi}"

    def accepts(self, n: int) -> bool:
        hi = self.max_arity
        return n >= self.min_arity and (hi is None or n <= hi)

    def signature(self) -> str:
        parts = [p.name if not p.optional else f"{p.name}={p.default!r}" for p in self.params]
        if self.variadic is not None:
            parts.append(f"{self.variadic.name}...")
        return f"{self.name}({', '.join(parts)})"

    def bind(self, args: list[Any]) -> list[Any]:
        """Coerce positional arguments to the declared kinds and fill defaults."""
        out: list[Any] = []
        for i, param in enumerate(self.params):
            if i < len(args):
                out.append(coerce(self.qualified, param, args[i]))
            elif param.optional:
                out.append(param.default)
            else:
                raise PrimitiveError(self.qualified, "missing argument", param.name)
        if self.variadic is not None:
            out.extend(coerce(self.qualified, self.variadic, a) for a in args[len(self.params):])
        return out

    def __call__(self, *args: Any) -> Any:
        """Call with argument values in node order (the hidden base image first, if declared)."""
        if self.base_image:
            return self.fn(args[0], *self.bind(list(args[1:])))
        return self.fn(*self.bind(list(args)))


def coerce(primitive: str, param: Param, value: Any) -> Any:
    """Numeric coercion: ints where floats are expected, integral floats where ints are."""
    kind = param.kind
    if kind == "int":
        if isinstance(value, bool):
            raise PrimitiveError(primitive, "expected an integer, got a boolean", param.name)
        if isinstance(value, int):
            return value
        if isinstance(value, float) or type(value).__module__ == "numpy":
            try:
                as_float = float(value)
            except (TypeError, ValueError):
                pass
            else:
                if as_float.is_integer():
                    return int(as_float)
                raise PrimitiveError(primitive, f"expected an integer, got {as_float!r}", param.name)
        raise PrimitiveError(primitive, f"expected an integer, got {_kind(value)}", param.name)
    if kind in ("float", "number"):
        if isinstance(value, bool):
            raise PrimitiveError(primitive, "expected a number, got a boolean", param.name)
        if isinstance(value, int | float):
            return float(value) if kind == "float" else value
        if type(value).__module__ == "numpy" and getattr(value, "ndim", 1) == 0:
            return float(value) if kind == "float" else value.item()
        raise PrimitiveError(primitive, f"expected a number, got {_kind(value)}", param.name)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise PrimitiveError(primitive, f"expected a boolean, got {_kind(value)}", param.name)
    if kind == "str":
        if isinstance(value, str):
            return value
        raise PrimitiveError(primitive, f"expected a string, got {_kind(value)}", param.name)
    return value


def _kind(value: Any) -> str:
    from voxcas.values import kind_of

    return kind_of(value)


@dataclass
class Namespace:
    """A group of primitives, optionally with a prelude `.imgql` file (derived operators).

    `libraries` names the distributions its primitives compute with (`"numpy"`, `"SimpleITK"`,
    `"python"` for the interpreter): their installed versions are part of every node id of its
    primitives, so an upgrade never reuses a result computed with the old library."""

    name: str
    doc: str = ""
    prelude: str | None = None  # file name beside the namespace module, e.g. "vox1.imgql"
    primitives: dict[str, Primitive] = field(default_factory=dict)
    libraries: tuple[str, ...] = ()
    synonyms: dict[str, str] = field(default_factory=dict)  # another system's name -> primitive name

    def synonym(self, name: str, target: str) -> None:
        """Make `name` reach the primitive `target` itself: the same node, so the same id, whichever
        name a program spells (VoxLogicA-2's `addition` is `+`). Errors and the plan show `target`."""
        if name in self.primitives:
            raise ValueError(f"primitive {self.name}.{name} declared twice")
        self.primitives[name] = self.primitives[target]
        self.synonyms[name] = target

    def add(self, prim: Primitive) -> Primitive:
        if prim.name in self.primitives:
            raise ValueError(f"primitive {prim.qualified} declared twice")
        if self.libraries and not prim.libraries:
            from dataclasses import replace

            prim = replace(prim, libraries=self.libraries)
        self.primitives[prim.name] = prim
        return prim

    def primitive(
        self,
        name: str | None = None,
        *,
        params: tuple[Param, ...] | list[Param] | None = None,
        variadic: Param | None = None,
        result: str = "any",
        version: str = "1",
        doc: str | None = None,
        pure: bool = True,
        reads_files: bool = False,
        path_params: tuple[int, ...] = (),
        writes_files: bool = False,
        write_params: tuple[int, ...] = (),
        fingerprint: Callable[[list[Any]], str] | None = None,
        foldable: bool = False,
        base_image: bool = False,
        aliases: tuple[str, ...] = (),
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: register `fn` as a primitive. `params` default to the function's positional
        parameters (kind "any"); `doc` defaults to the first line of its docstring."""

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            import inspect

            declared = tuple(params) if params is not None else _params_of(fn, base_image)
            text = doc if doc is not None else (inspect.getdoc(fn) or "").split("\n", 1)[0]
            for prim_name in (name or fn.__name__, *aliases):
                self.add(
                    Primitive(
                        namespace=self.name,
                        name=prim_name,
                        fn=fn,
                        params=declared,
                        variadic=variadic,
                        result=result,
                        version=version,
                        doc=text,
                        pure=pure,
                        reads_files=reads_files,
                        path_params=path_params,
                        writes_files=writes_files,
                        write_params=write_params,
                        fingerprint=fingerprint,
                        foldable=foldable,
                        base_image=base_image,
                    )
                )
            return fn

        return register


def _params_of(fn: Callable[..., Any], base_image: bool) -> tuple[Param, ...]:
    import inspect

    out = []
    for i, p in enumerate(inspect.signature(fn).parameters.values()):
        if base_image and i == 0:
            continue  # the hidden base-image argument is not a declared parameter
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = REQUIRED if p.default is inspect.Parameter.empty else p.default
        out.append(Param(p.name, "any", default))
    return tuple(out)


class Registry:
    """Namespaces by name, loaded on first use."""

    def __init__(self, modules: dict[str, str] | None = None) -> None:
        self._modules = dict(NAMESPACE_MODULES if modules is None else modules)
        # the default registry also finds installed plugins (voxcas.primitives.plugins), on the
        # first request for a namespace that is not built in: scanning them costs tens of ms
        self._plugins_found = modules is not None
        self._loaded: dict[str, Namespace] = {}
        self._replaced: set[str] = set()  # built-in names whose namespace was added at run time

    def add_namespace(self, namespace: Namespace) -> None:
        """Register a namespace directly (tests, plugins)."""
        if namespace.name in NAMESPACE_MODULES:
            self._replaced.add(namespace.name)
        self._loaded[namespace.name] = namespace
        self._modules.setdefault(namespace.name, "")

    def _find_plugins(self) -> None:
        if self._plugins_found:
            return
        self._plugins_found = True
        from voxcas.primitives.plugins import plugin_namespaces

        for name, target in plugin_namespaces().items():
            self._modules.setdefault(name, target)  # a plugin never replaces a built-in namespace

    def names(self) -> list[str]:
        self._find_plugins()
        return sorted(self._modules)

    @property
    def modules(self) -> dict[str, str]:
        """Namespace name -> the module defining it ("" for namespaces added directly): what a
        worker process needs to rebuild this registry."""
        return dict(self._modules)

    def is_builtin(self, name: str) -> bool:
        """Whether namespace `name` is voxcas's own (its code is part of the voxcas package)."""
        module = self._modules.get(name)
        return (
            module is not None
            and module.startswith("voxcas.primitives.")
            and NAMESPACE_MODULES.get(name) == module
            and name not in self._replaced
        )

    def has_namespace(self, name: str) -> bool:
        if name not in self._modules:
            self._find_plugins()
        return name in self._modules

    def namespace(self, name: str) -> Namespace:
        if name not in self._loaded:
            if name not in self._modules:
                self._find_plugins()
            target = self._modules.get(name)
            if not target:
                raise KeyError(name)
            self._loaded[name] = _load_namespace(name, target)
        return self._loaded[name]

    def lookup(self, namespace: str, name: str) -> Primitive | None:
        if not self.has_namespace(namespace):
            return None
        return self.namespace(namespace).primitives.get(name)

    def find(self, qualified: str) -> Primitive | None:
        """The primitive with a qualified name (`vox1.near`), or None if there is none."""
        ns, _, name = qualified.partition(".")
        return self.lookup(ns, name)

    def get(self, qualified: str) -> Primitive:
        """The primitive with a qualified name (`vox1.near`); KeyError if none."""
        prim = self.find(qualified)
        if prim is None:
            raise KeyError(qualified)
        return prim

    def __iter__(self) -> Iterator[Primitive]:
        for ns in self.names():
            namespace = self.namespace(ns)
            yield from (p for name, p in namespace.primitives.items() if name not in namespace.synonyms)


def _load_namespace(name: str, target: str) -> Namespace:
    """Import the namespace `target` names: `module` (its `NAMESPACE`) or `module:ATTRIBUTE`.

    ImportError if it cannot be imported or holds no namespace of that name: the reducer reports
    it at the program's `import`, and skips it when it searches every namespace for a name."""
    module_name, _, attribute = target.partition(":")
    ns = getattr(importlib.import_module(module_name), attribute or "NAMESPACE", None)
    if not isinstance(ns, Namespace) or ns.name != name:
        raise ImportError(f"{target} holds no namespace named {name!r}")
    return ns


_DEFAULT: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry of the built-in namespaces."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Registry()
    return _DEFAULT


def prelude_path(registry: Registry, name: str) -> str | None:
    """The file of namespace `name`'s prelude (`Namespace.prelude`, beside its module), if it has one.

    A prelude given as an absolute path (a namespace added with `add_namespace`) is used as is."""
    import os
    import sys

    ns = registry.namespace(name)
    if ns.prelude is None:
        return None
    if os.path.isabs(ns.prelude):
        return ns.prelude
    module = sys.modules.get((registry._modules.get(name) or "").partition(":")[0])
    base = os.path.dirname(module.__file__) if module is not None and module.__file__ else os.getcwd()
    return os.path.join(base, ns.prelude)
