"""The `default` namespace (primitives.md): arithmetic, comparison and logic operators,
sequences, `fold`, `dir`, `load`, strings and conversions. Always visible to programs.

Operators are polymorphic: on numbers; element-wise on sequences (two sequences must have the
same length); voxel-wise on `voxcas.values.Image` (two images must have the same geometry, the
error names both sizes); a scalar broadcasts to a sequence or an image. numpy is imported only
when an image is involved. `map`, `for` and `filter` are declared here for arity checks and
documentation, but the executor runs them (`voxcas.plan.nodes.LOOP_OPS`). The file readers
`dir` and `load` are in `voxcas.primitives.default_io`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

from voxcas.errors import PrimitiveError
from voxcas.primitives.registry import Namespace, Param
from voxcas.values import Image, format_value, kind_of

NAMESPACE = Namespace(
    "default",
    doc="Always visible: operators, sequences, files, strings, conversions.",
    libraries=("python", "numpy"),
)
prim = NAMESPACE.primitive

# bounds on what one primitive call may build (issue 10: a string or a list doubled at each step
# reached gigabytes; `range` itself is lazy and stored as its bounds)
MAX_SEQUENCE_ITEMS = 1_000_000
MAX_TEXT_CHARS = 64 * 1024 * 1024

# --- helpers ---------------------------------------------------------------------------------


def is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def check_items(name: str, what: str, n: int) -> None:
    """Refuse to build a sequence of more than `MAX_SEQUENCE_ITEMS` items, naming its size."""
    if n > MAX_SEQUENCE_ITEMS:
        raise PrimitiveError(
            name, f"{what} would have {n:,} items, over the limit of {MAX_SEQUENCE_ITEMS:,} per sequence"
        )


def check_text(name: str, n: int) -> None:
    """Refuse to build a string of more than `MAX_TEXT_CHARS` characters, naming its length."""
    if n > MAX_TEXT_CHARS:
        raise PrimitiveError(
            name, f"the string would have {n:,} characters, over the limit of {MAX_TEXT_CHARS:,}"
        )


def _number(name: str, value: Any, arg: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        if type(value).__module__ == "numpy" and getattr(value, "ndim", 1) == 0 and kind_of(value) != "bool":
            return value.item()  # type: ignore[no-any-return,union-attr]
        raise PrimitiveError(name, f"expected a number, got {kind_of(value)}", arg)
    return value


def _size(image: Image) -> str:
    return "x".join(str(n) for n in image.size)


def _image_array(name: str, a: Image, other: Any) -> Any:
    if isinstance(other, Image):
        if other.size != a.size:
            raise PrimitiveError(name, f"images of different sizes: {_size(a)} and {_size(other)}")
        if not a.same_geometry(other):
            raise PrimitiveError(
                name, f"images of size {_size(a)} with different spacing, origin or direction"
            )
        return other.array
    if isinstance(other, int | float):  # bool is an int
        return other
    raise PrimitiveError(name, f"cannot combine an image with a {kind_of(other)}")


def _binary(name: str, scalar: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    """Apply `scalar` with broadcasting over images and sequences."""
    if isinstance(a, Image) or isinstance(b, Image):
        import numpy as np

        img = a if isinstance(a, Image) else b
        x = _image_array(name, img, a)
        y = _image_array(name, img, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            # a Python number stays a Python number: numpy treats it as weakly typed, so
            # `4 + i` has i's pixel type exactly like `i + 4` (a 0-d array would promote to float64)
            out = scalar(x, y)
        return img.with_array(np.asarray(out), img.components)
    a_seq, b_seq = is_sequence(a), is_sequence(b)
    if a_seq and b_seq:
        if len(a) != len(b):
            raise PrimitiveError(name, f"sequences of different lengths: {len(a)} and {len(b)}")
        return [_binary(name, scalar, x, y) for x, y in zip(a, b, strict=True)]
    if a_seq:
        return [_binary(name, scalar, x, b) for x in a]
    if b_seq:
        return [_binary(name, scalar, a, y) for y in b]
    return scalar(a, b)


def _arith(name: str, op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def scalar(x: Any, y: Any) -> Any:
        if type(x).__module__ == "numpy" or type(y).__module__ == "numpy":
            return op(x, y)
        if name == "+" and isinstance(x, str) and isinstance(y, str):
            check_text("default.+", len(x) + len(y))
            return x + y
        xv = _number(f"default.{name}", x, "a")
        yv = _number(f"default.{name}", y, "b")
        try:
            return op(xv, yv)
        except ZeroDivisionError:
            raise PrimitiveError(f"default.{name}", "division by zero") from None

    return scalar


def _compare(name: str, op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def scalar(x: Any, y: Any) -> Any:
        if type(x).__module__ == "numpy" or type(y).__module__ == "numpy":
            return op(x, y)
        if name in ("==", "!="):
            return op(x, y)
        if isinstance(x, str) and isinstance(y, str):
            return op(x, y)
        return op(_number(f"default.{name}", x, "a"), _number(f"default.{name}", y, "b"))

    return scalar


def _register_binary(symbol: str, scalar: Callable[[Any, Any], Any], doc: str, version: str = "1") -> None:
    qualified = f"default.{symbol}"

    def fn(a: Any, b: Any) -> Any:
        return _binary(qualified, scalar, a, b)

    NAMESPACE.primitive(symbol, params=(Param("a"), Param("b")), doc=doc, foldable=True, version=version)(fn)


# --- arithmetic and comparison -----------------------------------------------------------

# version 2: a number on the left keeps the image's pixel type (`4 + i` was float64 for float32 i)
_ARITH_VERSION = "2"
for _sym, _op, _doc in (
    ("+", operator.add, "Addition (numbers, strings, sequences, images)."),
    ("*", operator.mul, "Multiplication (numbers, sequences, images)."),
    ("/", operator.truediv, "Division: always a float (numbers, sequences, images)."),
    ("%", operator.mod, "Remainder (numbers, sequences, images)."),
):
    _register_binary(_sym, _arith(_sym, _op), _doc, _ARITH_VERSION)
for _sym, _op in (
    ("==", operator.eq),
    ("!=", operator.ne),
    ("<", operator.lt),
    ("<=", operator.le),
    (">", operator.gt),
    (">=", operator.ge),
):
    _register_binary(
        _sym, _compare(_sym, _op), f"Comparison {_sym}: a boolean, or a boolean image voxel-wise."
    )

_minus = _arith("-", operator.sub)


@prim("-", params=(Param("a"), Param("b", default=None)), foldable=True, version=_ARITH_VERSION)
def minus(a: Any, b: Any = None) -> Any:
    """Subtraction, or negation with one argument (numbers, sequences, images)."""
    if b is None:  # negation (not 0 - a: -0.0 stays -0.0)
        return _binary("default.-", _negate, a, 0)
    return _binary("default.-", _minus, a, b)


def _negate(x: Any, _: Any) -> Any:
    if type(x).__module__ == "numpy":
        return -x
    return -_number("default.-", x, "a")


# --- logic -----------------------------------------------------------------------------------


def _bool(name: str, value: Any, arg: str) -> bool:
    if isinstance(value, bool):
        return value
    if type(value).__module__ == "numpy" and kind_of(value) == "bool":
        return bool(value)
    raise PrimitiveError(name, f"expected a boolean, got {kind_of(value)}", arg)


@prim("&&", params=(Param("a", "bool"), Param("b", "bool")), foldable=True)
def logical_and(a: bool, b: bool) -> bool:
    """Logical and of two booleans."""
    return a and b


@prim("||", params=(Param("a", "bool"), Param("b", "bool")), foldable=True)
def logical_or(a: bool, b: bool) -> bool:
    """Logical or of two booleans."""
    return a or b


def _bool_image(name: str, value: Any) -> Any:
    import numpy as np

    arr = value.array
    if arr.dtype != np.bool_:
        if arr.dtype != np.uint8 or (arr.size and int(arr.max()) > 1):
            raise PrimitiveError(name, f"expected a boolean image, got pixel type {value.pixel_type}")
        arr = arr.astype(bool)
    return arr


def _logic(name: str, op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    qualified = f"default.{name}"

    def fn(a: Any, b: Any) -> Any:
        if isinstance(a, Image) or isinstance(b, Image):
            img = a if isinstance(a, Image) else b
            x = _bool_image(qualified, a) if isinstance(a, Image) else _bool(qualified, a, "a")
            y = _bool_image(qualified, b) if isinstance(b, Image) else _bool(qualified, b, "b")
            if isinstance(a, Image) and isinstance(b, Image):
                _image_array(qualified, a, b)
            return img.with_array(op(x, y))
        return op(_bool(qualified, a, "a"), _bool(qualified, b, "b"))

    return fn


prim(
    "&",
    params=(Param("a"), Param("b")),
    foldable=True,
    doc="And of booleans or of boolean images (voxel-wise).",
)(_logic("&", operator.and_))
prim(
    "|",
    params=(Param("a"), Param("b")),
    foldable=True,
    doc="Or of booleans or of boolean images (voxel-wise).",
)(_logic("|", operator.or_))


@prim("!", params=(Param("a"),), foldable=True)
def logical_not(a: Any) -> Any:
    """Not of a boolean or of a boolean image (voxel-wise)."""
    if isinstance(a, Image):
        import numpy as np

        return a.with_array(np.logical_not(_bool_image("default.!", a)))
    return not _bool("default.!", a, "a")


# --- sequences -------------------------------------------------------------------------------


def _seq(name: str, value: Any, arg: str = "s") -> Sequence[Any]:
    if not is_sequence(value):
        raise PrimitiveError(f"default.{name}", f"expected a sequence, got {kind_of(value)}", arg)
    return value  # type: ignore[no-any-return]


@prim("list", variadic=Param("items"), foldable=True)
def make_list(*items: Any) -> list[Any]:
    """The sequence of its arguments: `[a, b, c]` is `list(a, b, c)`."""
    return list(items)


@prim("range", params=(Param("a", "int"), Param("b", "int", default=None)))
def make_range(a: int, b: int | None = None) -> range:
    """`range(n)` is 0 … n−1, `range(a, b)` is a … b−1: a lazy sequence (stored as its bounds)."""
    return range(a) if b is None else range(a, b)


@prim("index", params=(Param("s"), Param("i", "int")), foldable=True)
def index(s: Any, i: int) -> Any:
    """The item at position i of s (negative i counts from the end)."""
    seq = _seq("index", s)
    n = len(seq)
    if not -n <= i < n:
        raise PrimitiveError("default.index", f"index {i} out of range for a sequence of length {n}", "i")
    return seq[i]


@prim(
    "slice", params=(Param("s"), Param("a", "int", default=0), Param("b", "int", default=None)), foldable=True
)
def slice_(s: Any, a: int = 0, b: int | None = None) -> Any:
    """Items a … b−1 of s with Python's slicing rules (`s[a:b]`)."""
    seq = _seq("slice", s)
    out = seq[a:b]
    return list(out) if isinstance(out, tuple) else out


