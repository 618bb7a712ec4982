"""Plugins: a package installed with a `voxcas.namespaces` entry point adds a namespace that
programs import, on the threads and the processes schedulers, listed by `vox primitives`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from voxcas.errors import SourceError
from voxcas.execute import RunOptions, run_file
from voxcas.primitives.registry import Registry
from voxcas.store.memory import MemoryStore

PACKAGE = Path(__file__).resolve().parent / "plugin_package"
VOX = str(Path(sys.executable).parent / "vox")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example plugin installed with pip into a directory of its own, on sys.path."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(PACKAGE)],
        check=True, capture_output=True, timeout=600,
    )
    sys.path.insert(0, str(target))
    yield target
    sys.path.remove(str(target))
    for name in [m for m in sys.modules if m.startswith("voxcas_example_plugin")]:
        del sys.modules[name]


def _vox(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([VOX, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_an_installed_plugin_namespace_is_found_and_runs(
    installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lines.txt").write_text("a\nb\nc\n")
    prog = tmp_path / "prog.imgql"
    prog.write_text('import "example"\nprint "x" double(21)\nprint "n" count_lines("lines.txt")\n')
    monkeypatch.chdir(tmp_path)
    summary = run_file(prog, MemoryStore(), RunOptions(registry=_registry_with_plugins()))
    assert summary.outputs == ["x=42", "n=3"]


def _registry_with_plugins() -> Registry:
    registry = Registry()
    assert "example" in registry.names()
    return registry


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_vox_run_uses_a_plugin_on_every_local_scheduler(
    installed: Path, tmp_path: Path, scheduler: str
) -> None:
    (tmp_path / "prog.imgql").write_text('import "example"\nprint "x" double(positive(21))\n')
    result = _vox(installed, tmp_path, "run", "-q", "--scheduler", scheduler, "prog.imgql")
    assert (result.returncode, result.stdout) == (0, "x=42\n"), result.stderr


def test_a_plugins_error_is_reported_at_the_callers_position(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "prog.imgql").write_text('import "example"\nprint "x" positive(-1)\n')
    result = _vox(installed, tmp_path, "run", "-q", "prog.imgql")
    assert result.returncode == 1
    assert "prog.imgql:2:11: error: example.positive: argument 'x': expected a positive number, got -1" in (
        result.stderr
    )


def test_vox_primitives_lists_a_plugins_namespace_with_its_docs(installed: Path, tmp_path: Path) -> None:
    result = _vox(installed, tmp_path, "primitives", "example")
    assert result.returncode == 0, result.stderr
    assert "double" in result.stdout and "Twice a number." in result.stdout


def test_raising_a_plugins_version_changes_its_node_ids(installed: Path, tmp_path: Path) -> None:
    from voxcas.lang import reduce_source

    registry = Registry()
    first = reduce_source('import "example"\nprint "x" double(2)\n', registry=registry)
    prim = registry.get("example.double")
    assert prim.version == "2" and prim.identity_version.startswith("2+python-")
    from dataclasses import replace

    registry.namespace("example").primitives["double"] = replace(prim, version="3")
    second = reduce_source('import "example"\nprint "x" double(2)\n', registry=registry)
    assert first.goals[0].node != second.goals[0].node


def test_a_plugin_that_does_not_load_is_one_error_at_the_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from voxcas.lang import reduce_source
    from voxcas.primitives import plugins

    monkeypatch.setattr(plugins, "plugin_namespaces", lambda: {"broken": "no_such_module_here"})
    with pytest.raises(SourceError) as info:
        reduce_source('import "broken"\nprint "x" 1\n', "prog.imgql", registry=Registry())
    assert str(info.value).splitlines()[0] == (
        "prog.imgql:1:1: error: namespace 'broken' cannot be loaded: No module named 'no_such_module_here'"
    )


def test_a_plugin_cannot_replace_a_builtin_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    from voxcas.primitives import plugins

    monkeypatch.setattr(plugins, "plugin_namespaces", lambda: {"vox1": "no_such_module_here"})
    registry = Registry()
    registry.names()
    assert registry.namespace("vox1").name == "vox1"


def test_the_documented_plugin_is_the_package_the_tests_install(installed: Path, tmp_path: Path) -> None:
    import re

    doc = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text(encoding="utf-8")
    module = (PACKAGE / "voxcas_example_plugin" / "__init__.py").read_text(encoding="utf-8")
    python = re.search(r"```python\n(.*?)```", doc, re.S)
    toml = re.search(r"```toml\n(.*?)```", doc, re.S)
    transcript = re.search(r"```\n\$ cat prog.imgql\n(.*?)\$ vox run -q prog.imgql\n(.*?)\$", doc, re.S)
    assert python and toml and transcript
    assert python.group(1) in module
    pyproject = (PACKAGE / "pyproject.toml").read_text(encoding="utf-8")
    assert all(line in pyproject.splitlines() for line in toml.group(1).splitlines())
    (tmp_path / "prog.imgql").write_text(transcript.group(1))
    result = _vox(installed, tmp_path, "run", "-q", "prog.imgql")
    assert result.stdout == transcript.group(2)
