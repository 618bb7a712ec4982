"""`vox why` and `vox diff` through the real Typer app: docs/explain.md's sessions run as
written, bad input is one line with exit 2, and --json parses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voxcas.cli.app import app, main

DOC = Path(__file__).resolve().parents[2] / "docs" / "explain.md"
runner = CliRunner()

WHEN = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
HEX = re.compile(r"\b[0-9a-f]{12}\b")
VARYING = re.compile(HEX.pattern + "|" + WHEN.pattern)


def _pattern(expected: str) -> tuple[str, list[str]]:
    """A regex for a documented output line, and the documented ids it captures: ids (of runs,
    of nodes, whose ids cover library versions) and times vary, everything else is literal."""
    parts, ids, at = [], [], 0
    for match in VARYING.finditer(expected):
        parts.append(re.escape(expected[at : match.start()]))
        if HEX.fullmatch(match.group()):
            parts.append("([0-9a-f]{12})")
            ids.append(match.group())
        else:
            parts.append(WHEN.pattern)
        at = match.end()
    return "".join([*parts, re.escape(expected[at:])]), ids


def _session(block: str, project: Path) -> None:
    """Replay a documented shell session: `cat F` (its lines are F), `echo 'T' > F`, `vox ...`.
    Each documented id must stand for one real id wherever it appears."""
    real: dict[str, str] = {}
    chunks = re.split(r"^\$ ", block, flags=re.M)[1:]
    for chunk in chunks:
        command, _, output = chunk.partition("\n")
        if command.startswith("cat "):
            (project / command[4:]).write_text(output)
            continue
        echo = re.fullmatch(r"echo '(.*)' > (\S+)", command)
        if echo:
            (project / echo.group(2)).write_text(echo.group(1) + "\n")
            continue
        assert command.startswith("vox "), command
        result = runner.invoke(app, command.split()[1:])
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        expected = output.splitlines()
        assert len(lines) == len(expected), (lines, expected)
        for line, want in zip(lines, expected, strict=True):
            pattern, ids = _pattern(want)
            match = re.fullmatch(pattern, line)
            assert match, (want, line)
            for documented, actual in zip(ids, match.groups(), strict=True):
                assert real.setdefault(documented, actual) == actual, (documented, actual, line)


def _blocks() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return [b for b in re.findall(r"```\n(.*?)```", text, re.S) if b.startswith("$ cat prog.imgql")]


def vox_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `vox ARGS` through `main()` (where errors become one line and an exit status)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VOX_STORE", raising=False)
    return tmp_path


def test_the_documented_why_and_diff_session_is_what_vox_prints(project: Path) -> None:
    blocks = [b for b in _blocks() if "$ vox why" in b and "$ vox diff" in b]
    assert blocks
    for block in blocks:
        _session(block, project)


def _two_runs(project: Path) -> None:
    (project / "prog.imgql").write_text('x = load("n.json")\ny = sum(x)\nprint "y" y\n')
    (project / "n.json").write_text("[1, 2]")
    assert runner.invoke(app, ["run", "prog.imgql", "--no-progress"]).exit_code == 0
    (project / "n.json").write_text("[1, 3]")
    assert runner.invoke(app, ["run", "prog.imgql", "--no-progress"]).exit_code == 0


def test_vox_why_json_names_the_changed_input(project: Path) -> None:
    _two_runs(project)
    listing = json.loads(runner.invoke(app, ["ls", "runs", "--json"]).stdout)
    run = listing[0]["id"]
    shown = json.loads(runner.invoke(app, ["show", run, "--json"]).stdout)
    y = next(n["node"] for n in shown["nodes"] if n["label"] == "y")
    result = runner.invoke(app, ["why", y[:12], "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "computed" and data["run"] == run
    assert [d["what"] for d in data["differences"]] == ["fingerprint"]
    assert "input n.json changed" in data["differences"][0]["message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["why", "ffff0000"], "error: no object, node, run or ref matches 'ffff0000'"),
        (["why", "ff"], "error: id prefix 'ff' is too short"),
        (["why", "latest:nosuch"], "error: run "),
        (["why", "latest~7:y"], "error: 'latest~7': the store has only 2 runs"),
        (["why", "zzzz:y"], "error: no run, ref or 'latest' matches 'zzzz'"),
        (["diff", "latest", "abcdef12"], "error: no run, ref or 'latest' matches 'abcdef12'"),
        (["diff", "latest~5", "latest"], "error: 'latest~5': the store has only 2 runs"),
    ],
)
def test_bad_input_to_vox_why_is_one_line_and_exit_2(
    project: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_runs(project)
    code, _, err = vox_main(args, capsys)
    assert code == 2, err
    assert err.strip().startswith(message)
    assert len(err.strip().splitlines()) == 1


def test_asking_why_about_a_run_is_exit_2_and_the_message_is_documented(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_runs(project)
    run = json.loads(runner.invoke(app, ["ls", "runs", "--json"]).stdout)[0]["id"]
    code, _, err = vox_main(["why", run[:8]], capsys)
    assert code == 2
    assert err.strip() == f"error: '{run[:8]}' is a run, not a node (give a node id or RUN:NAME)"
    doc = DOC.read_text(encoding="utf-8")
    assert "is a run, not a node (give a node id or RUN:NAME)" in doc
    assert "error: no object, node, run or ref matches 'ffff0000'" in doc


def test_every_option_of_vox_why_and_vox_diff_is_documented() -> None:
    from typer.main import get_command

    text = DOC.read_text(encoding="utf-8")
    for name in ("why", "diff"):
        command = get_command(app).commands[name]  # type: ignore[attr-defined]
        options = [o for p in command.params for o in getattr(p, "opts", []) if o.startswith("--")]
        for option in options:
            assert option in text, (name, option)
    index = (DOC.parent / "index.md").read_text(encoding="utf-8")
    assert "explain.md" in index


def test_vox_why_of_run_name_explains_that_runs_node(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_runs(project)
    code, out, _ = vox_main(["why", "latest:y"], capsys)
    assert code == 0
    assert "input n.json changed" in out
    code, out, _ = vox_main(["why", "latest~1:y", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["status"] == "computed" and data["predecessor"] is None
    code, _, err = vox_main(["why", "latest:x", "--run", "latest~1"], capsys)
    assert code == 2 and "did not compute node" in err  # latest's x did not exist in the first run


def test_vox_diff_exit_code_follows_git_diff(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _two_runs(project)
    code, out, _ = vox_main(["diff", "latest~1", "latest", "--exit-code"], capsys)
    assert code == 1 and out.splitlines()[-1] == "the runs differ"
    code, out, _ = vox_main(["diff", "latest", "latest", "--exit-code"], capsys)
    assert code == 0 and out.splitlines()[-1] == "the runs agree"
    code, out, _ = vox_main(["diff", "latest~1", "latest", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["equal"] is False
    assert [g["change"]["difference"] for g in data["goals"]] == [1]
