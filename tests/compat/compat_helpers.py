"""Running programs of the compatibility corpus: `vox run` in this process, on a store in tmp."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voxcas.cli.app import main
from voxcas.primitives.imageio import write_image
from voxcas.values import Image


def vox_run(
    tmp_path: Path, program: str, capsys: pytest.CaptureFixture[str], *options: str
) -> tuple[int, list[str], str]:
    """Exit status, printed lines and stderr of `vox run prog.imgql -q OPTIONS` in tmp_path."""
    (tmp_path / "prog.imgql").write_text(program, encoding="utf-8")
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(
            [
                "--store",
                str(tmp_path / ".vox"),
                "run",
                str(tmp_path / "prog.imgql"),
                "-q",
                "--out",
                str(tmp_path),
                *options,
            ]
        )
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out.splitlines(), err


def volume(path: Path, array: np.ndarray, spacing: tuple[float, ...] | None = None) -> str:
    write_image(Image.from_array(array, spacing=spacing), path)
    return str(path)
