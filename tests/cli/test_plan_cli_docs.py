"""docs/cli-plan.md cannot rot: its example output is what `vox plan` prints, and it documents
every option of both commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voxcas.cli.app import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli-plan.md"


def test_the_documented_vox_plan_example_is_the_real_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"```\n\$ cat prog.imgql\n(.*?)\$ vox plan prog.imgql\n(.*?)```", text, re.S)
    assert block is not None
    program, expected = block.group(1), block.group(2)
    monkeypatch.chdir(tmp_path)
    Path("prog.imgql").write_text(program)
    with pytest.raises(SystemExit) as info:
        main(["plan", "prog.imgql"])
    assert info.value.code == 0
    assert capsys.readouterr().out == expected


def test_every_option_of_plan_and_primitives_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for option in ("--format", "text", "json", "dot", "--full", "vox primitives", "--json", "NAMESPACE"):
        assert option in text
