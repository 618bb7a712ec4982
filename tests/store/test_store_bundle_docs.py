"""docs/bundle-format.md cannot rot: its example runs, and every check it lists has a test."""

from __future__ import annotations

import doctest
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "bundle-format.md"


def test_the_bundle_page_example_runs() -> None:
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_the_bundle_page_is_linked_from_the_docs_index_and_the_store_page() -> None:
    for page in ("index.md", "store.md"):
        assert "bundle-format.md" in (DOC.parent / page).read_text(encoding="utf-8"), page
