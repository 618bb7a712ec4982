"""The read guard: HTTP programs may read only constant paths (or listings) inside the data roots."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voxcas.errors import AccessDeniedError
from voxcas.ids import NodeId
from voxcas.plan.identity import node_id
from voxcas.plan.nodes import (
    Apply,
    Closure,
    Const,
    Definition,
    Goal,
    PlanNode,
    TApply,
    TConst,
    Template,
    Workplan,
)
from voxcas.primitives.registry import Namespace, Param, Registry
from voxcas.server.guard import check_plan, check_save_target, inside
from voxcas.span import Span


def _registry() -> Registry:
    ns = Namespace("default")
    ns.primitive("load", params=(Param("path", "str"),), reads_files=True, path_params=(0,))(lambda p: p)
    ns.primitive(
        "dir",
        params=(Param("root", "str"), Param("pattern", "str", "*")),
        reads_files=True,
        path_params=(0,),
    )(lambda r, p="*": [])
    ns.primitive("concat", params=(Param("a"), Param("b")))(lambda a, b: a + b)
    ns.primitive("for", params=(Param("f"), Param("s")))(lambda f, s: s)
    registry = Registry(modules={})
    registry.add_namespace(ns)
    return registry


REGISTRY = _registry()
SPAN = Span("prog.imgql", 3, 5, 3, 20)


class PlanBuilder:
    def __init__(self) -> None:
        self.plan = Workplan()

    def add(self, d: Definition, span: Span | None = None) -> NodeId:
        return self.plan.add(PlanNode(node_id(d), d, span))

    def const(self, value: str | tuple[str, ...]) -> NodeId:
        if isinstance(value, tuple):
            return self.add(Const("list", value))
        return self.add(Const("str", value))

    def apply(self, op: str, *args: NodeId, span: Span | None = SPAN) -> NodeId:
        return self.add(Apply(op, "1", args), span)


def _check(plan: Workplan, roots: list[Path], cwd: Path) -> None:
    check_plan(plan, roots, registry=REGISTRY, cwd=cwd)


def test_a_constant_path_inside_a_root_is_allowed(tmp_path: Path) -> None:
    b = PlanBuilder()
    b.apply("default.load", b.const(str(tmp_path / "data" / "a.nii.gz")))
    _check(b.plan, [tmp_path / "data"], tmp_path)


def test_a_program_reading_outside_the_data_roots_is_refused_naming_the_path(tmp_path: Path) -> None:
    b = PlanBuilder()
    b.apply("default.load", b.const("/etc/passwd"))
    with pytest.raises(AccessDeniedError) as info:
        _check(b.plan, [tmp_path], tmp_path)
    assert str(info.value) == (
        f"prog.imgql:3:5: default.load: path '/etc/passwd' is outside the data roots ({tmp_path})"
    )


def test_a_relative_path_climbing_out_of_the_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    b = PlanBuilder()
    b.apply("default.load", b.const("data/../secret.txt"))
    with pytest.raises(AccessDeniedError, match=re.escape("'data/../secret.txt' is outside the data roots")):
        _check(b.plan, [tmp_path / "data"], tmp_path)


def test_a_relative_path_resolves_against_the_working_directory(tmp_path: Path) -> None:
    b = PlanBuilder()
    b.apply("default.load", b.const("data/x.png"))
    _check(b.plan, [tmp_path / "data"], tmp_path)


def test_a_symlink_inside_a_root_pointing_outside_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    os.symlink("/etc", root / "escape")
    b = PlanBuilder()
    b.apply("default.load", b.const(str(root / "escape" / "passwd")))
    with pytest.raises(AccessDeniedError, match=re.escape("is outside the data roots")):
        _check(b.plan, [root], tmp_path)


def test_no_data_roots_means_no_reads(tmp_path: Path) -> None:
    b = PlanBuilder()
    b.apply("default.load", b.const("x.png"))
    with pytest.raises(AccessDeniedError) as info:
        _check(b.plan, [], tmp_path)
    assert str(info.value) == (
        "prog.imgql:3:5: default.load: reading 'x.png' is not allowed: there are no data roots"
    )


def test_a_path_computed_at_run_time_is_refused(tmp_path: Path) -> None:
    b = PlanBuilder()
    listing = b.apply("default.load", b.const(str(tmp_path / "paths.json")))
    b.apply("default.load", listing)
    with pytest.raises(AccessDeniedError) as info:
        _check(b.plan, [tmp_path], tmp_path)
    assert str(info.value) == (
        "prog.imgql:3:5: default.load: the path read is the result of default.load, computed at run "
        "time; programs submitted over HTTP may only read constant paths or directory listings"
    )


def _loop_plan(b: PlanBuilder, sequence: NodeId) -> None:
    body = Template((TApply("default.load", "1", (("param", 0),)),), ("node", 0))
    closure = b.add(Closure(1, body, ()))
    b.apply("default.for", closure, sequence)


def test_a_loop_over_a_listing_inside_a_root_is_allowed(tmp_path: Path) -> None:
    b = PlanBuilder()
    _loop_plan(b, b.apply("default.dir", b.const(str(tmp_path)), b.const("*.nii.gz")))
    _check(b.plan, [tmp_path], tmp_path)


def test_a_listing_of_a_directory_outside_the_roots_is_refused(tmp_path: Path) -> None:
    b = PlanBuilder()
    _loop_plan(b, b.apply("default.dir", b.const("/etc"), b.const("*")))
    with pytest.raises(
        AccessDeniedError, match=re.escape("default.dir: path '/etc' is outside the data roots")
    ):
        _check(b.plan, [tmp_path], tmp_path)


def test_a_listing_pattern_climbing_out_is_refused(tmp_path: Path) -> None:
    b = PlanBuilder()
    _loop_plan(b, b.apply("default.dir", b.const(str(tmp_path)), b.const("../*")))
    with pytest.raises(AccessDeniedError) as info:
        _check(b.plan, [tmp_path], tmp_path)
    assert str(info.value) == "prog.imgql:3:5: default.dir: pattern '../*' may not leave the listed directory"


def test_every_item_of_a_constant_list_looped_over_is_checked(tmp_path: Path) -> None:
    b = PlanBuilder()
    _loop_plan(b, b.const((str(tmp_path / "a.png"), "/etc/shadow")))
    with pytest.raises(AccessDeniedError, match=re.escape("path '/etc/shadow' is outside the data roots")):
        _check(b.plan, [tmp_path], tmp_path)


def test_a_loop_over_computed_items_is_refused(tmp_path: Path) -> None:
    b = PlanBuilder()
    _loop_plan(b, b.apply("default.load", b.const(str(tmp_path / "list.json"))))
    with pytest.raises(AccessDeniedError, match=re.escape("items of the result of default.load")):
        _check(b.plan, [tmp_path], tmp_path)


def test_a_constant_path_inside_a_loop_body_is_checked(tmp_path: Path) -> None:
    b = PlanBuilder()
    body = Template((TConst("str", "/etc/hosts"), TApply("default.load", "1", (("node", 0),))), ("node", 1))
    closure = b.add(Closure(1, body, ()))
    b.apply("default.for", closure, b.const(("a", "b")))
    with pytest.raises(AccessDeniedError, match=re.escape("path '/etc/hosts' is outside the data roots")):
        _check(b.plan, [tmp_path], tmp_path)


def test_a_captured_path_is_checked(tmp_path: Path) -> None:
    b = PlanBuilder()
    outside = b.const("/etc/hosts")
    body = Template((TApply("default.load", "1", (("capture", 0),)),), ("node", 0))
    closure = b.add(Closure(1, body, (outside,)))
    b.apply("default.for", closure, b.const(("a",)))
    with pytest.raises(AccessDeniedError, match=re.escape("path '/etc/hosts' is outside the data roots")):
        _check(b.plan, [tmp_path], tmp_path)


def test_a_save_goal_outside_the_output_directory_is_refused(tmp_path: Path) -> None:
    b = PlanBuilder()
    node = b.const("x")
    b.plan.goals.append(Goal("save", "../../home/user/.bashrc", node, SPAN))
    with pytest.raises(AccessDeniedError) as info:
        _check(b.plan, [tmp_path], tmp_path)
    assert str(info.value) == (
        "prog.imgql:3:5: save path '../../home/user/.bashrc' must be relative and stay inside "
        "the run's output directory"
    )


def test_a_relative_save_goal_is_allowed() -> None:
    check_save_target("results/mask.nii.gz")


def test_an_absolute_save_goal_is_refused() -> None:
    with pytest.raises(AccessDeniedError, match=re.escape("save path '/tmp/x.png' must be relative")):
        check_save_target("/tmp/x.png")


@given(st.lists(st.sampled_from(["a", "b", "..", ".", "c"]), min_size=1, max_size=8))
def test_inside_agrees_with_normalising_the_path(parts: list[str]) -> None:
    root = Path("/srv/data")
    relative = "/".join(parts)
    expected = os.path.normpath(os.path.join("/srv/data", relative))
    assert inside(relative, [root], root) == (expected == "/srv/data" or expected.startswith("/srv/data/"))
