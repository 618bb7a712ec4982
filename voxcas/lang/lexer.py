"""The lexer: program text to tokens (language.md §1).

One compiled regular expression scans the text; each token records its kind, text, decoded value
and 1-based line/column, so a 10,000-line program lexes in a few milliseconds. Errors are
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
_TOKEN = re.compile(
    rf"""
    (?P<ws>[ \t\r\n\f\v]+)
  | (?P<comment>//[^\n]*)
  | (?P<num>\d+(?:\.\d+|\.(?![{_OPC}0-9]))?{_EXP}(?![A-Za-z_0-9])|\.\d+{_EXP}(?![A-Za-z_0-9]))
  | (?P<str>"(?:[^"\\\n]|\\[^\n])*")
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)
  | (?P<var>\$[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>(?:(?!//)[{_OPC}])+)
  | (?P<punct>[()\[\],])
    """,
    re.VERBOSE,
)


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


def syntax_error(text: str, path: str, pos: int, line: int, col: int, message: str) -> VoxSyntaxError:
    return VoxSyntaxError(message, Span(path, line, col, line, col + 1), _line_of(text, pos))


def tokenize(text: str, path: str = "<string>") -> list[Token]:
    """The tokens of `text`, ending with an `eof` token."""
    tokens: list[Token] = []
    append = tokens.append
    match = _TOKEN.match
    pos = 0
    line = 1
    line_start = 0
    n = len(text)
    while pos < n:
        m = match(text, pos)
        if m is None:
            col = pos - line_start + 1
            ch = text[pos]
            if ch == '"':
                raise syntax_error(text, path, pos, line, col, "unterminated string")
            if ch == "$":
                raise syntax_error(text, path, pos, line, col, "'$' must be followed by a variable name")
            raise syntax_error(text, path, pos, line, col, f"unexpected character {ch!r}")
        kind = m.lastgroup
        tok_text = m.group()
        end = m.end()
        if kind == "ws":
            nl = tok_text.count("\n")
            if nl:
                line += nl
                line_start = text.rfind("\n", pos, end) + 1
        elif kind != "comment":
            col = pos - line_start + 1
            value: object = tok_text
            if kind == "num":
                value = int(tok_text) if tok_text.isdigit() else float(tok_text)
            elif kind == "str":
                try:
                    value = json.loads(tok_text)
                except ValueError:
                    raise syntax_error(
                        text, path, pos, line, col, f"invalid escape in string {tok_text}"
                    ) from None
            elif kind == "ident" and tok_text in KEYWORDS:
                kind = "kw"
            elif kind == "var":
                value = tok_text[1:]
            assert kind is not None
            append(Token(kind, tok_text, value, line, col, pos))
        pos = end
    if tokens:  # end of file is reported just after the last token, not on a trailing empty line
        last = tokens[-1]
        append(Token("eof", "", None, last.line, last.col + len(last.text), last.pos + len(last.text)))
    else:
        append(Token("eof", "", None, line, pos - line_start + 1, pos))
    return tokens
