"""docs/run.md cannot rot: its example session is what `vox run` does, and it documents every
option of `vox run` and every error message the command itself produces."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voxcas.cli.app import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "run.md"


def test_the_documented_session_is_what_vox_run_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(
        r"```\n\$ cat prog.imgql\n(.*?)\$ vox run prog.imgql\n(.*?)\$ vox run prog.imgql\n(.*?)```",
        text,
        re.S,
    )
    assert block is not None
    program, first, second = block.groups()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VOX_STORE", raising=False)
    Path("prog.imgql").write_text(program)
    for expected in (first, second):
        lines = expected.splitlines()
        notes = [line for line in lines if line.startswith("vox: created a new store in ")]
        *goal_lines, counts = [line for line in lines if line not in notes]
        with pytest.raises(SystemExit) as info:
            main(["run", "prog.imgql", "--no-progress"])
        assert info.value.code == 0
        out, err = capsys.readouterr()
        assert out.splitlines() == goal_lines
        *err_notes, err = err.strip().splitlines()
        assert err_notes == [note.replace("/home/ada/study", str(tmp_path)) for note in notes]
        pattern = (
            re.escape(counts)
            .replace(r"3f2a9c81d0e4", "[0-9a-f]{12}")
            .replace(r"9b0c1d2e3f40", "[0-9a-f]{12}")
        )
        pattern = re.sub(r"0\\\.0[15]", r"[0-9.]+", pattern)
        assert re.fullmatch(pattern, err), (pattern, err)


def test_every_option_of_vox_run_is_documented(capsys: pytest.CaptureFixture[str]) -> None:
    text = DOC.read_text(encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    options = set(re.findall(r"(--[a-z][a-z-]+)", capsys.readouterr().out)) - {"--help"}
    assert options, "no options found in vox run --help"
    for option in sorted(options):
        assert f"`{option}" in text or f"{option}`" in text or f"/ {option}" in text, option


def test_the_documented_errors_are_the_real_messages() -> None:
    from voxcas.errors import UsageError
    from voxcas.execute.options import RunOptions

    text = DOC.read_text(encoding="utf-8")
    for kwargs in ({"scheduler": "x"}, {"workers": 0}):
        with pytest.raises(UsageError) as info:
            RunOptions(**kwargs)  # type: ignore[arg-type]
        assert f"`error: {info.value}`" in text


def test_the_documented_cluster_warning_is_the_one_a_run_without_a_shared_tier_gives() -> None:
    from voxcas.execute.placement import NO_SHARED_TIER

    assert f"```\n{NO_SHARED_TIER}\n```" in DOC.read_text(encoding="utf-8")
