"""Fixtures of the viewer tests: a study (three cases, a program over them, its run) in a store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from study import Study, make_study

from voxcas.store.memory import MemoryStore


@pytest.fixture
def study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Study]:
    store = MemoryStore()
    yield make_study(tmp_path, monkeypatch, store)
    store.close()
