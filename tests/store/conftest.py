"""Fixtures and helpers for the store tests: stores of both kinds, hand-made plan nodes.

Hypothesis runs a modest number of examples here (profile `store`) so the suite stays fast;
`HYPOTHESIS_PROFILE=store-thorough` runs many more.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from voxcas.store.memory import MemoryStore
from voxcas.store.sqlite import SqliteStore

settings.register_profile(
    "store", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "store-thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "store"))


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / ".vox", create=True)
    yield store
    store.close()


@pytest.fixture
def memory_store() -> Iterator[MemoryStore]:
    store = MemoryStore()
    yield store
    store.close()
