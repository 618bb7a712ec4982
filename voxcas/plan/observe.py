"""What a reduction read from the file system, recorded so a cached reduction can be re-validated.

The reducer's result depends on the program text, the code of voxcas, the working directory, and
the files and directories it looks at: imported programs, the inputs it fingerprints, the
listings `dir` folds into constants, the existence and kind of paths. Every place in the front-end
that looks at the file system calls `observe(path)` (or `observe_tree` for a listing). While a
`recording()` is active in the current context, each call records an `Observation`: the absolute
path, its `FileState` stamp (kind, size, mtime, ctime, inode, device: `voxcas.plan.filestate`),
and — only when that state is *racy* (written within the last timestamp tick or so, so that a
further write could leave the stat as it is) — a *proof*: the content digest of a file, or the
digest of a directory's sorted entry names. Outside a recording the calls cost one context
variable read.

A reduction also depends on the primitives it resolves: `observe_primitive(name, version)` records
each one's version (`versions_unchanged` re-checks the versions of primitives whose code is not
part of voxcas itself — a plugin, a namespace added at run time — against the registry).

`unchanged(observations)` re-stats every recorded path: True only if each state is exactly as it
was and every proof still holds (racy paths are re-read, not trusted on their stat). A change to
any input, a file added to or removed from a listed directory, a file appearing where one was
missing, or a symlink retargeted invalidates the cached reduction.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from voxcas.plan.filestate import FileState, state_of

Observation = tuple[str, str, str | None]  # (absolute path, state stamp, proof or None)

class Observations(list[Observation]):
    """What one reduction observed: the paths (the list) and the primitives' versions."""

    def __init__(self) -> None:
        super().__init__()
        self.primitives: dict[str, str] = {}


class _Record:
    __slots__ = ("paths", "primitives")

    def __init__(self, primitives: dict[str, str]) -> None:
        self.paths: dict[tuple[str, str], str | None] = {}
        self.primitives = primitives


_recording: ContextVar[_Record | None] = ContextVar("voxcas_fs_observations", default=None)

CHUNK = 1 << 20


def content_digest(path: str) -> str:
    """`sha256:<hex>` of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def listing_digest(path: str) -> str:
    """`sha256:<hex>` of a directory's sorted entry names (what a listing of it depends on)."""
    names = sorted(os.listdir(path))
    return "sha256:" + hashlib.sha256("\0".join(names).encode("utf-8", "surrogateescape")).hexdigest()


def proof_of(path: str, state: FileState) -> str | None:
    """What re-validating a racy state must re-read: the content (file) or the names (dir)."""
    try:
        if state.kind == "file":
            return content_digest(path)
        if state.kind == "dir":
            return listing_digest(path)
    except OSError:
        return "unreadable"
    return None


def observe(path: str | os.PathLike[str], state: FileState | None = None, proof: str | None = None) -> None:
    """Record that the reduction looked at `path` (no-op outside a recording).

    `state` is the path's state if the caller has just taken it, `proof` the content digest it
    computed from the bytes of that state (saves reading a racy file twice)."""
    recorder = _recording.get()
    if recorder is None:
        return
    record = recorder.paths
    full = os.path.abspath(os.fspath(path))
    state = state if state is not None else state_of(full)
    key = (full, state.stamp)
    if key in record and (record[key] is not None or not state.racy):
        return
    if state.racy:
        record[key] = proof if proof is not None else proof_of(full, state)
    else:
        record[key] = None


def observe_tree(root: str | os.PathLike[str], recursive: bool) -> None:
    """Record a directory listing: the directory itself and, if `recursive`, every directory below."""
    if _recording.get() is None:
        return
    top = os.fspath(root)
    observe(top)
    if recursive and os.path.isdir(top):
        for current, dirs, _files in os.walk(top):
            for name in dirs:
                observe(os.path.join(current, name))


def observe_primitive(qualified: str, version: str) -> None:
    """Record that the reduction resolved this primitive at this version."""
    recorder = _recording.get()
    if recorder is not None:
        recorder.primitives[qualified] = version


@contextmanager
def recording() -> Iterator[Observations]:
    """Collect observations made in this context (and in threads started with a copy of it).

    The list is filled when the context ends."""
    observations = Observations()
    recorder = _Record(observations.primitives)
    token = _recording.set(recorder)
    try:
        yield observations
    finally:
        _recording.reset(token)
        observations.extend((path, stamp, proof) for (path, stamp), proof in recorder.paths.items())


def still_holds(path: str, stamp: str, proof: str | None) -> bool:
    """Whether one observation still holds: same state, and (for a racy one) same content."""
    state = state_of(path)
    if state.stamp != stamp:
        return False
    return proof is None or proof_of(path, state) == proof


def unchanged(observations: Iterable[Observation]) -> bool:
    """Whether every observed path is still exactly as recorded."""
    return all(still_holds(path, stamp, proof) for path, stamp, proof in observations)
