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
    # the position inside an imported or prelude function this use of the user's line led to
    # (`voxcas.lang.reducer`: errors name the user's call first, the function's line second)
    inner: Span | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}"
        return where if self.inner is None else f"{where} (in {self.inner})"

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "end_line": self.end_line,
            "end_col": self.end_col,
        }
        if self.inner is not None:
            data["inner"] = self.inner.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Span:
        return cls(
            str(data["path"]),
            int(data["line"]),  # type: ignore[call-overload]
            int(data["col"]),  # type: ignore[call-overload]
            int(data["end_line"]),  # type: ignore[call-overload]
            int(data["end_col"]),  # type: ignore[call-overload]
            cls.from_json(data["inner"]) if isinstance(data.get("inner"), dict) else None,  # type: ignore[arg-type]
        )
