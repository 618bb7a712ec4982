"""docs/api.md cannot rot: it documents every route of the app and every option of the commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voxcas.cli.app import main
from voxcas.server.openapi import openapi_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _normal(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/")) or "/"


def test_every_route_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = {
        (method, _normal(path))
        for method, path in re.findall(r"`(GET|POST|PUT|DELETE|HEAD) (/[^ `?]*)", text)
    }
    routes = {
        (method.upper(), _normal(path))
        for path, operations in openapi_schema()["paths"].items()
        for method in operations
    }
    assert routes - documented == set()


@pytest.mark.parametrize("command", ["serve", "push", "pull"])
def test_every_option_is_documented(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    options = set(re.findall(r"(--[a-z][a-z-]+)", capsys.readouterr().out)) - {"--help"}
    text = DOC.read_text(encoding="utf-8")
    assert {o for o in options if o not in text} == set()