@prim("subsequence", params=(Param("s"), Param("a", "int"), Param("b", "int")), foldable=True)
def subsequence(s: Any, a: int, b: int) -> Any:
    """Items a … b−1 of s; unlike `slice`, a and b must satisfy 0 ≤ a ≤ b ≤ length(s)."""
    seq = _seq("subsequence", s)
    if not 0 <= a <= b <= len(seq):
        raise PrimitiveError(
            "default.subsequence", f"bounds {a}:{b} out of range for a sequence of length {len(seq)}"
        )
    out = seq[a:b]
    return list(out) if isinstance(out, tuple) else out


@prim("length", params=(Param("s"),), result="int", foldable=True)
def length(s: Any) -> int:
    """The number of items of a sequence (or characters of a string)."""
    if isinstance(s, str):
        return len(s)
    return len(_seq("length", s))


def _loop(name: str) -> Callable[..., Any]:
    def fn(*args: Any) -> Any:
        raise PrimitiveError(f"default.{name}", "loops are run by the executor, not called as functions")

    fn.__name__ = name
    return fn


prim(
    "map",
    params=(Param("f", "func"), Param("s", "seq")),
    doc="Apply a one-parameter function or primitive to every item of s.",
)(_loop("map"))
prim(
    "for",
    params=(Param("s", "seq"), Param("body", "func")),
    doc="`for x in s do e`: the sequence of e for each item x of s.",
)(_loop("for"))
prim(
    "filter",
    params=(Param("s", "seq"), Param("predicate", "func")),
    doc="`filter x in s do p`: the items x of s for which p is true.",
)(_loop("filter"))


