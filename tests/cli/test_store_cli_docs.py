"""docs/cli-store.md cannot rot: it documents every store command and every option each one has."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from store_commands import STORE_COMMANDS

from voxcas.cli.app import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli-store.md"


def _options(name: str) -> list[str]:
    group = typer.main.get_command(app)
    command = group.commands.get(name)  # type: ignore[attr-defined]
    assert command is not None, f"vox {name} is not registered"
    return [opt for param in command.params for opt in getattr(param, "opts", []) if opt.startswith("--")]


@pytest.mark.parametrize("name", STORE_COMMANDS)
def test_every_store_command_and_option_is_documented(name: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    assert f"vox {name}" in text
    for option in _options(name):
        assert option in text, f"vox {name} {option} is not documented in docs/cli-store.md"


def test_the_store_page_is_linked_from_the_docs_index() -> None:
    index = (DOC.parent / "index.md").read_text(encoding="utf-8")
    assert "cli-store.md" in index and "store.md" in index
