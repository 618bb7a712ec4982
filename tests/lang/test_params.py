"""Program parameters (`vox run -p NAME=VALUE`): a top-level value replaced by a constant."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from voxcas.errors import ResolutionError, UsageError
from voxcas.lang import reduce_source
from voxcas.lang.params import parse_assignment, parse_assignments

PROGRAM = 'threshold = 0.5\nname = "a"\nf(x) = x + 1\nother = 7 * 6\nprint "t" threshold * 2\n'
RUN_DOC = Path(__file__).resolve().parents[2] / "docs" / "run.md"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("t=0.9", ("t", 0.9)),
        ("n=3", ("n", 3)),
        ("n=-3", ("n", -3)),
        ("b=true", ("b", True)),
        ("s=brain", ("s", "brain")),
        ('s="0.9"', ("s", "0.9")),
        ("s=nan", ("s", "nan")),
        ("s=a=b", ("s", "a=b")),
    ],
)
def test_a_value_is_a_number_a_boolean_or_else_a_string(text: str, expected: tuple[str, object]) -> None:
    assert parse_assignment(text) == expected


@pytest.mark.parametrize("text", ["=1", "threshold", "1x=2", "a b=1"])
def test_an_assignment_without_a_name_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(UsageError, match=re.escape(f"parameter {text!r}: expected NAME=VALUE")):
        parse_assignment(text)


def test_a_name_given_twice_is_refused() -> None:
    with pytest.raises(UsageError, match="parameter 'a' is given twice"):
        parse_assignments(["a=1", "a=2"])


def test_a_parameter_changes_the_ids_of_its_dependents_only() -> None:
    plain = reduce_source(PROGRAM)
    set_ = reduce_source(PROGRAM, params={"threshold": 0.9})
    assert set_.names["threshold"] != plain.names["threshold"]
    assert set_.goals[0].node != plain.goals[0].node
    assert set_.names["other"] == plain.names["other"]
    assert set_.names["threshold"] == reduce_source(PROGRAM.replace("0.5", "0.9")).names["threshold"]


def test_an_unknown_parameter_names_the_values_the_program_declares() -> None:
    with pytest.raises(UsageError) as info:
        reduce_source(PROGRAM, "prog.imgql", params={"nope": 1})
    assert str(info.value) == (
        "parameter 'nope': prog.imgql declares no top-level value of that name "
        "(its top-level values: name, other, threshold)"
    )


def test_a_parameter_cannot_replace_a_function() -> None:
    with pytest.raises(ResolutionError, match="parameter 'f' names a function; -p sets only values"):
        reduce_source(PROGRAM, params={"f": 1})


def test_names_of_an_imported_file_cannot_be_set(tmp_path: Path) -> None:
    (tmp_path / "lib.imgql").write_text("k = 1\n")
    main = tmp_path / "main.imgql"
    main.write_text('import "lib.imgql"\nprint "k" k\n')
    with pytest.raises(UsageError, match="parameter 'k'"):
        reduce_source(main.read_text(), str(main), params={"k": 2})


def test_the_documented_parameter_example_is_what_vox_run_prints(tmp_path: Path) -> None:
    block = re.search(r"## Program parameters\n.*?```\n(.*?)```", RUN_DOC.read_text(encoding="utf-8"), re.S)
    assert block is not None
    lines = block.group(1).splitlines()
    program = "\n".join(lines[1 : lines.index("$ vox run -q prog.imgql")]) + "\n"
    (tmp_path / "prog.imgql").write_text(program)
    vox = Path(sys.executable).parent / "vox"
    transcript = ["$ cat prog.imgql", *program.splitlines()]
    for command in ("vox run -q prog.imgql", "vox run -q prog.imgql -p threshold=0.9"):
        out = subprocess.run(
            [str(vox), *command.split()[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
        transcript += [f"$ {command}", *out.stdout.splitlines()]
    assert transcript == lines


def test_vox_show_lists_the_parameters_a_run_used(tmp_path: Path) -> None:
    (tmp_path / "prog.imgql").write_text(PROGRAM)
    vox = str(Path(sys.executable).parent / "vox")
    subprocess.run([vox, "init"], cwd=tmp_path, capture_output=True, check=True, timeout=120)
    subprocess.run([vox, "run", "-q", "prog.imgql", "-p", "threshold=0.9", "-p", "name=brain"],
                   cwd=tmp_path, capture_output=True, check=True, timeout=120)
    runs = subprocess.run([vox, "log", "--json"], cwd=tmp_path, capture_output=True, text=True, check=True)
    run_id = json.loads(runs.stdout)[0]["id"]
    shown = subprocess.run([vox, "show", run_id], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "param     threshold = 0.9" in shown.stdout.splitlines()
    assert "param     name = 'brain'" in shown.stdout.splitlines()


def test_vox_status_and_dry_run_take_the_parameters_a_run_would(tmp_path: Path) -> None:
    (tmp_path / "prog.imgql").write_text('threshold = 0.5\nprint "t" length(range(3)) * threshold\n')
    vox = str(Path(sys.executable).parent / "vox")

    def vox_(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([vox, *args], cwd=tmp_path, capture_output=True, text=True, timeout=120)

    assert vox_("run", "-q", "prog.imgql", "-p", "threshold=2").stdout == "t=6\n"
    assert vox_("status", "prog.imgql", "-p", "threshold=2").returncode == 0
    assert vox_("run", "--dry-run", "prog.imgql", "-p", "threshold=2").returncode == 0
    stale = vox_("status", "prog.imgql")
    assert stale.returncode == 1
    assert "    prog.imgql:1:13: constant 2 is now 0.5" in stale.stdout.splitlines()
