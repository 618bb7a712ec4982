"""Workplan export: text, JSON and DOT."""

from __future__ import annotations

import json

from voxcas.lang import reduce_source
from voxcas.plan.identity import decode_template
from voxcas.plan.nodes import Closure
from voxcas.plan.render import render_dot, render_json, render_text

SRC = 'k = length(range(3))\nxs = for i in range(k) do i * k\nprint "say \\"xs\\"" xs\n'


def test_text_lists_nodes_dependencies_first_with_closure_bodies_indented() -> None:
    wp = reduce_source(SRC)
    lines = render_text(wp).splitlines()
    assert lines[:2] == ["nodes: 6", "goals: 1"]
    closure_line = next(i for i, line in enumerate(lines) if "= closure/1 captures(" in line)
    assert lines[closure_line + 1 : closure_line + 3] == [
        "    %0 = default.*@2(param0, cap0)",
        "    result %0",
    ]
    assert lines[-3].startswith('print "say \\"xs\\"" ')
    assert lines[-2:] == [f"name k {wp.names['k'][:12]}", f"name xs {wp.names['xs'][:12]}"]


def test_json_round_trips_closure_bodies_and_keeps_full_ids() -> None:
    wp = reduce_source(SRC)
    data = json.loads(json.dumps(render_json(wp)))
    assert [n["id"] for n in data["nodes"]] == list(wp.nodes)
    closure = next(n for n in data["nodes"] if n["kind"] == "closure")
    original = wp.nodes[closure["id"]].definition
    assert isinstance(original, Closure)
    assert decode_template(closure["body"]) == original.body
    assert data["goals"][0]["target"] == 'say "xs"'
    assert data["goals"][0]["span"] == {"path": "<string>", "line": 3, "col": 1, "end_line": 3, "end_col": 6}


def test_dot_has_one_box_per_node_an_edge_per_argument_and_quoted_labels() -> None:
    wp = reduce_source(SRC)
    dot = render_dot(wp)
    assert dot.count(" [label=") == len(wp.nodes)
    assert dot.count("[shape=ellipse, label=") == len(wp.goals)
    assert dot.count(" -> n") == sum(len(n.args) for n in wp.nodes.values())
    assert 'label="print say \\"xs\\""' in dot
