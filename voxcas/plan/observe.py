"""What a reduction read from the file system, recorded so a cached reduction can be re-validated.

The reducer's result depends on the program text, the code of voxcas, the working directory, and
the files and directories it looks at: imported programs, the inputs it fingerprints, the
listings `dir` folds into constants, the existence and kind of paths. Every place in the front-end
that looks at the file system calls `observe(path)` (or `observe_tree` for a listing). While a
`recording()` is active in the current context, each call appends an `Observation`: the absolute
path, its kind (file, dir or missing), its size and its modification time in nanoseconds — the
same (size, mtime) test the fingerprint cache and make-like tools use. Outside a recording the
calls cost one context-variable read.

`unchanged(observations)` re-stats every recorded path: True only if each is exactly as it was, so
a change to any input, a file added to or removed from a listed directory (its mtime changes), or
a file appearing where one was missing invalidates the cached reduction.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Observation = tuple[str, str, int, int]  # (absolute path, "file" | "dir" | "missing", size, mtime_ns)

_recording: ContextVar[list[Observation] | None] = ContextVar("voxcas_fs_observations", default=None)


def look(path: str) -> Observation:
    """The current state of a path, in the form observations are recorded."""
    full = os.path.abspath(path)
    try:
        st = os.stat(full)
    except (FileNotFoundError, NotADirectoryError):
        return (full, "missing", 0, 0)
    except OSError:  # unreadable: record as missing-like but distinct
        return (full, "unreadable", 0, 0)
    if stat.S_ISDIR(st.st_mode):
        return (full, "dir", 0, st.st_mtime_ns)
    return (full, "file", st.st_size, st.st_mtime_ns)


def observe(path: str | os.PathLike[str]) -> None:
    """Record that the reduction looked at `path` (no-op outside a recording)."""
    record = _recording.get()
    if record is not None:
        record.append(look(os.fspath(path)))


def observe_tree(root: str | os.PathLike[str], recursive: bool) -> None:
    """Record a directory listing: the directory itself and, if `recursive`, every directory below."""
    record = _recording.get()
    if record is None:
        return
    top = os.fspath(root)
    record.append(look(top))
    if recursive and os.path.isdir(top):
        for current, dirs, _files in os.walk(top):
            for name in dirs:
                record.append(look(os.path.join(current, name)))


@contextmanager
def recording() -> Iterator[list[Observation]]:
    """Collect observations made in this context (and in threads started with a copy of it)."""
    observations: list[Observation] = []
    token = _recording.set(observations)
    try:
        yield observations
    finally:
        _recording.reset(token)


def unchanged(observations: Iterable[Observation]) -> bool:
    """Whether every observed path is still exactly as recorded."""
    return all(look(path) == (path, kind, size, mtime) for path, kind, size, mtime in observations)
