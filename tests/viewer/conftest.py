"""Fixtures of the viewer tests: a study (three cases, a program over them, its run) in a store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from study import Study, make_study

from voxcas.store.memory import MemoryStore


@pytest.fixture
def study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Study]:
    store = MemoryStore()
    yield make_study(tmp_path, monkeypatch, store)
    store.close()


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say plainly when the browser tests did not run (no Chromium on this machine)."""
    from browser import MISSING, find_chromium

    collected = any("test_viewer_browser" in str(r.nodeid) for r in terminalreporter.stats.get("skipped", []))
    if collected and find_chromium() is None:
        terminalreporter.write_line(f"NOTE: {MISSING}", yellow=True, bold=True)
