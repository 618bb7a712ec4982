"""Fixtures shared by every test package."""

from __future__ import annotations

import pytest


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files count as settled the moment they are written (no racy window,
    `voxcas.plan.filestate`), so the stat cache can be tested without waiting two seconds."""
    from voxcas.plan import filestate

    monkeypatch.setattr(filestate, "RACY_NS", -(10**19))
