"""docs/datasets.md cannot rot: its session is what `vox run` prints and writes on the dataset it
describes (made here: three small volumes), and its errors are the real messages."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from voxcas.cli.app import main
from voxcas.primitives.imageio import write_image
from voxcas.values import Image

DOC = Path(__file__).resolve().parents[2] / "docs" / "datasets.md"


def make_dataset(root: Path) -> None:
    (root / "data").mkdir()
    for i, name in enumerate(("sub-01", "sub-02", "sub-03")):
        array = np.zeros((3, 4, 5), np.float32)
        array[1, 1:3, 1:4] = 4.0 + 2 * i
        write_image(Image.from_array(array, spacing=(1.0, 1.0, 2.0)), root / "data" / f"{name}.nii.gz")


def test_the_documented_study_session_is_what_vox_run_prints_and_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(
        r"```\n\$ ls data\n(.*?)\$ cat study.imgql\n(.*?)\$ vox run (.*?)\n(.*?)\$ (find .*?)\n(.*?)```",
        text,
        re.S,
    )
    assert block is not None
    listing, program, arguments, printed, find, found = block.groups()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VOX_STORE", raising=False)
    make_dataset(tmp_path)
    assert "  ".join(sorted(p.name for p in (tmp_path / "data").iterdir())) == listing.strip()
    Path("study.imgql").write_text(program)
    for _ in range(2):  # cold, then warm: the same output and files
        with pytest.raises(SystemExit) as info:
            main(["run", *arguments.split(), "--no-progress"])
        out, err = capsys.readouterr()
        assert info.value.code == 0, err
        assert out == printed
        listed = subprocess.run(find, shell=True, capture_output=True, text=True, check=True).stdout
        assert listed == found


def test_the_documented_errors_are_the_real_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = DOC.read_text(encoding="utf-8")
    errors = re.search(r"## Errors\n.*?```\n(.*?)```", text, re.S)
    assert errors is not None
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VOX_STORE", raising=False)
    make_dataset(tmp_path)
    Path("study.imgql").write_text(
        'import "strings"\n'
        'cases = dir("data", "*.nii.gz")\n'
        'for p in cases do save concat("../", stem(p), ".nii.gz") load(p)\n'
        'save ["c.json"] [1, 2]\n'
        "print (3) 4\n"
        'for p in cases do save concat("seg/", "same", ".nii.gz") load(p)\n'
    )
    with pytest.raises(SystemExit) as info:
        main(["run", "study.imgql", "--no-progress", "--quiet"])
    assert info.value.code == 1
    got = capsys.readouterr().err.splitlines()
    documented = errors[1].splitlines()
    assert got[0] == documented[0]
    assert got[1:3] == documented[2:4]
    assert got[3] == documented[1].replace("study.imgql:3:1", "study.imgql:6:1")
    Path("study.imgql").write_text('import "strings"\nsave x 1\n')
    with pytest.raises(SystemExit) as info:
        main(["run", "study.imgql"])
    assert info.value.code == 2
    headline = capsys.readouterr().err.splitlines()[0]
    prose = " ".join(text.split("syntax error (exit 2):\n", 1)[1].split("`")[1].split())
    assert headline == prose
