"""Which results are worth keeping: the retention policy of `vox gc --keep goals`, `--max-size`
and `vox run --keep goals`.

Every result records what it cost to compute (`results.seconds`, the node's own compute time
measured by the executor) and what it costs to keep (`results.bytes`, the stored bytes of its
object and of the items it reaches). Their ratio, **seconds saved per stored byte**, is what
keeping the result is worth: a 36 MB volume loaded from a file in 0.2 s saves little per byte, a
mask dilated for 3 s that compresses to 400 KB saves a lot, a number that took a millisecond saves
more than either (it is a few dozen bytes).

- `keep="all"` (the default): every result of a kept run is kept, as before this policy existed.
- `keep="goals"`: of the results of kept runs, keep the goals and every result saving at least
  `min_saving` seconds per byte (`DEFAULT_MIN_SAVING`: 60 s per GiB); drop the others, which are
  large and cheap to recompute. A re-run recomputes the dropped ones it needs, no others.
- `max_size`: evict in order of least seconds saved per byte (the oldest first among equals)
  until the kept objects fit; the goals of kept runs are never evicted unless `force`.

This module holds the policy's vocabulary and parsing; `voxcas.store.gc` applies it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from voxcas.errors import UsageError

KEEP_CHOICES = ("all", "goals")
GIB = float(1 << 30)
DEFAULT_MIN_SAVING_TEXT = "60s/G"
DEFAULT_MIN_SAVING = 60.0 / GIB  # seconds saved per stored byte

_TIME = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_BYTES = {"": 1.0, "b": 1.0, "k": float(1 << 10), "m": float(1 << 20), "g": GIB, "t": float(1 << 40)}


@dataclass(frozen=True, slots=True)
class Dropped:
    """A result of a kept run that the retention policy (or the size cap) let go."""

    node: str
    op: str | None
    label: str | None
    seconds: float
    bytes: int | None


@dataclass(frozen=True, slots=True)
class Retention:
    """What gc keeps of the results of kept runs (see the module docstring)."""

    keep: str = "all"  # all | goals
    min_saving: float = DEFAULT_MIN_SAVING  # seconds per stored byte, for keep="goals"
    force: bool = False  # --max-size may evict the goals of kept runs too

    def __post_init__(self) -> None:
        check_keep(self.keep)
        if not self.min_saving >= 0:
            raise UsageError(f"--min-saving must be 0 or more, not {self.min_saving}")


def check_keep(keep: str) -> str:
    """`all` or `goals`, else a usage error naming the choices."""
    if keep not in KEEP_CHOICES:
        raise UsageError(f"invalid --keep '{keep}': use one of {', '.join(KEEP_CHOICES)}")
    return keep


def parse_saving(text: str) -> float:
    """`60s/G`, `1s/100M`, `500ms/1G`, `2m/G` (seconds saved per stored size) → seconds per byte."""
    match = re.fullmatch(
        r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*/\s*(\d+(?:\.\d+)?)?\s*([bkmgt]?)(?:i?b)?\s*",
        text.lower(),
    )
    if not match:
        raise UsageError(
            f"invalid saving '{text}': use seconds per size, e.g. {DEFAULT_MIN_SAVING_TEXT} or 1s/100M"
        )
    seconds = float(match.group(1)) * _TIME[match.group(2) or "s"]
    size = float(match.group(3) or 1) * _BYTES[match.group(4)]
    if size <= 0:
        raise UsageError(f"invalid saving '{text}': the size must be more than 0")
    return seconds / size


def worth(seconds: float, stored_bytes: int | None) -> float:
    """Seconds saved per stored byte by keeping a result (an empty or unknown size counts as 1 byte)."""
    return seconds / max(stored_bytes or 1, 1)


def describe_saving(per_byte: float) -> str:
    """A threshold as a person reads it: seconds per GiB."""
    return f"{per_byte * GIB:g}s/G"
