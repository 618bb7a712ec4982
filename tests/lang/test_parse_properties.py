"""Properties of the parser: it never fails with anything but a syntax error, and the
pretty-printer's output parses back to the same program (spans aside)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voxcas.errors import VoxSyntaxError
from voxcas.lang import ast as A
from voxcas.lang import parse, pretty
from voxcas.lang.lexer import KEYWORDS

# --- arbitrary text -------------------------------------------------------------------------------

PIECES = [
    *list("abxyz019 \n\t=+-*/%!&|<>.:~\\@#?^()[],\"$;'{}"),
    "let ",
    "in ",
    "for ",
    "do ",
    "filter ",
    "fold ",
    "print ",
    "save ",
    "import ",
    "load ",
    "\\u00e9",
    "//",
]
TOKENISH = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), TOKENISH))
def test_parsing_arbitrary_text_raises_nothing_but_a_syntax_error(text: str) -> None:
    try:
        program = parse(text, "fuzz.imgql")
    except VoxSyntaxError as error:
        assert error.span is not None and error.span.path == "fuzz.imgql"
        assert error.render().startswith("fuzz.imgql:")
    else:
        assert isinstance(program, A.Program)


# --- generated programs ----------------------------------------------------------------------------

IDENT = st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True).filter(lambda s: s not in KEYWORDS)
NAME = st.one_of(IDENT, st.builds(lambda a, b: f"{a}.{b}", IDENT, IDENT))
OPS = st.sampled_from(
    [
        "+",
        "-",
        "*",
        "/",
        "%",
        "==",
        "<=",
        "&&",
        "||",
        "&",
        "|",
        "^",
        ".<=",
        "./.",
        "+.",
        "~>",
        "\\",
        "@",
        ":",
        "!",
        ".+.",
        "#",
        "?",
        ".",
        ">.",
        "=.",
        "::",
    ]
)
NUM = st.one_of(
    st.integers(min_value=0, max_value=10**20),
    st.floats(min_value=0, allow_nan=False, allow_infinity=False),
)


def exprs() -> st.SearchStrategy[A.Expr]:
    atoms = st.one_of(
        st.builds(A.Num, NUM),
        st.builds(A.Str, st.text(max_size=8)),
        st.builds(A.Bool, st.booleans()),
        st.builds(A.Var, st.sampled_from(["stem", "file", "dir"])),
        st.builds(A.Name, NAME),
    )

    def extend(inner: st.SearchStrategy[A.Expr]) -> st.SearchStrategy[A.Expr]:
        args = st.lists(inner, max_size=3).map(tuple)
        return st.one_of(
            st.builds(A.Call, NAME, args),
            st.builds(A.Call, OPS, st.lists(inner, min_size=2, max_size=3).map(tuple)),
            st.builds(A.BinOp, OPS, inner, inner),
            st.builds(A.UnOp, OPS, inner),
            st.builds(A.Array, args),
            st.builds(A.Index, inner, inner),
            st.builds(A.Slice, inner, st.none() | inner, st.none() | inner),
            st.builds(A.Let, IDENT, inner, inner),
            st.builds(A.For, IDENT, inner, inner),
            st.builds(A.Filter, IDENT, inner, inner),
            st.builds(A.Fold, st.sampled_from(["+", "*", "&&", "min", "max"]), st.none() | inner, inner),
        )

    return st.recursive(atoms, extend, max_leaves=12)


EXPR = exprs()
PARAMS = st.lists(IDENT, min_size=0, max_size=3, unique=True).map(tuple)
COMMAND = st.one_of(
    st.builds(A.Decl, IDENT, st.none() | PARAMS, EXPR, st.booleans()),
    st.builds(
        A.Decl, OPS, st.lists(IDENT, min_size=1, max_size=2, unique=True).map(tuple), EXPR, st.just(True)
    ),
    st.builds(A.Print, st.text(max_size=6) | EXPR, EXPR),
    st.builds(A.Save, st.text(max_size=6) | EXPR, EXPR),
    st.builds(
        A.GoalLoop,
        IDENT,
        EXPR,
        st.builds(A.Save, st.text(max_size=6) | EXPR, EXPR) | st.builds(A.Print, EXPR, EXPR),
    ),
    st.builds(A.Import, st.text(max_size=6)),
    st.builds(A.LoadDecl, IDENT, st.text(max_size=6)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(COMMAND, max_size=6).map(lambda cs: A.Program(tuple(cs))))
def test_pretty_printed_programs_parse_back_to_the_same_ast(program: A.Program) -> None:
    text = pretty(program)
    assert parse(text) == program, text
    assert pretty(parse(text)) == text
