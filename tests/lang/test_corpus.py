"""The corpus: valid programs with their expected workplans, invalid ones with their exact errors.

`tests/lang/corpus/valid/NAME.imgql` reduces to the workplan listed in `NAME.plan`
(`voxcas.plan.render.render_text`: node ids, definitions, goals, names, warnings);
`tests/lang/corpus/invalid/NAME.imgql` fails with exactly the text of `NAME.err`
(`path:line:col: error: message`, the source line, a caret). Programs are reduced from inside
their directory, so relative paths and error paths are the same on every machine.
Regenerate the expectations after a deliberate change with `VOXCAS_REGEN_CORPUS=1 pytest tests/lang`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voxcas.errors import SourceError
from voxcas.lang import load_workplan
from voxcas.plan.fingerprint import MemoryFingerprintCache
from voxcas.plan.render import render_text

CORPUS = Path(__file__).parent / "corpus"
REGEN = os.environ.get("VOXCAS_REGEN_CORPUS") == "1"
VALID = sorted(p.name for p in (CORPUS / "valid").glob("*.imgql"))
INVALID = sorted(p.name for p in (CORPUS / "invalid").glob("*.imgql"))


def _check(expected_file: Path, actual: str) -> None:
    if REGEN:
        expected_file.write_text(actual, encoding="utf-8")
    assert expected_file.exists(), f"missing expectation {expected_file.name}"
    assert actual == expected_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", VALID)
def test_a_valid_program_reduces_to_its_expected_workplan(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS / "valid")
    workplan = load_workplan(name, fingerprints=MemoryFingerprintCache())
    _check(CORPUS / "valid" / name.replace(".imgql", ".plan"), render_text(workplan))


@pytest.mark.parametrize("name", INVALID)
def test_an_invalid_program_fails_with_its_exact_error(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS / "invalid")
    with pytest.raises(SourceError) as info:
        load_workplan(name, fingerprints=MemoryFingerprintCache())
    _check(CORPUS / "invalid" / name.replace(".imgql", ".err"), info.value.render() + "\n")


def test_the_corpus_has_both_kinds_of_programs() -> None:
    assert len(VALID) >= 8
    assert len(INVALID) >= 20
