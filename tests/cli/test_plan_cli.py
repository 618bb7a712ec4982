"""`vox plan` and `vox primitives` through the real console entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voxcas.cli.app import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.fixture
def program(tmp_path: Path) -> Path:
    p = tmp_path / "prog.imgql"
    p.write_text('n = length(range(3))\nxs = for i in range(n) do i * n\nprint "xs" xs\n')
    return p


def test_vox_plan_prints_the_node_count_goals_and_nodes(
    program: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["plan", str(program)], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "nodes: 6"
    assert lines[1] == "goals: 1"
    assert any(line.startswith('print "xs" ') for line in lines)
    assert any("default.for@1(" in line and line.endswith("# xs") for line in lines)


def test_vox_plan_json_lists_nodes_goals_and_names(program: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["plan", str(program), "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["node_count"] == len(data["nodes"]) == 6
    assert [g["target"] for g in data["goals"]] == ["xs"]
    assert set(data["names"]) == {"n", "xs"}
    kinds = {n["kind"] for n in data["nodes"]}
    assert kinds == {"const", "apply", "closure"}


def test_vox_plan_dot_is_a_graphviz_digraph(program: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["plan", str(program), "-f", "dot"], capsys)
    assert code == 0
    assert out.startswith("digraph workplan {")
    assert out.rstrip().endswith("}")
    assert out.count("->") >= 4


def test_vox_plan_reports_a_resolution_error_with_caret_and_exit_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.imgql").write_text("x = 1\ny = lenght([1])\n")
    code, out, err = run(["plan", "bad.imgql"], capsys)
    assert code == 2
    assert out == ""
    assert err == (
        "bad.imgql:2:5: error: unknown name 'lenght' (did you mean 'length'?)\n"
        "    y = lenght([1])\n"
        "        ^\n"
    )


def test_vox_plan_rejects_an_unknown_format(program: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["plan", str(program), "--format", "xml"], capsys)
    assert code == 2
    assert err == "error: unknown format 'xml' for --format (use one of text, json, dot)\n"


def test_vox_plan_of_a_missing_file_says_so_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["plan", str(tmp_path / "nope.imgql")], capsys)
    assert code == 2  # a wrong program
    assert err == f"error: no such program file '{tmp_path / 'nope.imgql'}'\n"


def test_vox_primitives_lists_a_namespace_with_signatures(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["primitives", "strings"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "strings:"
    assert any(line.split()[0] == "replace(s," for line in lines[1:])


def test_vox_primitives_json_gives_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["primitives", "default", "--json"], capsys)
    assert code == 0
    rows = json.loads(out)
    dir_row = next(r for r in rows if r["name"] == "dir")
    assert dir_row["qualified"] == "default.dir"
    assert dir_row["signature"] == "dir(root, pattern='*', recursive=False, full_paths=True)"
    assert dir_row["flags"] == ["foldable", "reads files"]
    assert {r["namespace"] for r in rows} == {"default"}


def test_vox_primitives_of_an_unknown_namespace_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["primitives", "nope"], capsys)
    assert code == 2
    assert err.startswith("error: unknown namespace 'nope' (known: arrays, default, ")


def test_plan_and_primitives_have_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("plan", "primitives"):
        code, out, _ = run([command, "--help"], capsys)
        assert code == 0
        assert "Usage:" in out


def test_vox_plan_shortens_long_constants_unless_full(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = tmp_path / "big.imgql"
    program.write_text("s = [" + ", ".join(f'"item-{i:04d}"' for i in range(100)) + "]\n")
    code, out, _ = run(["plan", str(program)], capsys)
    assert code == 0
    line = next(line for line in out.splitlines() if line.endswith("# s"))
    assert line.endswith("… (1310 characters, 100 items)  # s")
    code, out, _ = run(["plan", str(program), "--full"], capsys)
    assert '"item-0099"]  # s' in out
