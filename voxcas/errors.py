"""The one exception tree of voxcas.

Every error the library raises on purpose is a `VoxcasError`. The shells translate them once:
the CLI (`voxcas.cli`) prints `str(error)` on one line (source errors add the source line and a
caret) and exits with `error.exit_code`; the HTTP app (`voxcas.server`) answers with
`error.http_status`. Where an error resembles a builtin one it also subclasses it
(`ObjectNotFoundError` is a `KeyError`), so plain Python callers can catch what they expect.

    VoxcasError
    ├── UsageError                      bad command-line / API input (exit 2, HTTP 400)
    │   └── PlanTooLargeError           a plan over the node limit (--max-nodes; HTTP 422)
    ├── AccessDeniedError (PermissionError)  a program asks for a file outside the allowed roots (HTTP 403)
    ├── SourceError                     a problem at a position in a program (exit 2)
    │   ├── VoxSyntaxError              lexing / parsing
    │   └── ResolutionError             unknown name, arity, recursion, import cycle, ...
    ├── PrimitiveError                  a primitive refused its arguments or failed (exit 1)
    ├── InputFileError (OSError)        a file a program reads is missing or unreadable (exit 1)
    ├── RemoteError                     a peer (vox push/pull) is unreachable or refused a request (exit 1)
    ├── ExecutionError                  a run finished with failed nodes (exit 1)
    │   └── RunCancelled                Ctrl-C / API cancel (exit 130)
    └── StoreError                      (exit 1)
        ├── StoreNotFoundError (FileNotFoundError)
        ├── SchemaVersionError          store written by a newer voxcas
        ├── ObjectNotFoundError (KeyError)      (HTTP 404)
        ├── AmbiguousPrefixError (LookupError)  (HTTP 400)
        ├── CorruptObjectError (ValueError)     digest mismatch, undecodable bytes (HTTP 500)
        ├── EncodingError (TypeError)           a value that cannot be stored
        └── BundleError (ValueError)            truncated, tampered or foreign bundle
"""

from __future__ import annotations

from voxcas.span import Span


class VoxcasError(Exception):
    """Base of every error voxcas raises on purpose."""

    exit_code: int = 1
    http_status: int = 500

    @property
    def message(self) -> str:
        return str(self)


class UsageError(VoxcasError):
    """The caller asked for something malformed (an unknown option value, a bad id, ...)."""

    exit_code = 2
    http_status = 400


class PlanTooLargeError(UsageError):
    """A program whose plan has more nodes than the limit (`--max-nodes`); nothing was run."""

    http_status = 422


class AccessDeniedError(VoxcasError, PermissionError):
    """A file access the run's policy does not allow (`voxcas.access`): e.g. a program submitted
    over HTTP, or run with `vox run --data-root`, reads outside the data roots. Before anything
    runs it is a refused program (exit 2); while running, the node that tried fails."""

    exit_code = 2
    http_status = 403


class SourceError(VoxcasError):
    """An error at a position in a program: `path:line:col: error: message`.

    `render()` adds the offending source line and a caret under the column, as compilers do.
    """

    exit_code = 2
    http_status = 400

    def __init__(self, message: str, span: Span | None, source_line: str | None = None) -> None:
        self.bare_message = message
        self.span = span
        self.source_line = source_line
        super().__init__(self._headline())

    def _headline(self) -> str:
        if self.span is None:
            return f"error: {self.bare_message}"
        return f"{self.span}: error: {self.bare_message}"

    def render(self) -> str:
        """The headline, then the source line and a caret (when the line is known)."""
        if self.span is None or self.source_line is None:
            return self._headline()
        line = self.source_line.rstrip("\n").expandtabs(1)
        caret = " " * (self.span.col - 1) + "^"
        return f"{self._headline()}\n    {line}\n    {caret}"


class VoxSyntaxError(SourceError):
    """The program text does not follow the grammar."""


class ResolutionError(SourceError):
    """A well-formed program that cannot be reduced: unknown names, arity, recursion, cycles."""


class PrimitiveError(VoxcasError):
    """A primitive refused its arguments or failed while computing.

    `primitive` is the qualified name; `argument` the parameter name when one is to blame.
    The executor adds the node and source position when it reports the failure.
    """

    def __init__(self, primitive: str, message: str, argument: str | None = None) -> None:
        self.primitive = primitive
        self.argument = argument
        where = f"{primitive}: argument '{argument}'" if argument else primitive
        super().__init__(f"{where}: {message}")


class InputFileError(VoxcasError, OSError):
    """A file that a program or command reads is missing, unreadable or corrupt."""


class ProgramFileError(InputFileError):
    """A program file (or a file it imports) is missing or unreadable: a wrong program, exit 2."""

    exit_code = 2
    http_status = 400


class RemoteError(VoxcasError):
    """A peer server could not be reached, or answered a push/pull request with an error.

    `status` is the peer's HTTP status (None when it could not be reached)."""

    http_status = 502

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class ExecutionError(VoxcasError):
    """A run ended with failures; the message summarises them."""


class RunCancelled(ExecutionError):
    """A run was interrupted (Ctrl-C, or cancelled through the API); finished work was kept."""

    exit_code = 130


class StoreError(VoxcasError):
    """Something is wrong with the store or a bundle."""


class StoreNotFoundError(StoreError, FileNotFoundError):
    """No store where one was asked for (or found by walking up)."""


class SchemaVersionError(StoreError):
    """The store was written by a newer voxcas than this one."""


class ObjectNotFoundError(StoreError, KeyError):
    """No object, node, run or ref with that id."""

    http_status = 404

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "not found"


class AddressError(UsageError, LookupError):
    """An address (`RUN:NAME`, `latest~N`) that is malformed or names no run or value (exit 2)."""

    http_status = 404


class AmbiguousPrefixError(StoreError, LookupError):
    """An abbreviated id matches more than one thing."""

    http_status = 400


class CorruptObjectError(StoreError, ValueError):
    """Stored bytes do not match their digest, or cannot be decoded."""


class EncodingError(StoreError, TypeError):
    """A value of a kind the store cannot encode."""

    http_status = 400


class BundleError(StoreError, ValueError):
    """A bundle is truncated, tampered with, or not a voxcas bundle; nothing was imported."""

    http_status = 400
