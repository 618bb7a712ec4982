"""The primitives reference, generated from the registry: `docs/primitives.md` and `vox primitives`.

`python -m voxcas.primitives.docgen docs/primitives.md` (`make docs`) rewrites the file; a test
checks that the committed file equals what the registry generates, so the reference cannot rot.
"""

from __future__ import annotations

import sys
from typing import Any

from voxcas.errors import UsageError
from voxcas.primitives.prelude_docs import prelude_rows
from voxcas.primitives.registry import Primitive, Registry, default_registry


def flags(prim: Primitive) -> list[str]:
    out = []
    if prim.foldable:
        out.append("foldable")
    if prim.reads_files:
        out.append("reads files")
    if prim.base_image:
        out.append("base image")
    if not prim.pure:
        out.append("impure")
    return out


def _param_json(p: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": p.name, "kind": p.kind}
    if p.optional:
        out["default"] = (
            p.default
            if isinstance(p.default, bool | int | float | str) or p.default is None
            else repr(p.default)
        )
    return out


def primitive_json(prim: Primitive) -> dict[str, Any]:
    return {
        "name": prim.name,
        "namespace": prim.namespace,
        "qualified": prim.qualified,
        "signature": prim.signature(),
        "params": [_param_json(p) for p in prim.params],
        "variadic": _param_json(prim.variadic) if prim.variadic is not None else None,
        "result": prim.result,
        "version": prim.version,
        "description": prim.doc,
        "flags": flags(prim),
    }


def synonym_fields(name: str, prim: Primitive) -> dict[str, Any]:
    """What a synonym's row says: its own name and signature, and the primitive it is."""
    return {
        "name": name,
        "signature": name + prim.signature()[len(prim.name) :],
        "description": f"Same as `{prim.name}` (one node, one id): {prim.doc}",
    }


def namespaces(registry: Registry, namespace: str | None = None) -> list[str]:
    """The namespaces to list: one (checked) or all."""
    if namespace is None:
        return registry.names()
    if not registry.has_namespace(namespace):
        known = ", ".join(registry.names())
        raise UsageError(f"unknown namespace '{namespace}' (known: {known})")
    return [namespace]


def primitive_table(registry: Registry | None = None, namespace: str | None = None) -> list[dict[str, Any]]:
    """Every primitive of one namespace or of all, sorted by namespace then name, each namespace's
    prelude functions and operators after its primitives, in the prelude's order (for `vox primitives`)."""
    registry = registry or default_registry()
    rows: list[dict[str, Any]] = []
    for ns in namespaces(registry, namespace):
        space = registry.namespace(ns)
        prims = space.primitives
        for name in sorted(prims):
            row = primitive_json(prims[name])
            if name in space.synonyms:
                row |= synonym_fields(name, prims[name])
            rows.append(row)
        rows.extend(prelude_rows(registry, ns))
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(registry: Registry | None = None) -> str:
    """The text of `docs/primitives.md`."""
    registry = registry or default_registry()
    lines = [
        "# Primitives reference",
        "",
        "Generated from the registry by `make docs`",
        "(`python -m voxcas.primitives.docgen docs/primitives.md`);",
        "do not edit by hand. `vox primitives [NAMESPACE]` prints the same list. The language contract",
        "is in [language.md](language.md); flags: *foldable* (evaluated while reducing when its",
        "arguments are constants), *reads files* (its node id covers the content it reads),",
        "*base image* (receives the program's base image as a hidden first argument).",
        "",
    ]
    for ns_name in registry.names():
        ns = registry.namespace(ns_name)
        lines += [f"## {ns_name}", ""]
        if ns.doc:
            lines += [ns.doc, ""]
        if ns.prelude:
            lines += [
                f"Importing it also reads its prelude `{ns.prelude}` (derived operators and functions).",
                "",
            ]
        lines += [
            "| name | signature | result | version | flags | description |",
            "|---|---|---|---|---|---|",
        ]
        for name in sorted(ns.primitives):
            p = ns.primitives[name]
            shown = {"name": p.name, "signature": p.signature(), "description": p.doc}
            if name in ns.synonyms:
                shown |= synonym_fields(name, p)
            lines.append(
                f"| `{_cell(shown['name'])}` | `{_cell(shown['signature'])}` | {p.result} | {p.version} | "
                f"{', '.join(flags(p))} | {_cell(shown['description'])} |"
            )
        lines.append("")
        derived = prelude_rows(registry, ns_name)
        if derived:
            lines += [
                f"Defined by the prelude `{ns.prelude}`, in the language itself:",
                "",
                "| name | use | description |",
                "|---|---|---|",
            ]
            lines += [
                f"| `{_cell(r['name'])}` | `{_cell(r['signature'])}` | {_cell(r['description'])} |"
                for r in derived
            ]
            lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    text = markdown()
    if args:
        with open(args[0], "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
