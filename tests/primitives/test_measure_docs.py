"""docs/measure.md cannot rot: its files are made by its own Python block, and its sessions are
what `vox run` prints for them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voxcas.cli.app import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "measure.md"


def sessions(text: str) -> list[tuple[str, str, str, str]]:
    """(program name, program text, vox run arguments, expected output) of each documented session."""
    found = []
    for block in re.findall(r"```\n(\$ cat .*?)```", text, re.S):
        match = re.match(r"\$ cat (\S+)\n(.*?)\$ vox run (.*?)\n(.*)", block, re.S)
        assert match is not None, block
        found.append((match[1], match[2], match[3], match[4]))
    return found


def test_the_documented_measurements_are_what_vox_run_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = DOC.read_text(encoding="utf-8")
    maker = re.search(r"```python\n(.*?)```", text, re.S)
    assert maker is not None
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VOX_STORE", raising=False)
    exec(compile(maker[1], str(DOC), "exec"), {})
    found = sessions(text)
    assert [name for name, *_ in found] == ["measure.imgql", "empty.imgql"]
    for name, program, arguments, expected in found:
        Path(name).write_text(program)
        expected_out, _, csv = expected.partition("$ cat volumes.csv\n")
        with pytest.raises(SystemExit) as info:
            main(["run", *arguments.split(), "--no-progress"])
        out, err = capsys.readouterr()
        if name == "measure.imgql":
            assert info.value.code == 0, err
            assert out == expected_out
            assert Path("volumes.csv").read_text() == csv
        else:
            assert info.value.code == 1
            want = re.escape(expected_out.strip()).replace("20ac2bb4cb9d", "[0-9a-f]{12}")
            assert re.fullmatch(want, err.strip()), err