def _items(name: str, s: Any) -> list[Any]:
    return list(_seq(name, s))


def _extreme(name: str, s: Any, pick: Callable[[Any, Any], bool]) -> int:
    items = _items(name, s)
    if not items:
        raise PrimitiveError(f"default.{name}", "empty sequence", "s")
    best = 0
    for i in range(1, len(items)):
        if pick(items[i], items[best]):
            best = i
    return best


@prim("argmax", params=(Param("s"),), foldable=True)
def argmax(s: Any) -> int:
    """Index of the first largest item; an empty sequence is an error."""
    return _extreme("argmax", s, operator.gt)


@prim("argmin", params=(Param("s"),), foldable=True)
def argmin(s: Any) -> int:
    """Index of the first smallest item; an empty sequence is an error."""
    return _extreme("argmin", s, operator.lt)


@prim("sum", params=(Param("s"),), foldable=True)
def sum_(s: Any) -> Any:
    """Sum of a sequence (0 when empty); element-wise for sequences of images or sequences."""
    total: Any = 0
    for item in _seq("sum", s):
        total = _binary("default.sum", _arith("+", operator.add), total, item)
    return total


@prim("mean", params=(Param("s"),), foldable=True)
def mean(s: Any) -> Any:
    """Arithmetic mean of a sequence; an empty sequence is an error."""
    items = _items("mean", s)
    if not items:
        raise PrimitiveError("default.mean", "empty sequence", "s")
    return _binary("default.mean", _arith("/", operator.truediv), sum_(items), len(items))


