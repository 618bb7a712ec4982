"""The lexer: program text to tokens (language.md §1).

One compiled regular expression splits the text; each token records its kind, text, decoded
value and 1-based line/column. Errors are
`VoxSyntaxError`s pointing at the offending character.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from voxcas.errors import VoxSyntaxError
from voxcas.span import Span

KEYWORDS = frozenset(
    {"let", "in", "for", "do", "filter", "fold", "print", "save", "import", "load", "true", "false"}
)
OP_CHARS = "!#%&*+-./:<=>?@\\^|~"
_OPC = re.escape(OP_CHARS)
_EXP = r"(?:[eE][+-]?\d+)?"
# One alternative per token kind, no groups: `findall` returns every piece of the text in order
# (the last alternative catches any other character, reported as an error), so a token's
# position is the running sum of the lengths before it and its kind follows from its first
# character. This is several times faster than `finditer` with named groups.
_TOKEN = re.compile(
    rf"""
    [ \t\r\n\f\v]+
  | //[^\n]*
  | \d+(?:\.\d+|\.(?![{_OPC}0-9]))?{_EXP}(?![A-Za-z_0-9])
  | \.\d+{_EXP}(?![A-Za-z_0-9])
  | "(?:[^"\\\n]|\\[^\n])*"
  | [A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?
  | \$[A-Za-z_][A-Za-z0-9_]*
  | (?:(?!//)[{_OPC}])+
  | [()\[\],]
  | (?s:.)
    """,
    re.VERBOSE,
)
_WS = frozenset(" \t\r\n\f\v")
_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_DIGITS = frozenset("0123456789")
_OPS = frozenset(OP_CHARS)
_PUNCT = frozenset("()[],")


@dataclass(slots=True)
class Token:
    kind: str  # num str ident var op kw punct eof
    text: str
    value: object
    line: int
    col: int
    pos: int

    def span(self, path: str) -> Span:
        return Span(path, self.line, self.col, self.line, self.col + max(1, len(self.text)))


def _line_of(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start:] if end < 0 else text[start:end]


# longest integer literal: far beyond any real constant, well inside Python's int/str limit (4300)
MAX_INT_DIGITS = 1000


def syntax_error(text: str, path: str, pos: int, line: int, col: int, message: str) -> VoxSyntaxError:
    return VoxSyntaxError(message, Span(path, line, col, line, col + 1), _line_of(text, pos))


def tokenize(text: str, path: str = "<string>") -> list[Token]:
    """The tokens of `text`, ending with an `eof` token."""
    tokens: list[Token] = []
    append = tokens.append
    pos = 0
    line = 1
    line_start = 0
    for piece in _TOKEN.findall(text):
        first = piece[0]
        if first in _WS:
            if "\n" in piece:
                line += piece.count("\n")
                line_start = pos + piece.rfind("\n") + 1
        elif first in _IDENT_START:
            append(
                Token("kw" if piece in KEYWORDS else "ident", piece, piece, line, pos - line_start + 1, pos)
            )
        elif first in _DIGITS or (first == "." and len(piece) > 1 and piece[1] in _DIGITS):
            if piece.isdigit() and len(piece) > MAX_INT_DIGITS:
                raise syntax_error(
                    text,
                    path,
                    pos,
                    line,
                    pos - line_start + 1,
                    f"integer literal of {len(piece)} digits: at most {MAX_INT_DIGITS} are allowed",
                )
            value = int(piece) if piece.isdigit() else float(piece)
            append(Token("num", piece, value, line, pos - line_start + 1, pos))
        elif first in _OPS:
            if piece[:2] != "//":
                append(Token("op", piece, piece, line, pos - line_start + 1, pos))
        elif first in _PUNCT:
            append(Token("punct", piece, piece, line, pos - line_start + 1, pos))
        elif first == '"' and len(piece) > 1:
            try:
                decoded = json.loads(piece)
            except ValueError:
                raise syntax_error(
                    text, path, pos, line, pos - line_start + 1, f"invalid escape in string {piece}"
                ) from None
            append(Token("str", piece, decoded, line, pos - line_start + 1, pos))
        elif first == "$" and len(piece) > 1:
            append(Token("var", piece, piece[1:], line, pos - line_start + 1, pos))
        else:
            col = pos - line_start + 1
            if first == '"':
                raise syntax_error(text, path, pos, line, col, "unterminated string")
            if first == "$":
                raise syntax_error(text, path, pos, line, col, "'$' must be followed by a variable name")
            raise syntax_error(text, path, pos, line, col, f"unexpected character {first!r}")
        pos += len(piece)
    if tokens:  # end of file is reported just after the last token, not on a trailing empty line
        last = tokens[-1]
        append(Token("eof", "", None, last.line, last.col + len(last.text), last.pos + len(last.text)))
    else:
        append(Token("eof", "", None, line, pos - line_start + 1, pos))
    return tokens
