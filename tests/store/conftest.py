"""Fixtures and helpers for the store tests: stores of both kinds, hand-made plan nodes.

Hypothesis settings for these tests are in `store_helpers.STORE_SETTINGS` (applied per test, so
other test directories keep their own defaults).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from voxcas.store.memory import MemoryStore
from voxcas.store.sqlite import SqliteStore


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