def _min_max(name: str, s: Any, take: Callable[..., Any]) -> Any:
    if isinstance(s, Image):
        return take(s.array).item()
    items = _items(name, s)
    if not items:
        raise PrimitiveError(f"default.{name}", "empty sequence", "s")
    for i, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, int | float | str):
            _number(f"default.{name}", item, f"s[{i}]")
    return take(items)


@prim("min", params=(Param("s"),), foldable=True)
def min_(s: Any) -> Any:
    """Smallest item of a sequence (or smallest voxel of an image); empty is an error."""
    return _min_max("min", s, _np_or_builtin(min, "min"))


@prim("max", params=(Param("s"),), foldable=True)
def max_(s: Any) -> Any:
    """Largest item of a sequence (or largest voxel of an image); empty is an error."""
    return _min_max("max", s, _np_or_builtin(max, "max"))


def _np_or_builtin(builtin: Callable[..., Any], np_name: str) -> Callable[[Any], Any]:
    def take(values: Any) -> Any:
        if isinstance(values, list):
            return builtin(values)
        import numpy as np

        return getattr(np, np_name)(values)

    return take


# --- fold ------------------------------------------------------------------------------------

FOLD_OPS = ("+", "-", "*", "/", "&&", "||", "min", "max")
_FOLD_START: dict[str, Any] = {"+": 0, "-": 0, "*": 1, "&&": True, "||": False}
_NO_INIT: Any = None  # `fold op s` (no initial value): the language has no null to pass instead


def _fold_step(op: str) -> Callable[[Any, Any], Any]:
    if op == "-":
        return minus
    if op in ("&&", "||"):
        fn = logical_and if op == "&&" else logical_or
        return lambda a, b: fn(_bool("default.fold", a, "init"), _bool("default.fold", b, "s"))
    if op in ("min", "max"):
        return lambda a, b: (min_ if op == "min" else max_)([a, b])
    return NAMESPACE.primitives[op].fn


@prim(
    "fold",
    params=(Param("op", "str"), Param("a"), Param("b", default=_NO_INIT)),
    foldable=True,
    doc="`fold op [init] s`: reduce s left to right with + - * / && || min max.",
)
def fold(op: str, a: Any, b: Any = _NO_INIT) -> Any:
    if op not in FOLD_OPS:
        raise PrimitiveError(
            "default.fold", f"cannot fold with '{op}' (use one of {', '.join(FOLD_OPS)})", "op"
        )
    if b is _NO_INIT:
        seq, acc, have = a, _FOLD_START.get(op), op not in ("min", "max", "/")
    else:
        seq, acc, have = b, a, True
    step = _fold_step(op)
    for item in _seq("fold", seq):
        if not have:
            acc, have = item, True
            continue
        acc = step(acc, item)
    if not have:
        raise PrimitiveError("default.fold", f"fold {op} of an empty sequence needs an initial value", "s")
    return acc


