"""The conventions every `vox` command keeps, through the real CLI with its exact messages:
`--json` wherever something is printed, commands that write create the store as `vox run` does
(and say where), and an empty store says what to do instead of printing nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from voxcas.cli.app import main
from voxcas.store.sqlite import DB_NAME, SqliteStore

CREATED = "vox: created a new store in {} (choose another with --store DIR, or create one with 'vox init')\n"


def vox(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A store holding one run of `x = 6 * 7` (through vox run)."""
    program = tmp_path / "p.imgql"
    program.write_text('x = 6 * 7\nprint "x" x\n', encoding="utf-8")
    path = tmp_path / "s"
    assert vox("run", str(program), "--store", str(path), "--quiet") == 0
    capsys.readouterr()
    return path


def json_out(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    assert vox(*args, "--json") == 0
    return json.loads(capsys.readouterr().out)


def test_init_json_says_where_and_whether_it_created_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "new"
    created = {"store": str(target), "created": True, "blobs": None}
    assert json_out(capsys, "init", "--store", str(target)) == created
    assert json_out(capsys, "init", "--store", str(target)) == {**created, "created": False}


def test_tag_and_untag_json_name_the_ref_and_its_run(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with SqliteStore(store) as s:
        run = s.runs()[0].id
    assert json_out(capsys, "tag", "best", run[:10], "--store", str(store)) == {"name": "best", "run": run}
    assert json_out(capsys, "untag", "best", "--store", str(store)) == {"name": "best", "run": run}
    with SqliteStore(store) as s:
        assert s.refs() == {}


def test_cat_json_gives_the_digest_kind_and_summary_of_a_value(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with SqliteStore(store) as s:
        digest = s.put(42)
    data = json_out(capsys, "cat", digest, "--store", str(store))
    assert data == {"digest": digest, "kind": "int", "summary": "42", "output": None}
    out = store.parent / "x.json"
    data = json_out(capsys, "cat", digest, "--store", str(store), "-o", str(out))
    assert data == {"digest": digest, "kind": "int", "summary": "42", "output": str(out)}
    assert json.loads(out.read_text(encoding="utf-8")) == 42


def test_an_empty_store_says_what_to_do_next(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    SqliteStore(empty, create=True).close()
    expected = {
        ("log",): "no runs yet; try: vox run PROG\n",
        ("ls", "runs"): "no runs yet; try: vox run PROG\n",
        ("ls",): "no results yet; try: vox run PROG\n",
        ("ls", "objects"): "no objects yet; try: vox run PROG\n",
        ("refs",): "no refs yet; try: vox tag NAME RUN\n",
    }
    for args, text in expected.items():
        assert vox(*args, "--store", str(empty)) == 0
        assert capsys.readouterr().out == text, args
    assert json_out(capsys, "log", "--store", str(empty)) == []  # JSON stays plain data


def test_import_creates_a_missing_store_and_says_where(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "b.voxb"
    with SqliteStore(store) as s:
        run = s.runs()[0].id
    assert vox("export", run, "--store", str(store), "-o", str(bundle)) == 0
    capsys.readouterr()
    colleague = tmp_path / "colleague"
    colleague.mkdir()
    monkeypatch.chdir(colleague)
    monkeypatch.delenv("VOX_STORE", raising=False)
    assert vox("import", str(bundle)) == 0
    captured = capsys.readouterr()
    assert captured.err == CREATED.format(colleague / ".vox")
    assert captured.out.startswith(f"imported {bundle}: ")
    with SqliteStore(colleague / ".vox") as s:
        assert len(s.runs()) == 1


def test_import_of_a_missing_bundle_creates_no_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VOX_STORE", raising=False)
    assert vox("import", "nosuch.voxb") == 1
    assert capsys.readouterr().err == "error: cannot read bundle nosuch.voxb: No such file or directory\n"
    assert not (tmp_path / ".vox" / DB_NAME).exists()


def test_every_command_that_prints_has_json_output() -> None:
    from typer.main import get_command

    from voxcas.cli.app import app

    def leaves(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):  # a group (vox key ...): each of its commands
                yield from leaves(command, f"{prefix}{name} ")
            else:
                yield f"{prefix}{name}", command

    lacking = [
        name
        for name, command in leaves(get_command(app))
        if not any("--json" in p.opts for p in command.params)
    ]
    assert lacking == ["plan", "serve", "view"]  # plan: --format json; serve, view: an address and a log


def test_the_documented_empty_log_is_what_vox_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import re

    doc = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    block = re.search(r"```\n\$ vox log\n(.*?)```", doc, re.S)
    assert block is not None
    SqliteStore(tmp_path / "s", create=True).close()
    assert vox("log", "--store", str(tmp_path / "s")) == 0
    assert capsys.readouterr().out == block.group(1)
