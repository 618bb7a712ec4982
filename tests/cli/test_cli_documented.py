"""Every vox command has help text and a documentation page that shows how to use it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from voxcas.cli.app import app

DOCS = Path(__file__).resolve().parents[2] / "docs"
COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def test_the_cli_has_every_command_family() -> None:
    expected = {"run", "plan", "primitives", "init", "ls", "cat", "show", "log", "tag", "refs", "gc"}
    expected |= {"fsck", "du", "export", "import", "serve", "push", "pull"}
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_text(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    help_text = get_command(app).commands[command].help  # type: ignore[attr-defined]
    assert help_text and help_text.strip()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_shown_in_the_docs(command: str) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    assert f"vox {command}" in text, f"no page in docs/ shows 'vox {command}'"
