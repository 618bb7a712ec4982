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

BLOB_TIERS = ("inline", "directory")  # where large objects' bytes live (voxcas.store.blobs)


@pytest.fixture(params=BLOB_TIERS)
def sqlite_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqliteStore]:
    """An SQLite store with each blob tier: every test of it holds for both."""
    blobs = tmp_path / "blobs" if request.param == "directory" else None
    store = SqliteStore(tmp_path / ".vox", create=True, blobs=blobs, inline=request.param == "inline")
    yield store
    store.close()


@pytest.fixture
def memory_store() -> Iterator[MemoryStore]:
    store = MemoryStore()
    yield store
    store.close()
