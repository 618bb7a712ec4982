"""Running small programs twice in a project folder, for the tests of `voxcas.explain`.

Imported by the test modules of this folder (pytest puts the folder on sys.path; the module has
a unique name in the tests tree).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from voxcas.execute.engine import run_file
from voxcas.execute.options import RunOptions, RunSummary
from voxcas.primitives.registry import Namespace, Param, Registry
from voxcas.store.sqlite import SqliteStore


def run(project: Path, program: str = "prog.imgql", **options: Any) -> RunSummary:
    """Run `program` in `project` on its store (created on first use); the run must succeed."""
    with SqliteStore(project / ".vox", create=not (project / ".vox").exists()) as store:
        summary = run_file(project / program, store, RunOptions(out_dir=project, scheduler="sync", **options))
    assert summary.status == "ok", summary.failures
    return summary


def open_store(project: Path) -> SqliteStore:
    return SqliteStore(project / ".vox")


def versioned_registry(version: str) -> Registry:
    """A registry with a test namespace `vt` whose primitive `vt.grow` has `version`."""
    ns = Namespace("vt", doc="a namespace whose primitive's version the tests bump")

    @ns.primitive(params=(Param("x", "int"),), version=version)
    def grow(x: int) -> int:
        return x + 1000 * int(version)

    registry = Registry()
    registry.add_namespace(ns)
    return registry
