"""How the command modules print: human sizes, times, short ids and aligned tables."""

from __future__ import annotations

import time

import typer


def human_size(n: int | None) -> str:
    """`1.5M`-style sizes (powers of 1024), `-` for unknown."""
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "K", "M", "G", "T"):
        if size < 1024 or unit == "T":
            return f"{int(size)}{unit}" if unit == "B" else f"{size:.1f}{unit}"
        size /= 1024
    return f"{n}B"  # pragma: no cover


def when(t: float | None) -> str:
    """A local time to the second, `-` for none."""
    return "-" if t is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def short(ident: str | None, n: int = 12) -> str:
    """An id shortened as everywhere in voxcas (`voxcas.ids.short`), `-` for none."""
    from voxcas.ids import short as shorten

    return "-" if ident is None else shorten(ident, n)


def table(rows: list[list[str]]) -> None:
    """Print rows as left-aligned columns separated by two spaces."""
    if not rows:
        return
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
