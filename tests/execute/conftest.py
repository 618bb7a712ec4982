from __future__ import annotations

from collections.abc import Iterator

import pytest
from exec_helpers import CALLS, make_registry

from voxcas.primitives.registry import Registry
from voxcas.store.memory import MemoryStore


@pytest.fixture
def registry() -> Registry:
    CALLS.clear()
    return make_registry()


@pytest.fixture
def store() -> Iterator[MemoryStore]:
    s = MemoryStore()
    yield s
    s.close()
