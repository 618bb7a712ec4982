"""The vox entry point: exit codes and the one place errors are translated."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_a_command_that_exits_with_a_status_makes_vox_exit_with_that_status() -> None:
    result = _run(
        "import typer\n"
        "from voxcas.cli import app as A\n"
        "@A.app.command('zz-exit')\n"
        "def z() -> None:\n"
        "    raise typer.Exit(3)\n"
        "A.main(['zz-exit'])\n"
    )
    assert result.returncode == 3


def test_a_library_error_is_one_line_on_stderr_with_its_exit_code() -> None:
    result = _run(
        "from voxcas.cli import app as A\n"
        "from voxcas.errors import ObjectNotFoundError\n"
        "@A.app.command('zz-fail')\n"
        "def z() -> None:\n"
        "    raise ObjectNotFoundError(\"no object, node or run matches 'zz99'\")\n"
        "A.main(['zz-fail'])\n"
    )
    assert result.returncode == 1
    assert result.stderr == "error: no object, node or run matches 'zz99'\n"
    assert "Traceback" not in result.stderr


def test_an_unknown_command_is_a_usage_error_with_exit_status_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "voxcas.cli.app", "no-such-command"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "No such command 'no-such-command'" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_every_command_family() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "voxcas.cli.app", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0
    for command in ("run", "plan", "primitives", "init", "cat", "gc", "export", "import", "serve", "push"):
        assert f"  {command} " in result.stdout
