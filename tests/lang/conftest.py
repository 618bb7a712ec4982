"""Fixtures for the language tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from lang_helpers import ProbeRegistry, make_registry


@pytest.fixture
def registry(tmp_path: Path) -> ProbeRegistry:
    return make_registry(tmp_path)
