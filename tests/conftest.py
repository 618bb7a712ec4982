"""Fixtures shared by every test package."""

from __future__ import annotations

import pytest


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files count as settled the moment they are written (no racy window,
    `voxcas.plan.filestate`), so the stat cache can be tested without waiting two seconds."""
    from voxcas.plan import filestate

    monkeypatch.setattr(filestate, "RACY_NS", -(10**19))


@pytest.fixture(autouse=True)
def pinned_libraries(monkeypatch: pytest.MonkeyPatch) -> object:
    """Node ids carry the versions of the libraries primitives compute with
    (`voxcas.primitives.libraries`): pin them in-process, so expected ids in the corpus and the docs
    hold whatever numpy or SimpleITK this machine installed."""
    from voxcas.primitives import libraries

    monkeypatch.setattr(libraries, "library_version", lambda name: "pinned")
    libraries.built_with.cache_clear()
    yield None
    libraries.built_with.cache_clear()
