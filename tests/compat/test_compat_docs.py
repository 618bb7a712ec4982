"""docs/compat.md cannot rot: its example runs and prints what the page shows (checked against
scipy's own dilation), its errors are the real ones, and the index links it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from compat_helpers import volume, vox_run
from scipy import ndimage

DOC = Path(__file__).resolve().parents[2] / "docs" / "compat.md"
IMAGE = (np.arange(4 * 5 * 6).reshape(4, 5, 6) % 9).astype(np.int16)


def test_the_documented_voxlogica1_example_prints_what_the_page_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"```\n\$ cat prog.imgql\n(.*?)\$ vox run prog.imgql -q\n(.*?)```", text, re.S)
    assert block is not None
    volume(tmp_path / "img.nii.gz", IMAGE)
    program = block.group(1).replace('"img.nii.gz"', f'"{tmp_path / "img.nii.gz"}"')
    code, printed, err = vox_run(tmp_path, program, capsys)
    assert code == 0, err
    assert printed == block.group(2).splitlines()
    bright = IMAGE > 4
    ring = ndimage.binary_dilation(bright, ndimage.generate_binary_structure(3, 3)) & ~bright
    assert printed[:2] == [f"bright={int(bright.sum())}", f"ring={int(ring.sum())}"]
    assert "note: reading it as VoxLogicA 1" in err


def test_a_bad_dialect_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, printed, err = vox_run(tmp_path, 'print "x" 1', capsys, "--dialect", "voxlogica3")
    assert (code, printed) == (2, [])
    assert err == "error: unknown dialect 'voxlogica3' (use voxlogica1 or voxlogica2)\n"
    assert "`error: unknown dialect 'x' (use voxlogica1 or voxlogica2)`" in DOC.read_text(encoding="utf-8")


def test_a_program_mixing_both_dialects_is_refused_with_the_documented_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = vox_run(tmp_path, 'load x = "a.nii.gz"\ny = [1, 2]\nlet z = N x\n', capsys)
    assert code == 2
    headline = err.splitlines()[0]
    documented = headline.replace(str(tmp_path / "prog.imgql"), "prog.imgql")
    assert f"`{documented}`" in DOC.read_text(encoding="utf-8")


def test_the_index_links_the_page() -> None:
    assert "[compat.md](compat.md)" in (DOC.parent / "index.md").read_text(encoding="utf-8")
