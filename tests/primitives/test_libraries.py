"""The versions of the libraries primitives compute with are part of node ids: an upgrade of
numpy, scipy or SimpleITK never reuses a result computed with the old version."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from voxcas.execute import RunOptions, run_file
from voxcas.lang import reduce_source
from voxcas.plan.nodes import Apply
from voxcas.primitives import libraries
from voxcas.primitives.libraries import library_version as installed_version  # before the pinning
from voxcas.primitives.registry import default_registry
from voxcas.store.locate import open_located_store


def _upgrade(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Pretend library `name` was upgraded (every other library keeps the test suite's pin)."""
    monkeypatch.setattr(libraries, "library_version", lambda lib: "upgraded" if lib == name else "pinned")
    libraries.built_with.cache_clear()


def _ids(source: str) -> set[str]:
    return set(reduce_source(source).nodes)


def test_the_installed_version_of_a_library_is_what_pip_reports() -> None:
    assert installed_version("numpy") == metadata.version("numpy")
    assert installed_version("no-such-distribution-here") == "absent"


def test_a_nodes_version_names_its_primitives_libraries() -> None:
    plan = reduce_source('print "x" length(range(3))\n')
    versions = {n.definition.version for n in plan.nodes.values() if isinstance(n.definition, Apply)}
    assert versions == {"1+python-pinned+numpy-pinned"}


def test_upgrading_scipy_changes_the_ids_of_what_computes_with_it_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.nii.gz").write_bytes(b"any bytes: reduction only fingerprints them")
    uses_scipy = 'import "vox1"\nprint "x" near(load("a.nii.gz") > 1)\n'
    registry = default_registry()
    near, upper = registry.get("vox1.near"), registry.get("strings.upper")
    before = (_ids(uses_scipy), near.identity_version, upper.identity_version)
    _upgrade(monkeypatch, "scipy")
    assert _ids(uses_scipy) != before[0]
    assert near.identity_version == "1+python-pinned+numpy-pinned+scipy-upgraded+SimpleITK-pinned"
    assert upper.identity_version == before[2] == "1+python-pinned"


def test_a_warm_run_after_an_upgrade_recomputes_instead_of_reusing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("prog.imgql").write_text('n = length(range(4))\nprint "n" n * 10\n')
    with open_located_store(tmp_path / ".vox", create=True) as store:
        first = run_file("prog.imgql", store, RunOptions())
        warm = run_file("prog.imgql", store, RunOptions())
        _upgrade(monkeypatch, "numpy")
        upgraded = run_file("prog.imgql", store, RunOptions())
    assert first.outputs == warm.outputs == upgraded.outputs
    assert (warm.computed, upgraded.computed) == (0, first.computed)
