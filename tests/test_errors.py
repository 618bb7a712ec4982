"""The exception tree: messages, exit codes, and builtin bases callers may rely on."""

from __future__ import annotations

from voxcas.errors import (
    AmbiguousPrefixError,
    CorruptObjectError,
    ObjectNotFoundError,
    PrimitiveError,
    ResolutionError,
    StoreError,
    VoxcasError,
    VoxSyntaxError,
)
from voxcas.span import Span


def test_a_source_error_renders_position_line_and_caret() -> None:
    err = ResolutionError(
        "unknown name 'dilat' (did you mean 'dilate'?)",
        Span("prog.imgql", 4, 9, 4, 14),
        "x = 1 + dilat(y)\n",
    )
    assert str(err) == "prog.imgql:4:9: error: unknown name 'dilat' (did you mean 'dilate'?)"
    assert err.render() == (
        "prog.imgql:4:9: error: unknown name 'dilat' (did you mean 'dilate'?)\n"
        "    x = 1 + dilat(y)\n"
        "            ^"
    )
    assert err.exit_code == 2


def test_a_source_error_without_a_span_still_says_error() -> None:
    assert str(VoxSyntaxError("unexpected end of input", None)) == "error: unexpected end of input"


def test_a_primitive_error_names_the_primitive_and_the_argument() -> None:
    err = PrimitiveError("vox1.near", "expected a boolean image, got float32 values", "a")
    assert str(err) == "vox1.near: argument 'a': expected a boolean image, got float32 values"
    assert err.exit_code == 1


def test_store_errors_are_also_the_builtin_errors_they_resemble() -> None:
    missing = ObjectNotFoundError("no object, node or run matches 'zz99'")
    assert isinstance(missing, KeyError) and isinstance(missing, StoreError)
    assert str(missing) == "no object, node or run matches 'zz99'"
    assert missing.http_status == 404
    assert isinstance(AmbiguousPrefixError("x"), LookupError)
    assert isinstance(CorruptObjectError("x"), ValueError)
    assert all(issubclass(e, VoxcasError) for e in (ObjectNotFoundError, CorruptObjectError))
