"""Provenance through the CLI: `vox show RUN --program`, files read, `RUN:NAME` in cat/show/export,
and docs/provenance.md's session replayed command by command."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from voxcas.cli.app import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "provenance.md"
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


def session(text: str) -> list[tuple[str, str]]:
    """The (command, expected output) pairs of the first code block after '## Example'."""
    block = text.split("## Example", 1)[1].split("```\n", 2)[1]
    steps: list[tuple[str, str]] = []
    for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
        command, _, output = chunk.partition("\n")
        steps.append((command, output))
    return steps


def test_the_documented_session_is_what_vox_prints(capsys: pytest.CaptureFixture[str]) -> None:
    steps = session(DOC.read_text(encoding="utf-8"))
    assert len(steps) > 8
    for command, expected in steps:
        words = shlex.split(command)
        if words[0] == "cat":
            Path(words[1]).write_text(expected, encoding="utf-8")
            continue
        assert words[0] == "vox", command
        failing = expected.startswith("error:")
        out, err = vox(capsys, *words[1:], code=2 if failing else 0)
        got = err if failing else out
        assert HEX12.sub("<id>", got) == HEX12.sub("<id>", expected), command


def test_show_program_prints_exactly_the_code_of_each_run(capsys: pytest.CaptureFixture[str]) -> None:
    first = 'x = 1 + 2\nprint "x" x'  # no final newline: printed as it was
    Path("p.imgql").write_text(first, encoding="utf-8")
    vox(capsys, "run", "-q", "p.imgql")
    Path("p.imgql").write_text('x = 1 + 3\nprint "x" x\n', encoding="utf-8")
    vox(capsys, "run", "-q", "p.imgql")
    assert vox(capsys, "show", "latest~1", "--program")[0] == first
    assert vox(capsys, "show", "latest", "--program")[0] == 'x = 1 + 3\nprint "x" x\n'
    files = json.loads(vox(capsys, "show", "latest~1", "--program", "--json")[0])
    assert [(f["path"], f["text"]) for f in files] == [("p.imgql", first)]
    digest = files[0]["digest"]
    assert json.loads(vox(capsys, "show", "latest", "--json")[0])["sources"][0]["digest"] != digest


def test_imported_files_are_recorded_with_their_paths_also_on_a_cached_rerun(
    capsys: pytest.CaptureFixture[str],
) -> None:
    Path("lib").mkdir()
    Path("lib/a.imgql").write_text('import "b.imgql"\nlet f(v) = g(v) + 1\n', encoding="utf-8")
    Path("lib/b.imgql").write_text("let g(v) = v * 2\n", encoding="utf-8")
    Path("p.imgql").write_text('import "lib/a.imgql"\nprint "y" f(4)\n', encoding="utf-8")
    for _ in range(2):  # the second run answers from the reduction cache
        assert vox(capsys, "run", "-q", "p.imgql")[0] == "y=9\n"
        files = json.loads(vox(capsys, "show", "latest", "--program", "--json")[0])
        assert [f["path"] for f in files] == ["p.imgql", "lib/a.imgql", "lib/b.imgql"]
        texts = [Path("lib/a.imgql").read_text(), Path("lib/b.imgql").read_text()]
        assert [f["text"] for f in files[1:]] == texts
    text = vox(capsys, "show", "latest", "--program")[0]
    assert "==> imported lib/b.imgql <==\nlet g(v) = v * 2\n" in text


def test_show_of_a_reading_node_prints_the_path_and_the_files_digest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    Path("d").mkdir()
    for name, body in (("a.txt", "one\n"), ("b.txt", "two\n")):
        Path("d", name).write_text(body, encoding="utf-8")
    Path("p.imgql").write_text(
        'top = load("d/a.txt")\nxs = for p in dir("d", "*.txt") do load(p)\nprint "xs" xs\nprint "t" top\n',
        encoding="utf-8",
    )
    vox(capsys, "run", "-q", "p.imgql")
    gc_out = vox(capsys, "gc", "--keep-runs", "1", "--grace", "0s")[0]
    assert "deleted" in gc_out  # the records vox show needs survive a collection
    run = json.loads(vox(capsys, "show", "latest", "--json")[0])
    loads = [n["node"] for n in run["nodes"] if n["op"] == "default.load"]
    read = {}
    for node in loads:
        (entry,) = json.loads(vox(capsys, "show", node, "--json")[0])["reads"]
        read[entry["path"]] = entry["fingerprint"]
    assert read == {
        p: "sha256:" + hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in ("d/a.txt", "d/b.txt")
    }
    assert f"reads     d/a.txt  {read['d/a.txt']}" in vox(capsys, "show", "latest:top")[0]


def test_cat_of_a_run_name_writes_the_image_of_that_run(capsys: pytest.CaptureFixture[str]) -> None:
    from voxcas.output import write_value
    from voxcas.primitives.imageio import read_image
    from voxcas.values import Image

    volumes = [np.arange(24, dtype=np.float32).reshape(2, 3, 4) * k for k in (1, 5)]
    Path("p.imgql").write_text('brain = load("in.nii.gz")\nsave "out.nii.gz" brain\n', encoding="utf-8")
    for volume in volumes:
        write_value(Image.from_array(volume), Path("in.nii.gz"))
        vox(capsys, "run", "-q", "p.imgql")
    vox(capsys, "cat", "latest~1:brain", "-o", "old.nii.gz")
    vox(capsys, "cat", "latest:brain", "-o", "new.nii.gz")
    assert np.array_equal(read_image("old.nii.gz").array, volumes[0])
    assert np.array_equal(read_image("new.nii.gz").array, volumes[1])
    out = vox(capsys, "export", "latest:brain", "-o", "brain.voxb")[0]
    assert out.startswith("wrote brain.voxb: 1 results")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("cat", "latest:nope"), "has no top-level name 'nope'"),
        (("cat", "latest~7:x"), "the store has only 1 run"),
        (("show", "latest~x"), "malformed address 'latest~x'"),
        (("show", "beef:x"), "no run, ref or 'latest' matches 'beef'"),
        (("export", "latest:x:y", "-o", "b.voxb"), "more than one colon"),
        (("cat", "latest:unused"), "'latest:unused' was not computed"),
        (("show", "latest:x", "--program"), "names a value, not a run"),
    ],
)
def test_a_bad_address_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], says: str
) -> None:
    Path("p.imgql").write_text('x = 1 + 2\nunused = load("p.imgql")\nprint "x" x\n', encoding="utf-8")
    vox(capsys, "run", "-q", "p.imgql")
    _, err = vox(capsys, *args, code=2)
    assert err.count("\n") == 1 and err.startswith("error: ") and says in err, err
    assert "Traceback" not in err
