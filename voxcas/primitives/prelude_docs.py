"""The documentation of a namespace's prelude: the functions and operators its `.imgql` file defines.

`prelude_rows(registry, namespace)` reads the prelude with the language's own parser (so what is
listed is exactly what `import` declares) and documents each declaration with the `//` comment
on its line, else the comment lines right above it (section rulers `// ----` aside), and always
with its definition. The rows have the shape of `docgen.primitive_json`, so `vox primitives`
and `docs/primitives.md` list them beside the primitives.
"""

from __future__ import annotations

import re
from typing import Any

from voxcas.primitives.registry import Registry, prelude_path

RULER = re.compile(r"^//\s*-{3,}")


def _comment_of(lines: list[str], line_no: int) -> str:
    """The `//` comment at the end of line `line_no` (1-based), else the block just above it."""
    line = lines[line_no - 1]
    code, sep, trailing = line.partition("//")
    if sep and code.strip():
        return trailing.strip()
    above: list[str] = []
    for text in reversed(lines[: line_no - 1]):
        stripped = text.strip()
        if not stripped.startswith("//") or RULER.match(stripped):
            break
        above.insert(0, stripped[2:].strip())
    return " ".join(above)


def signature(name: str, params: tuple[str, ...]) -> str:
    """`dilate(a, d)` for a function, `i >. n` for a binary operator, `!a` for a unary one."""
    if name[:1].isalpha() or name[:1] == "_":
        return f"{name}({', '.join(params)})"
    if len(params) == 2:
        return f"{params[0]} {name} {params[1]}"
    return f"{name}{params[0]}" if len(params) == 1 else f"{name}({', '.join(params)})"


def prelude_rows(registry: Registry, namespace: str) -> list[dict[str, Any]]:
    """One row per function or operator the prelude of `namespace` declares (none without one)."""
    from voxcas.lang import ast as A
    from voxcas.lang.parser import parse_program
    from voxcas.lang.pretty import expr

    path = prelude_path(registry, namespace)
    if path is None:
        return []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.splitlines()
    file = path.rsplit("/", 1)[-1]
    rows = []
    for cmd in parse_program(text, path).commands:
        if not isinstance(cmd, A.Decl) or cmd.params is None:
            continue
        definition = expr(cmd.body)
        comment = _comment_of(lines, cmd.span.line)
        rows.append(
            {
                "name": cmd.name,
                "namespace": namespace,
                "qualified": f"{namespace}.{cmd.name}",
                "signature": signature(cmd.name, cmd.params),
                "params": [{"name": p, "kind": "any"} for p in cmd.params],
                "variadic": None,
                "result": "any",
                "version": "prelude",
                "description": f"{comment} (= {definition})" if comment else f"= {definition}",
                "flags": [f"prelude {file}"],
                "definition": definition,
            }
        )
    return rows
