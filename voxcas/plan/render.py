"""Workplan export: a stable text listing, JSON, and Graphviz DOT (`vox plan --format`).

The text form is what the corpus tests pin (`tests/lang/corpus/*.plan`): one line per node in
plan order (dependencies first), with 12-hex short ids, then goals, names and warnings. Closure
bodies are listed indented under their closure, their nodes numbered `%0, %1, …`, parameters
`param0` and captures `cap0, …`.
"""

from __future__ import annotations

import json
from typing import Any

from voxcas.ids import short
from voxcas.plan.identity import encode_template
from voxcas.plan.nodes import (
    Apply,
    Closure,
    Const,
    Definition,
    PlanNode,
    TApply,
    TClosure,
    TConst,
    Template,
    TemplateRef,
    ValueRef,
    Workplan,
)

FORMATS = ("text", "json", "dot")


def _const_text(type_: str, value: Any) -> str:
    if type_ == "list":
        return "list[" + ", ".join(json.dumps(v) for v in value) + "]"
    if type_ == "float":
        return f"float {value!r}"
    return f"{type_} {json.dumps(value, ensure_ascii=False)}"


def _declared(version: str) -> str:
    """A primitive's own version without the library versions its ids also carry (`1+numpy-2.4.6`
    shows as `1`): the text views stay readable, the JSON view keeps the whole."""
    return version.partition("+")[0]


def _ref_text(ref: TemplateRef) -> str:
    kind, i = ref
    return {"param": "param", "capture": "cap", "node": "%"}[kind] + str(i)


def _template_lines(template: Template, indent: str) -> list[str]:
    lines = []
    for i, node in enumerate(template.nodes):
        if isinstance(node, TConst):
            body = "const " + _const_text(node.type, node.value)
        elif isinstance(node, TApply):
            body = f"{node.op}@{_declared(node.version)}(" + ", ".join(_ref_text(a) for a in node.args) + ")"
        elif isinstance(node, TClosure):
            caps = ", ".join(_ref_text(c) for c in node.captures)
            body = f"closure/{node.params} captures({caps})"
            lines.append(f"{indent}%{i} = {body}")
            lines.extend(_template_lines(node.body, indent + "    "))
            continue
        else:  # pragma: no cover - exhaustive
            raise TypeError(node)
        lines.append(f"{indent}%{i} = {body}")
    lines.append(f"{indent}result {_ref_text(template.result)}")
    return lines


def definition_text(definition: Definition) -> str:
    """One line describing a node definition (ids shortened)."""
    if isinstance(definition, Const):
        return "const " + _const_text(definition.type, definition.value)
    if isinstance(definition, Apply):
        args = ", ".join(short(a) for a in definition.args)
        text = f"{definition.op}@{_declared(definition.version)}({args})"
        if definition.fingerprint:
            text += f" reads {short(definition.fingerprint)}"
        return text
    if isinstance(definition, Closure):
        caps = ", ".join(short(c) for c in definition.captures)
        return f"closure/{definition.params} captures({caps})"
    if isinstance(definition, ValueRef):
        return f"value {short(definition.digest)}"
    raise TypeError(definition)


def _elide(text: str, limit: int | None, definition: Definition) -> str:
    if limit is None or len(text) <= limit:
        return text
    value = definition.value if isinstance(definition, Const) else None
    items = f", {len(value)} items" if isinstance(value, tuple) else ""
    return f"{text[: max(0, limit - 1)]}… ({len(text)} characters{items})"


def render_text(workplan: Workplan, *, width: int | None = None) -> str:
    """The stable text listing of a workplan; `width` elides node lines longer than that
    (a constant listing of a large dataset), for display."""
    lines = [f"nodes: {len(workplan.nodes)}", f"goals: {len(workplan.goals)}"]
    for node in workplan.nodes.values():
        label = f"  # {node.label}" if node.label else ""
        text = _elide(definition_text(node.definition), width, node.definition)
        lines.append(f"{short(node.id)} = {text}{label}")
        if isinstance(node.definition, Closure):
            lines.extend(_template_lines(node.definition.body, "    "))
    for goal in workplan.goals:
        lines.append(f"{goal.kind} {json.dumps(goal.target, ensure_ascii=False)} {short(goal.node)}")
    for name, nid in workplan.names.items():
        lines.append(f"name {name} {short(nid)}")
    for warning in workplan.warnings:
        lines.append(f"warning: {warning}")
    return "\n".join(lines) + "\n"


def node_json(node: PlanNode) -> dict[str, Any]:
    d = node.definition
    out: dict[str, Any] = {"id": node.id}
    if isinstance(d, Const):
        out.update(kind="const", type=d.type, value=list(d.value) if isinstance(d.value, tuple) else d.value)
    elif isinstance(d, Apply):
        out.update(kind="apply", op=d.op, version=d.version, args=list(d.args), fingerprint=d.fingerprint)
    elif isinstance(d, Closure):
        out.update(kind="closure", params=d.params, body=encode_template(d.body), captures=list(d.captures))
    elif isinstance(d, ValueRef):
        out.update(kind="value", digest=d.digest)
    out["label"] = node.label
    out["span"] = node.span.to_json() if node.span is not None else None
    return out


def render_json(workplan: Workplan) -> dict[str, Any]:
    """The workplan as JSON-ready data: nodes (dependencies first), goals, names, warnings."""
    return {
        "node_count": len(workplan.nodes),
        "nodes": [node_json(n) for n in workplan.nodes.values()],
        "goals": [
            {
                "kind": g.kind,
                "target": g.target,
                "node": g.node,
                "span": g.span.to_json() if g.span is not None else None,
            }
            for g in workplan.goals
        ],
        "names": dict(workplan.names),
        "warnings": list(workplan.warnings),
    }


def _dot_label(node: PlanNode) -> str:
    d = node.definition
    if isinstance(d, Const):
        text = _const_text(d.type, d.value)
        if len(text) > 40:
            text = text[:37] + "..."
    elif isinstance(d, Apply):
        text = d.op
    elif isinstance(d, Closure):
        text = f"closure ({len(d.body.nodes)} nodes)"
    else:
        text = "value"
    if node.label:
        text = f"{node.label} = {text}"
    return f"{text}\\n{short(node.id, 8)}"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\\\\n", "\\n") + '"'


def render_dot(workplan: Workplan) -> str:
    """Graphviz DOT: one box per node, an edge from each argument to its user, goals as ellipses."""
    lines = ["digraph workplan {", "  rankdir=BT;", "  node [shape=box, fontname=monospace];"]
    for node in workplan.nodes.values():
        lines.append(f"  n{short(node.id)} [label={_dot_quote(_dot_label(node))}];")
    for node in workplan.nodes.values():
        for arg in node.args:
            lines.append(f"  n{short(arg)} -> n{short(node.id)};")
    for i, goal in enumerate(workplan.goals):
        label = f"{goal.kind} {goal.target}"
        lines.append(f"  g{i} [shape=ellipse, label={_dot_quote(label)}];")
        lines.append(f"  n{short(goal.node)} -> g{i};")
    lines.append("}")
    return "\n".join(lines) + "\n"
