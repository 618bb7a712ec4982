"""The pretty-printer adds only the parentheses the grammar needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxcas.lang import parse, pretty, reduce_source


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        ("x=1+2*3", "x = 1 + 2 * 3"),
        ("x = (1 + 2) * 3", "x = (1 + 2) * 3"),
        ("x = 10 - (2 - 3)", "x = 10 - (2 - 3)"),
        ("x = (10 - 2) - 3", "x = 10 - 2 - 3"),
        ("x = -(a + b)", "x = -(a + b)"),
        ("x = - - a", "x = -(-a)"),
        ("x = (let a = 1 in a) + 1", "x = (let a = 1 in a) + 1"),
        ("x = s[1:-1]", "x = s[1: -1]"),
        ("x = (a + b)[0]", "x = (a + b)[0]"),
        ("x = fold + 0 [1, 2]", "x = fold + 0 [1, 2]"),
        ("x = fold max s", "x = fold max (s)"),
        ('print "a\\"b" "\\n"', 'print "a\\"b" "\\n"'),
        ("let ~>(a, b) = b", "let ~>(a, b) = b"),
        ('load img = "t1.nii.gz"', 'load img = "t1.nii.gz"'),
        ("// a comment\nf ( a ) = a // another", "f(a) = a"),
    ],
)
def test_pretty_prints_a_canonical_layout_that_parses_back(source: str, printed: str) -> None:
    program = parse(source)
    assert pretty(program) == printed + "\n"
    assert parse(pretty(program)) == program


CORPUS = Path(__file__).parent / "corpus" / "valid"


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.imgql")))
def test_corpus_programs_round_trip_and_pretty_text_reduces_to_the_same_ids(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CORPUS)
    text = (CORPUS / name).read_text(encoding="utf-8")
    program = parse(text, name)
    printed = pretty(program)
    assert parse(printed, name) == program
    assert list(reduce_source(printed, name).nodes) == list(reduce_source(text, name).nodes)
