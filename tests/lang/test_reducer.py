"""The reducer: scoping, memoised inlining, imports, namespaces, the base image, loops, depth."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from lang_helpers import ProbeRegistry

from voxcas.errors import ResolutionError
from voxcas.lang import load_workplan, reduce_source
from voxcas.plan.filestate import state_of
from voxcas.plan.fingerprint import MemoryFingerprintCache
from voxcas.plan.nodes import Apply, Closure, Const, Workplan


def definition(wp: Workplan, name: str) -> object:
    return wp.nodes[wp.names[name]].definition


def apply_of(wp: Workplan, name: str) -> Apply:
    d = definition(wp, name)
    assert isinstance(d, Apply), d
    return d


def error_of(src: str, **kwargs: object) -> str:
    with pytest.raises(ResolutionError) as info:
        reduce_source(src, **kwargs)  # type: ignore[arg-type]
    return info.value.render()


# --- scoping and functions ---------------------------------------------------------------------


def test_a_later_declaration_shadows_from_there_on_and_functions_keep_their_scope() -> None:
    wp = reduce_source("k = 1\nf(a) = a + k\nk = 100\nr = f(1) + k")
    assert definition(wp, "r") == Const("int", 102)
    assert definition(wp, "k") == Const("int", 100)


def test_function_names_are_not_workplan_names() -> None:
    wp = reduce_source("f(a) = a\nx = f(1)")
    assert list(wp.names) == ["x"]


def test_shared_calls_nested_thirty_deep_reduce_to_a_linear_number_of_nodes() -> None:
    lines = ["k = length(range(3))", "f0(x) = x * k"]
    lines += [f"f{i}(x) = f{i - 1}(x) + f{i - 1}(x)" for i in range(1, 31)]
    lines.append("r = f30(k)")
    wp = reduce_source("\n".join(lines))
    # 2^30 leaves if inlined naively; memoised, one node per level
    assert len(wp.nodes) == 3 + 31  # range(3), length, k * k, then one addition per level


def test_a_declared_operator_is_used_infix_and_prefix() -> None:
    wp = reduce_source("let <+>(a, b) = a * 10 + b\nlet ~(a) = a * 2\nr = 3 <+> 4\ns = ~ 5")
    assert definition(wp, "r") == Const("int", 34)
    assert definition(wp, "s") == Const("int", 10)


def test_a_let_binding_is_local_to_its_body() -> None:
    assert "unknown name 'b'" in error_of("x = let b = 1 in b\ny = b")


# --- loops and closures --------------------------------------------------------------------------


def test_loop_invariant_work_is_hoisted_out_of_the_closure() -> None:
    wp = reduce_source("s = range(5)\nxs = for i in s do i + length(s) * 2")
    closure = wp.nodes[apply_of(wp, "xs").args[1]].definition
    assert isinstance(closure, Closure)
    ops = [getattr(n, "op", None) for n in closure.body.nodes]
    assert ops == ["default.+"]  # length(s) * 2 was computed outside, and captured
    assert len(closure.captures) == 1
    captured = wp.nodes[closure.captures[0]].definition
    assert isinstance(captured, Apply) and captured.op == "default.*"


def test_closures_with_different_captures_have_different_ids() -> None:
    wp = reduce_source(
        "a = length(range(2))\nb = length(range(3))\n"
        "xs = for i in range(4) do i + a\nys = for i in range(4) do i + b"
    )
    assert apply_of(wp, "xs").args[1] != apply_of(wp, "ys").args[1]


def test_equal_loops_are_one_node() -> None:
    wp = reduce_source("xs = for i in range(4) do i * 2\nys = for j in range(4) do j * 2")
    assert wp.names["xs"] == wp.names["ys"]


def test_names_inside_loop_bodies_are_resolved_before_anything_runs() -> None:
    assert error_of("xs = for i in range(3) do lenght(i)") == (
        "<string>:1:27: error: unknown name 'lenght' (did you mean 'length'?)\n"
        "    xs = for i in range(3) do lenght(i)\n"
        "                              ^"
    )


def test_map_accepts_a_primitive_or_a_one_parameter_function_only() -> None:
    wp = reduce_source('m = map(strings.upper, ["a"])\nf(x) = x\nn = map(f, ["a"])')
    assert apply_of(wp, "m").op == "default.map"
    assert error_of("m = map(1, [1])") == (
        "<string>:1:5: error: the first argument of 'map' must be the name of a function or primitive\n"
        "    m = map(1, [1])\n"
        "        ^"
    )


# --- namespaces, preludes and imports ----------------------------------------------------------


def test_import_brings_a_namespace_and_its_prelude(registry: ProbeRegistry, tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"png")
    wp = reduce_source(f'import "img"\ni = read("{tmp_path}/a.png")\ng = grow(i)', registry=registry)
    g = apply_of(wp, "g")
    assert g.op == "img.combine"
    assert wp.nodes[g.args[0]].definition == Apply("img.near", "1", (wp.names["i"],))
    assert wp.warnings == []


def test_a_qualified_name_reaches_primitives_and_prelude_declarations(registry: ProbeRegistry) -> None:
    wp = reduce_source('import "img"\nx = other.only_other(1)\ny = img.grow(2)', registry=registry)
    assert apply_of(wp, "x").op == "other.only_other"
    assert apply_of(wp, "y").op == "img.combine"


def test_the_most_recent_import_wins(registry: ProbeRegistry) -> None:
    wp = reduce_source(
        'import "img"\nimport "other"\nx = shared(1)\nimport "img"\ny = shared(1)', registry=registry
    )
    assert apply_of(wp, "x").op == "other.shared"
    assert apply_of(wp, "y").op == "img.shared"


def test_a_name_in_one_unimported_namespace_resolves_with_a_warning(registry: ProbeRegistry) -> None:
    wp = reduce_source("x = only_other(1)\ny = only_other(2)", registry=registry)
    assert apply_of(wp, "x").op == "other.only_other"
    assert wp.warnings == ["name 'only_other' resolved in namespace 'other'; add `import \"other\"`"]


def test_a_name_in_two_unimported_namespaces_is_an_error(registry: ProbeRegistry) -> None:
    assert error_of("x = twin(1)", registry=registry).splitlines()[0] == (
        "<string>:1:5: error: name 'twin' is in namespaces 'fourth' and 'third': "
        "import one or qualify the name"
    )


def test_ordinary_programs_load_only_the_default_namespace(registry: ProbeRegistry) -> None:
    reduce_source("x = 1 + 2\ny = length([x])", registry=registry)
    assert registry.requested == ["default"]


def test_unknown_names_load_every_loadable_namespace_and_skip_broken_ones(registry: ProbeRegistry) -> None:
    message = error_of("x = nera(1)", registry=registry)
    assert message.splitlines()[0] == "<string>:1:5: error: unknown name 'nera' (did you mean 'near'?)"
    assert "broken" in registry.requested


def test_a_file_import_is_relative_to_the_importing_file_and_read_once(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "a.imgql").write_text('import "b.imgql"\nfa(x) = fb(x) + 1\n')
    (tmp_path / "lib" / "b.imgql").write_text("fb(x) = x * 2\nb_value = 7\n")
    (tmp_path / "main.imgql").write_text('import "lib/a.imgql"\nimport "lib/b.imgql"\nr = fa(b_value)\n')
    wp = load_workplan(tmp_path / "main.imgql")
    assert definition(wp, "r") == Const("int", 15)


def test_program_variables_describe_the_program_file(tmp_path: Path) -> None:
    (tmp_path / "study.imgql").write_text("d = $dir\nf = $file\ns = $stem\n")
    wp = load_workplan(tmp_path / "study.imgql")
    assert definition(wp, "d") == Const("str", str(tmp_path))
    assert definition(wp, "f") == Const("str", str(tmp_path / "study.imgql"))
    assert definition(wp, "s") == Const("str", "study")


# --- the base image -------------------------------------------------------------------------------


def test_base_image_primitives_receive_the_first_image_loaded(
    registry: ProbeRegistry, tmp_path: Path
) -> None:
    for name in ("a.png", "b.png"):
        (tmp_path / name).write_bytes(name.encode())
    src = f'import "img"\na = read("{tmp_path}/a.png")\nb = read("{tmp_path}/b.png")\nt = tt'
    wp = reduce_source(src, registry=registry)
    assert apply_of(wp, "t") == Apply("img.tt", "1", (wp.names["a"],))


def test_a_loop_body_that_loads_an_image_uses_the_items_image(
    registry: ProbeRegistry, tmp_path: Path
) -> None:
    (tmp_path / "a.png").write_bytes(b"a")
    src = (
        f'import "img"\na = read("{tmp_path}/a.png")\n'
        'xs = for f in ["x.png", "y.png"] do combine(read(f), tt)\n'
        "ys = for f in [1, 2] do combine(f, tt)"
    )
    wp = reduce_source(src, registry=registry)
    xs = wp.nodes[apply_of(wp, "xs").args[1]].definition
    assert isinstance(xs, Closure)
    assert [getattr(n, "op", None) for n in xs.body.nodes] == ["img.read", "img.tt", "img.combine"]
    assert xs.captures == ()
    ys = wp.nodes[apply_of(wp, "ys").args[1]].definition
    assert isinstance(ys, Closure)
    # tt of the outer base image does not depend on the item: hoisted and captured
    assert wp.nodes[ys.captures[0]].definition == Apply("img.tt", "1", (wp.names["a"],))


def test_default_load_of_an_image_extension_sets_the_base_image(
    registry: ProbeRegistry, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("n")
    (tmp_path / "scan.nii.gz").write_bytes(b"not really")
    src = f'import "img"\nn = load("{tmp_path}/notes.txt")\ni = load("{tmp_path}/scan.nii.gz")\nt = tt'
    wp = reduce_source(src, registry=registry)
    assert apply_of(wp, "t").args == (wp.names["i"],)


def test_with_no_image_loaded_a_loop_body_takes_its_item_as_the_base_image(
    registry: ProbeRegistry, tmp_path: Path
) -> None:
    # the items are images another map loaded: the base is resolved when the body runs
    src = 'import "img"\nxs = for f in [1, 2] do combine(f, tt)'
    wp = reduce_source(src, registry=registry)
    xs = wp.nodes[apply_of(wp, "xs").args[1]].definition
    assert isinstance(xs, Closure)
    assert [getattr(n, "op", None) for n in xs.body.nodes] == ["img.tt", "img.combine"]
    assert xs.body.nodes[0].args == (("param", 0),)  # type: ignore[union-attr]
    with pytest.raises(ResolutionError) as info:
        reduce_source('import "img"\nt = tt', registry=registry)
    assert str(info.value) == "<string>:2:5: error: 'tt' needs a base image: load an image before using it"


# --- files --------------------------------------------------------------------------------------


def test_a_file_read_gets_the_content_fingerprint_through_the_cache(tmp_path: Path, settled: None) -> None:
    (tmp_path / "t.json").write_text("[1]")
    cache = MemoryFingerprintCache()
    wp = reduce_source(f'x = load("{tmp_path}/t.json")', fingerprints=cache)
    fp = apply_of(wp, "x").fingerprint
    state = state_of(str(tmp_path / "t.json"))
    assert fp is not None and cache.cached_fingerprint(str(tmp_path / "t.json"), state.stamp) == fp


def test_editing_an_input_file_changes_exactly_the_nodes_that_depend_on_it(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("[1]")
    (tmp_path / "b.json").write_text("[2]")
    src = f'a = load("{tmp_path}/a.json")\nb = load("{tmp_path}/b.json")\nc = length(a)\nd = length(b)'
    before = reduce_source(src, fingerprints=MemoryFingerprintCache())
    (tmp_path / "a.json").write_text("[1, 11]")
    after = reduce_source(src, fingerprints=MemoryFingerprintCache())
    changed = {n for n in before.names if before.names[n] != after.names[n]}
    assert changed == {"a", "c"}


def test_dir_folds_to_a_constant_listing(tmp_path: Path) -> None:
    for name in ("b.txt", "a.txt", "c.csv"):
        (tmp_path / name).write_text(name)
    wp = reduce_source(f'x = dir("{tmp_path}", "*.txt")')
    assert definition(wp, "x") == Const("list", (f"{tmp_path}/a.txt", f"{tmp_path}/b.txt"))


# --- depth and size -----------------------------------------------------------------------------


def test_a_chain_of_depth_ten_thousand_reduces_without_a_recursion_error() -> None:
    src = "s = length(range(3))\n"
    src += "y = " + " + ".join(["s"] * 10_000) + "\n"
    src += "f(a) = a * s\nz = " + "f(" * 10_000 + "s" + ")" * 10_000 + "\n"
    src += "w = " + "(" * 10_000 + "s" + ")" * 10_000 + "\n"
    wp = reduce_source(src)
    assert len(wp.nodes) == 3 + 9_999 + 10_000
    assert definition(wp, "w") == definition(wp, "s")


def test_ten_thousand_declarations_reduce_with_every_name_resolved() -> None:
    lines = ["v0 = length(range(2))"] + [f"v{i} = v{i - 1} + {i}" for i in range(1, 10_000)]
    wp = reduce_source("\n".join(lines))
    assert len(wp.names) == 10_000
    last = apply_of(wp, "v9999")
    assert last.args[0] == wp.names["v9998"]


def test_reduction_does_not_leave_the_recursion_limit_raised() -> None:
    import sys

    limit = sys.getrecursionlimit()
    reduce_source("x = " + "(" * 3000 + "1" + ")" * 3000)
    assert sys.getrecursionlimit() == limit
    assert time.time() > 0


def test_zero_and_negative_zero_stay_different_constants_inside_a_loop_body() -> None:
    wp = reduce_source("xs = for i in range(2) do [i, 0.0, -0.0]")
    closure = wp.nodes[apply_of(wp, "xs").args[1]].definition
    assert isinstance(closure, Closure)
    floats = [n for n in closure.body.nodes if getattr(n, "type", None) == "float"]
    assert [repr(getattr(n, "value", None)) for n in floats] == ["0.0", "-0.0"]


def test_a_program_file_may_start_with_a_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "bom.imgql").write_bytes("\ufeffx = 1 + 1\n".encode())
    assert definition(load_workplan(tmp_path / "bom.imgql"), "x") == Const("int", 2)


def test_a_file_read_at_a_path_known_only_at_run_time_makes_it_and_its_dependents_volatile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voxcas.plan.nodes import RUNTIME_READ
    from voxcas.plan.volatile import volatile_nodes
    from voxcas.primitives.registry import default_registry

    monkeypatch.chdir(tmp_path)
    (tmp_path / "which.txt").write_text("a.txt")
    src = 'which = load("which.txt")\nn = length(load(which))\nk = length(which)\nprint "n" n + k'
    wp = reduce_source(src, path="prog.imgql")
    assert apply_of(wp, "which").fingerprint not in (None, RUNTIME_READ)  # a constant path: hashed
    read = wp.nodes[wp.names["n"]].args[0]
    assert wp.nodes[read].definition.fingerprint == RUNTIME_READ  # type: ignore[union-attr]
    goal = wp.goals[0].node
    assert volatile_nodes(wp.nodes, default_registry()) == {read, wp.names["n"], goal}  # not which, k
    assert wp.warnings == [
        "prog.imgql:2:12: warning: 'load' reads a path computed while the program runs; "
        "it and everything that depends on it are recomputed on every run"
    ]


def test_a_per_item_path_in_a_loop_body_is_not_a_run_time_read(tmp_path: Path) -> None:
    src = f'print "n" for f in ["{tmp_path}/a.txt"] do length(load(f))'
    (tmp_path / "a.txt").write_text("abc")
    wp = reduce_source(src, path="prog.imgql")
    assert wp.warnings == []


def test_voxlogica1s_stdlib_import_means_the_vox1_namespace_when_no_such_file_exists(
    tmp_path: Path,
) -> None:
    src = 'import "stdlib.imgql"\nn = length(range(0, 4))\nb = abs(n - 9)'  # abs: vox1, not default
    wp = reduce_source(src, path=str(tmp_path / "prog.imgql"))
    assert apply_of(wp, "b").op == "vox1.abs"
    assert wp.warnings == [
        f"{tmp_path / 'prog.imgql'}:1:1: warning: no file '{tmp_path / 'stdlib.imgql'}': "
        "importing the namespace vox1 "
        '(VoxLogicA 1\'s standard library) instead; write import "vox1"'
    ]


def test_a_stdlib_imgql_file_beside_the_program_is_imported_as_a_file(tmp_path: Path) -> None:
    (tmp_path / "stdlib.imgql").write_text("k = 41\n")
    wp = reduce_source('import "stdlib.imgql"\nr = k + 1', path=str(tmp_path / "prog.imgql"))
    assert definition(wp, "r") == Const("int", 42)
    assert wp.warnings == []


# --- what loops read reaches their ids -------------------------------------------------------------


def _loop_id(src: str, name: str = "xs") -> str:
    return reduce_source(src, path="prog.imgql", fingerprints=MemoryFingerprintCache()).names[name]


def test_a_loop_over_a_literal_list_changes_id_when_a_file_its_items_read_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("one")
    src = 'xs = for p in ["a.txt"] do length(load(p))'
    before = _loop_id(src)
    (tmp_path / "a.txt").write_text("two")  # equal size, moments later
    assert _loop_id(src) != before


def test_a_loop_over_a_listing_changes_id_when_one_listed_file_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    for name in ("a.txt", "b.txt"):
        (tmp_path / "d" / name).write_text(name)
    src = 'xs = for p in dir("d", "*.txt") do length(load(p))'
    before = _loop_id(src)
    (tmp_path / "d" / "new.txt").write_text("xxxxx")
    os.replace(tmp_path / "d" / "new.txt", tmp_path / "d" / "b.txt")
    assert _loop_id(src) != before


def test_a_loop_whose_items_loop_over_files_changes_id_when_an_inner_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c1").mkdir()
    (tmp_path / "c1" / "t1.txt").write_text("abc")
    src = 'xs = for c in ["c1"] do for f in dir(c, "*.txt") do length(load(f))'
    before = _loop_id(src)
    (tmp_path / "c1" / "t1.txt").write_text("abcd")
    assert _loop_id(src) != before


def test_a_loop_whose_body_reads_no_file_carries_no_contents_fingerprint() -> None:
    wp = reduce_source('xs = for i in [1, 2] do i * 2', path="prog.imgql")
    loop = wp.nodes[wp.names["xs"]].definition
    assert isinstance(loop, Apply) and loop.fingerprint is None


def test_a_loop_item_whose_file_is_missing_still_reduces_and_fails_when_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("one")
    src = 'xs = for p in ["a.txt", "gone.txt"] do length(load(p))'
    before = _loop_id(src)
    (tmp_path / "gone.txt").write_text("here")
    assert _loop_id(src) != before


# --- errors inside imported functions -------------------------------------------------------------


def test_an_error_inside_an_imported_function_names_the_users_call_then_the_functions_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "lib.imgql").write_text("let twice(x) = x + 1\nlet bad(x) = range(x, x, x)\n")
    (tmp_path / "p.imgql").write_text('import "lib.imgql"\nprint "v" twice(1)\nprint "w" bad(2)\n')
    with pytest.raises(ResolutionError) as info:
        load_workplan(tmp_path / "p.imgql")
    assert str(info.value) == (
        f"{tmp_path / 'p.imgql'}:3:11 (in {tmp_path / 'lib.imgql'}:2:14): error: "
        "'range' expects 1 to 2 arguments, got 3"
    )
    assert info.value.source_line == 'print "w" bad(2)'


def test_a_node_made_inside_a_prelude_function_carries_the_users_call_site(tmp_path: Path) -> None:
    from voxcas.primitives.imageio import write_image
    from voxcas.values import Image

    write_image(Image.from_array(np.zeros((2, 3), np.float32)), tmp_path / "i.nii.gz")
    wp = reduce_source(
        f'import "vox1"\ni = load("{tmp_path / "i.nii.gz"}")\nd = dilate(i, 2.0)', str(tmp_path / "p.imgql")
    )
    span = wp.nodes[wp.names["d"]].span
    assert span is not None and (span.path, span.line, span.col) == (str(tmp_path / "p.imgql"), 3, 5)
    assert span.inner is not None and span.inner.path.endswith("vox1.imgql")
