"""Fill user-written templates (`format_string`, save file names) with only numbered fields.

A template is Python's `str.format` syntax restricted to what the docs show: literal text,
fields `{}` or `{N}` (a field number), an optional conversion (`!r`, `!s`, `!a`) and a format
spec without nested fields (`{:03d}`, `{1:.2f}`). Anything else — attribute access
(`{0.__class__}`), indexing (`{0[1]}`), named fields, nested specs — is refused with a
`ValueError` naming the field, before any value is formatted: a template written by whoever
submits a program must not reach into Python objects (`{0.__truediv__.__doc__[11]}` is a `/`).
Widths and precisions are at most `MAX_FIELD_WIDTH`: `{:>1000000000}` would build a 1 GB string
in one call, before anything could stop it.
"""

from __future__ import annotations

import re
import string
from typing import Any

_FORMATTER = string.Formatter()
_NUMBERS = re.compile(r"\d+")
MAX_FIELD_WIDTH = 10_000


def check_template(template: str) -> None:
    """Raise `ValueError` naming the first part of `template` that is not a plain numbered field."""
    try:
        parts = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise ValueError(f"{exc}") from None
    for _literal, field, spec, _conversion in parts:
        if field is None:
            continue
        if field != "" and not field.isdigit():
            raise ValueError(
                f"field {{{field}}} is not allowed: use {{}} or a field number such as {{0}} "
                "(no names, attributes or indexing)"
            )
        if spec and ("{" in spec or "}" in spec):
            raise ValueError(f"nested fields in the format spec {spec!r} are not allowed")
        if spec and any(int(n) > MAX_FIELD_WIDTH for n in _NUMBERS.findall(spec)):
            raise ValueError(
                f"the format spec {spec!r} asks for more than {MAX_FIELD_WIDTH} characters "
                "(widths and precisions are at most that)"
            )


def fill(template: str, *values: Any) -> str:
    """`template.format(*values)` once `check_template` has accepted it (errors are `ValueError`)."""
    check_template(template)
    try:
        return template.format(*values)
    except (IndexError, KeyError) as exc:
        raise ValueError(f"no value for field {exc}") from None
