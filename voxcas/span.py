"""Source positions: where in a program file a piece of syntax (and the node made from it) came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A range in a source file. Lines and columns are 1-based; `end_*` is exclusive."""

    path: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "end_line": self.end_line,
            "end_col": self.end_col,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Span:
        return cls(
            str(data["path"]),
            int(data["line"]),  # type: ignore[call-overload]
            int(data["col"]),  # type: ignore[call-overload]
            int(data["end_line"]),  # type: ignore[call-overload]
            int(data["end_col"]),  # type: ignore[call-overload]
        )
