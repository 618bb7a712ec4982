"""docs/viewer.md cannot rot: its example program is the study the tests run, its table is that
run's page, and every option of `vox view` is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from study import PROGRAM, Study

from voxcas.cli.app import main
from voxcas.viewer.runs import run_page

DOC = Path(__file__).resolve().parents[2] / "docs" / "viewer.md"


def test_the_documented_program_is_the_study_the_tests_run() -> None:
    block = re.search(r"\n```\n(import .*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block is not None
    assert block.group(1) == PROGRAM


def test_the_documented_table_is_the_runs_page(study: Study) -> None:
    documented = re.findall(
        r"^\| (sub-\d+) \| \(thumbnail\) \| \(thumbnail\) \| ([\d.]+) \| view \|$",
        DOC.read_text(encoding="utf-8"),
        re.M,
    )
    rows = run_page(study.store, study.run)["tables"][0]["rows"]
    assert documented == [(row["case"], row["values"][2]["text"]) for row in rows]


def test_every_option_of_vox_view_is_documented(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["view", "--help"])
    assert info.value.code == 0
    options = set(re.findall(r"(--[a-z][a-z-]+)", capsys.readouterr().out)) - {"--help"}
    text = DOC.read_text(encoding="utf-8")
    assert {o for o in options if o not in text} == set()
