"""Program files as the reducer sees them: program variables and the cache of parsed preludes."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from voxcas.lang import ast as A

_PARSED: dict[tuple[str, str], tuple[str, A.Program]] = {}  # (absolute path, dialect) -> (stamp, program)


@dataclass(frozen=True, slots=True)
class FileCtx:
    """A program file: its absolute path, directory, program variables, and (for a prelude) namespace."""

    file: str
    directory: str
    variables: dict[str, str] = field(hash=False)
    namespace: str | None = None

    @classmethod
    def of(cls, path: str, *, namespace: str | None = None) -> FileCtx:
        """The context of a file on disk: `$file` its absolute path, `$dir` its directory,
        `$stem` its name without the `.imgql` extension."""
        full = os.path.abspath(path)
        name = os.path.basename(full)
        stem = name[: -len(".imgql")] if name.endswith(".imgql") else os.path.splitext(name)[0]
        directory = os.path.dirname(full)
        return cls(full, directory, {"file": full, "dir": directory, "stem": stem}, namespace)

    @classmethod
    def of_text(cls, path: str) -> FileCtx:
        """The context of program text not read from a file (`<string>`): `$dir` is the working directory."""
        if path.startswith("<"):
            cwd = os.getcwd()
            return cls(path, cwd, {"file": path, "dir": cwd, "stem": path.strip("<>")})
        return cls.of(path)


def read_source(path: str) -> str:
    from voxcas.errors import ProgramFileError
    from voxcas.plan.observe import observe

    observe(path)
    try:
        with open(path, encoding="utf-8-sig") as handle:  # a leading BOM is not program text
            return handle.read()
    except FileNotFoundError:
        raise ProgramFileError(f"no such program file '{path}'") from None
    except UnicodeDecodeError:
        raise ProgramFileError(f"program file '{path}' is not UTF-8 text") from None
    except OSError as exc:
        raise ProgramFileError(f"cannot read program file '{path}': {exc.strerror}") from None


def parse_cached(path: str, display: str | None = None, dialect: str = "voxlogica2") -> A.Program:
    """Parse a file once per state (size, times, inode: `voxcas.plan.filestate`): preludes and
    imported files are read once. A file in a racy state is parsed again every time. `dialect` is
    the grammar (`voxcas.lang.dialect`): a VoxLogicA 1 program's imports are VoxLogicA 1 files.

    `display` is the path errors show (an import's path as written, relative to the importing
    file's shown path), so messages do not depend on where the project is checked out."""
    from voxcas.lang.parser import parse_program
    from voxcas.lang.parser_vox1 import parse_vox1
    from voxcas.plan.filestate import state_of
    from voxcas.plan.observe import observe

    full = os.path.abspath(path)
    shown = display or full
    state = state_of(full)
    hit = _PARSED.get((full, dialect))
    if hit is not None and not state.racy and hit[0] == state.stamp and hit[1].path == shown:
        observe(full, state)  # a cached reduction must re-check it as if it had been read
        return hit[1]
    parse = parse_vox1 if dialect == "voxlogica1" else parse_program
    program = parse(read_source(full), shown)
    if not state.racy and state_of(full).same_as(state):
        _PARSED[(full, dialect)] = (state.stamp, program)
    return program
