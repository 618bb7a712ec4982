"""docs/primitives.md is generated from the registry and must be kept current."""

from __future__ import annotations

from pathlib import Path

from voxcas.primitives.docgen import markdown, primitive_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "primitives.md"


def test_the_committed_primitives_reference_equals_the_generated_one() -> None:
    assert DOC.read_text(encoding="utf-8") == markdown(), "run `make docs` and commit docs/primitives.md"


def test_every_primitive_has_a_description() -> None:
    missing = [row["qualified"] for row in primitive_table() if not row["description"]]
    assert missing == []
