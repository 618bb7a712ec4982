"""The `strings` namespace: string and file-name helpers (`import "strings"`, or `strings.upper`).

All of them are pure and foldable: on constant arguments the reducer evaluates them, so a path
built from `$dir` and a file name is a constant whose file can be fingerprinted.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from voxcas.errors import PrimitiveError
from voxcas.primitives.registry import Namespace, Param
from voxcas.values import format_value, kind_of

NAMESPACE = Namespace("strings", doc="String and file-name helpers.", libraries=("python",))


def _s(name: str) -> Param:
    return Param(name, "str")


def prim(
    name: str, *params: Param, variadic: Param | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return NAMESPACE.primitive(name, params=params, variadic=variadic, foldable=True)


@prim("upper", _s("s"))
def upper(s: str) -> str:
    """The string in upper case."""
    return s.upper()


@prim("lower", _s("s"))
def lower(s: str) -> str:
    """The string in lower case."""
    return s.lower()


@prim("strip", _s("s"), Param("chars", "str", default=None))
def strip(s: str, chars: str | None = None) -> str:
    """The string without leading and trailing whitespace (or the given characters)."""
    return s.strip(chars)


@prim("split", _s("s"), Param("sep", "str", default=None))
def split(s: str, sep: str | None = None) -> list[str]:
    """The parts of s between occurrences of sep (runs of whitespace when sep is omitted)."""
    if sep == "":
        raise PrimitiveError("strings.split", "empty separator", "sep")
    return s.split(sep)


@prim("join", Param("sep", "str"), Param("items", "seq"))
def join(sep: str, items: Sequence[Any]) -> str:
    """The items (strings, or values written as `print` shows them) joined by sep."""
    if isinstance(items, str) or not isinstance(items, Sequence):
        raise PrimitiveError("strings.join", f"expected a sequence, got {kind_of(items)}", "items")
    return sep.join(i if isinstance(i, str) else format_value(i) for i in items)


@prim("replace", _s("s"), _s("old"), _s("new"))
def replace(s: str, old: str, new: str) -> str:
    """s with every occurrence of old replaced by new."""
    return s.replace(old, new)


@prim("startswith", _s("s"), _s("prefix"))
def startswith(s: str, prefix: str) -> bool:
    """Whether s starts with prefix."""
    return s.startswith(prefix)


@prim("endswith", _s("s"), _s("suffix"))
def endswith(s: str, suffix: str) -> bool:
    """Whether s ends with suffix."""
    return s.endswith(suffix)


@prim("contains", _s("s"), _s("part"))
def contains(s: str, part: str) -> bool:
    """Whether part occurs in s."""
    return part in s


@prim("find", _s("s"), _s("part"))
def find(s: str, part: str) -> int:
    """The position of the first occurrence of part in s, or −1."""
    return s.find(part)


@prim("substring", _s("s"), Param("a", "int"), Param("b", "int", default=None))
def substring(s: str, a: int, b: int | None = None) -> str:
    """Characters a … b−1 of s (Python slicing rules)."""
    return s[a:b]


@prim("zfill", _s("s"), Param("width", "int"))
def zfill(s: str, width: int) -> str:
    """s padded on the left with zeros to the given width (`zfill("7", 3)` is "007")."""
    return s.zfill(width)


@prim("basename", _s("path"))
def basename(path: str) -> str:
    """The last component of a path."""
    return os.path.basename(path.rstrip("/")) if path.rstrip("/") else path


@prim("dirname", _s("path"))
def dirname(path: str) -> str:
    """The path without its last component."""
    return os.path.dirname(path)


def _split_ext(name: str) -> tuple[str, str]:
    lower = name.lower()
    for double in (".nii.gz", ".tar.gz"):
        if lower.endswith(double) and len(name) > len(double):
            return name[: -len(double)], name[-len(double) :]
    return os.path.splitext(name)


@prim("stem", _s("path"))
def stem(path: str) -> str:
    """The file name without directory and extension (`.nii.gz` counts as one extension)."""
    return _split_ext(os.path.basename(path))[0]


@prim("extension", _s("path"))
def extension(path: str) -> str:
    """The extension of the file name, with its dot (".nii.gz", ".png"), or ""."""
    return _split_ext(os.path.basename(path))[1]


@prim("path_join", _s("first"), variadic=_s("parts"))
def path_join(first: str, *parts: str) -> str:
    """Paths joined with the separator (`path_join($dir, "data", "x.nii.gz")`)."""
    return os.path.join(first, *parts)
