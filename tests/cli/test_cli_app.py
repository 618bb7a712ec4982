"""The vox entry point: exit codes and the one place errors are translated."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


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


def _vox(
    *args: str, cwd: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    full = {k: v for k, v in os.environ.items() if k != "VOX_STORE"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "voxcas.cli.app", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=full,
    )


def test_version_prints_the_package_version() -> None:
    from importlib.metadata import version

    result = _vox("--version")
    assert (result.returncode, result.stdout) == (0, f"vox (voxcas) {version('voxcas')}\n")


def test_dash_h_is_help_for_vox_and_for_every_command() -> None:
    assert _vox("-h").stdout == _vox("--help").stdout
    run_help = _vox("run", "-h")
    assert run_help.returncode == 0 and "run [OPTIONS] PROGRAM" in run_help.stdout.splitlines()[0]


def test_a_mistyped_command_gets_one_suggestion_and_exit_2() -> None:
    result = _vox("rn")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == "Error: No such command 'rn'. Did you mean 'run'?"


def test_shell_completion_can_be_shown_for_bash() -> None:
    # --show-completion detects the calling shell (sh under make, which it does not support), so
    # ask for bash's script the way the installed completion does, whatever shell runs the test.
    vox = Path(sys.executable).parent / "vox"  # the console script: completion is for its name
    env = {**os.environ, "_VOX_COMPLETE": "source_bash"}
    result = subprocess.run([str(vox)], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0
    assert "complete -o default -F _vox_completion vox" in result.stdout.splitlines()


def test_dash_c_runs_as_if_started_in_that_directory(tmp_path: Path) -> None:
    (tmp_path / "prog.imgql").write_text('print "x" 6 * 7\n')
    result = _vox("-C", str(tmp_path), "run", "prog.imgql", "--quiet")
    assert (result.returncode, result.stdout) == (0, "x=42\n")
    assert (tmp_path / ".vox" / "store.db").is_file()
    missing = _vox("-C", str(tmp_path / "nope"), "log")
    assert (missing.returncode, missing.stderr) == (
        2,
        f"error: -C {tmp_path / 'nope'}: No such file or directory\n",
    )


def test_a_global_store_option_reaches_every_command(tmp_path: Path) -> None:
    (tmp_path / "prog.imgql").write_text('print "x" 1\n')
    store = tmp_path / "elsewhere"
    assert (
        _vox(
            "--store", str(store), "run", str(tmp_path / "prog.imgql"), "--quiet", cwd=str(tmp_path)
        ).returncode
        == 0
    )
    assert (store / "store.db").is_file() and not (tmp_path / ".vox").exists()
    listed = _vox("--store", str(store), "log", "--json", cwd=str(tmp_path))
    assert listed.returncode == 0 and '"status": "ok"' in listed.stdout
