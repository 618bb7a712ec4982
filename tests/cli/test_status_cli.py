"""`vox status` / `vox run --dry-run` through the CLI: docs/status.md's session replayed command by
command, exit codes (0 up to date, 1 stale, 2 bad program), and the JSON form."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from voxcas.cli.app import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "status.md"
HEX12 = re.compile(r"\b[0-9a-f]{12}\b")


@pytest.fixture(autouse=True)
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VOX_STORE", raising=False)
    return tmp_path


def vox(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> tuple[str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    assert info.value.code == code, (out, err)
    return out, err


def test_the_documented_session_is_what_vox_prints(capsys: pytest.CaptureFixture[str]) -> None:
    block = DOC.read_text(encoding="utf-8").split("## Example", 1)[1].split("```\n", 2)[1]
    steps = [chunk.partition("\n") for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]]
    assert sum(1 for command, _, _ in steps if command.startswith("vox")) == 4
    for command, _, expected in steps:
        words = shlex.split(command)
        if words[0] == "cat":
            Path(words[1]).parent.mkdir(parents=True, exist_ok=True)
            Path(words[1]).write_text(expected, encoding="utf-8")
            continue
        stale = " stale" in expected.splitlines()[0]
        out, _ = vox(capsys, *words[1:], code=1 if stale else 0)
        assert HEX12.sub("<id>", out) == HEX12.sub("<id>", expected), command


def test_json_names_each_goal_its_reasons_and_the_counts(capsys: pytest.CaptureFixture[str]) -> None:
    Path("a.txt").write_text("1\n")
    Path("p.imgql").write_text('x = load("a.txt")\nprint "x" x\nprint "k" 7\n')
    vox(capsys, "run", "-q", "p.imgql")
    Path("a.txt").write_text("2\n")
    data = json.loads(vox(capsys, "status", "p.imgql", "--json", code=1)[0])
    assert data["up_to_date"] is False and data["computed"] == 1
    assert [(g["target"], g["stale"], g["reasons"]) for g in data["goals"]] == [
        ("x", True, ["input a.txt changed"]),
        ("k", False, []),
    ]
    assert json.loads(vox(capsys, "run", "--dry-run", "--json", "p.imgql", code=1)[0]) == data
    vox(capsys, "run", "-q", "p.imgql")
    assert json.loads(vox(capsys, "status", "p.imgql", "--json")[0])["up_to_date"] is True


@pytest.mark.parametrize(
    ("text", "says"),
    [(None, "error: no such program file 'p.imgql'"), ('print "x" lod(1)\n', "unknown name 'lod'")],
)
def test_a_wrong_program_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], text: str | None, says: str
) -> None:
    if text is not None:
        Path("p.imgql").write_text(text)
    for command in (("status", "p.imgql"), ("run", "--dry-run", "p.imgql")):
        _, err = vox(capsys, *command, code=2)
        assert says in err and "Traceback" not in err
    assert not Path(".vox").exists()  # a dry run creates no store