# --- strings and conversions ----------------------------------------------------------------


def _text(value: Any) -> str:
    return value if isinstance(value, str) else format_value(value)


@prim("concat", variadic=Param("parts"), foldable=True)
def concat(*parts: Any) -> Any:
    """Concatenate strings (other values are written as `print` shows them), or sequences: at most
    1,000,000 items or 64 MiB of text."""
    if parts and all(is_sequence(p) for p in parts):
        check_items("default.concat", "the concatenation", sum(len(p) for p in parts))
        out: list[Any] = []
        for p in parts:
            out.extend(p)
        return out
    texts = [_text(p) for p in parts]
    check_text("default.concat", sum(len(t) for t in texts))
    return "".join(texts)


@prim("format_string", params=(Param("template", "str"),), variadic=Param("values"), foldable=True)
def format_string(template: str, *values: Any) -> str:
    """Python's str.format with numbered fields only: `format_string("{:.2f}", x)`."""
    from voxcas.fieldformat import fill

    try:
        return fill(template, *values)
    except ValueError as exc:
        raise PrimitiveError(
            "default.format_string", f"bad template {template!r}: {exc}", "template"
        ) from None


@prim("int", params=(Param("x"),), foldable=True)
def to_int(x: Any) -> int:
    """Convert a number (truncating toward zero), boolean or numeric string to an integer."""
    if isinstance(x, str):
        try:
            return int(x.strip())
        except ValueError:
            try:
                return int(float(x))
            except ValueError:
                raise PrimitiveError("default.int", f"not a number: {x!r}", "x") from None
    if isinstance(x, bool):
        return int(x)
    value = _number("default.int", x, "x")
    if isinstance(value, float) and not math.isfinite(value):
        raise PrimitiveError("default.int", f"cannot convert {value!r} to an integer", "x")
    return int(value)


@prim("float", params=(Param("x"),), foldable=True)
def to_float(x: Any) -> float:
    """Convert a number, boolean or numeric string to a float."""
    if isinstance(x, str):
        try:
            return float(x)
        except ValueError:
            raise PrimitiveError("default.float", f"not a number: {x!r}", "x") from None
    if isinstance(x, bool):
        return float(x)
    return float(_number("default.float", x, "x"))


@prim("str", params=(Param("x"),), foldable=True)
def to_str(x: Any) -> str:
    """The text of a value, as `print` shows it."""
    return _text(x)


# `dir` and `load` (default_io), the geometry primitives (geometry) and the pictures
# (default_pictures) live in their own modules, declared on fragments of this namespace that are
# merged here
from voxcas.primitives.default_io import READERS  # noqa: E402
from voxcas.primitives.default_pictures import PICTURES  # noqa: E402
from voxcas.primitives.geometry import GEOMETRY  # noqa: E402

for _fragment in (READERS, GEOMETRY, PICTURES):
    for _primitive in _fragment.primitives.values():
        NAMESPACE.add(_primitive)

# VoxLogicA-2's names for the operators (`implementation/python/voxlogica/primitives/default/`:
# `addition.py`, `subtraction.py`, `multiplication.py`, `division.py`, and the scalar operators
# of its `__init__.py`): the operators themselves, so `addition(a, b)` is the node of `a + b`
VOXLOGICA2_SYNONYMS = {
    "addition": "+",
    "subtraction": "-",
    "multiplication": "*",
    "division": "/",
    "num_eq": "==",
    "num_neq": "!=",
    "num_leq": "<=",
    "num_lt": "<",
    "num_geq": ">=",
    "num_gt": ">",
    "bool_and_scalar": "&&",
    "bool_or_scalar": "||",
    "not_compat": "!",
}
for _name, _target in VOXLOGICA2_SYNONYMS.items():
    NAMESPACE.synonym(_name, _target)
