"""File fingerprints for primitives that read files (language.md §5).

A fingerprint is `sha256:<hex>` of what a primitive reads: the content of a file (a symlink's
target), or for a directory the sorted list of (relative path, content fingerprint) of every file
below it; an image header whose voxels live in other files (`.mhd` + `.raw`, detached NRRD:
`voxcas.plan.companions`) also covers those files' contents. It is part of the node id of the
reading application, so editing an input recomputes exactly what depends on it.

Hashing a large image on every `vox run` would be slow, so fingerprints of files are cached by
(absolute path, `FileState` stamp: size, mtime, ctime, inode, device) through a
`FingerprintCache`: the store implements it persistently; `MemoryFingerprintCache` serves tests,
workers and store-less commands (`vox plan`). A file whose state changed is re-hashed. A racy
state (`voxcas.plan.filestate`) is never cached, and a file whose state changes while it is being
hashed is hashed again, so a fingerprint is always the digest of bytes the file held while its
stat was the one recorded.

`verify_inputs` is the run-time half: just before and just after a file-reading primitive runs,
the fingerprint of what it reads is taken again and compared with the one in its node id, so a
file replaced between reduction and reading (or during the read) fails the node instead of
binding the new content's value to the old content's id.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Any, Protocol

from voxcas.plan.companions import data_files
from voxcas.plan.filestate import state_of
from voxcas.plan.observe import content_digest, observe
from voxcas.primitives.registry import Primitive

HASH_ATTEMPTS = 3  # re-hash a file that changes while it is read at most this often


class FingerprintCache(Protocol):
    """Where fingerprints of files are remembered (the Store implements these two methods)."""

    def cached_fingerprint(self, path: str, stamp: str) -> str | None: ...

    def remember_fingerprint(self, path: str, stamp: str, fingerprint: str) -> None: ...


class MemoryFingerprintCache:
    """A process-local `FingerprintCache`."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], str] = {}

    def cached_fingerprint(self, path: str, stamp: str) -> str | None:
        return self._entries.get((path, stamp))

    def remember_fingerprint(self, path: str, stamp: str, fingerprint: str) -> None:
        self._entries[(path, stamp)] = fingerprint


class RehashingCache:
    """A cache that answers nothing (every input is hashed again) and remembers into `inner`:
    `vox run --rehash`."""

    def __init__(self, inner: FingerprintCache) -> None:
        self.inner = inner

    def cached_fingerprint(self, path: str, stamp: str) -> str | None:
        return None

    def remember_fingerprint(self, path: str, stamp: str, fingerprint: str) -> None:
        self.inner.remember_fingerprint(path, stamp, fingerprint)


_PROCESS_CACHE = MemoryFingerprintCache()


class LayeredCache:
    """Answers from `base` (e.g. the store) or the process-local cache; remembers only in the
    process-local one (a task re-checking its inputs never writes to the store)."""

    def __init__(self, base: FingerprintCache) -> None:
        self.base = base

    def cached_fingerprint(self, path: str, stamp: str) -> str | None:
        return self.base.cached_fingerprint(path, stamp) or _PROCESS_CACHE.cached_fingerprint(path, stamp)

    def remember_fingerprint(self, path: str, stamp: str, fingerprint: str) -> None:
        _PROCESS_CACHE.remember_fingerprint(path, stamp, fingerprint)


def process_cache() -> FingerprintCache:
    """The process-local cache (used where no store is at hand: workers, `vox plan`)."""
    return _PROCESS_CACHE


class InputChangedError(OSError):
    """A file kept changing while it was being hashed."""


def file_fingerprint(path: str, cache: FingerprintCache | None = None) -> str:
    """The fingerprint of a file or directory (FileNotFoundError if it does not exist).

    An image header that keeps its voxels in other files (`voxcas.plan.companions`: `.mhd` with
    its `.raw`, a detached NRRD) has a fingerprint covering those files' contents too."""
    cache = _PROCESS_CACHE if cache is None else cache
    full = os.path.abspath(path)
    if os.path.isdir(full):
        from voxcas.access import current as current_policy

        policy = current_policy()
        observe(full)
        h = hashlib.sha256(b"voxcas-dir/1\n")
        for current, dirs, files in os.walk(full):
            dirs.sort()
            observe(current)
            for name in sorted(files):
                member = os.path.join(current, name)
                if policy.read_roots is not None:
                    member = policy.check_read(member, "fingerprint")
                rel = os.path.relpath(member, full).replace(os.sep, "/")
                h.update(f"{rel}\0{file_fingerprint(member, cache)}\n".encode())
        return "sha256:" + h.hexdigest()
    own = content_fingerprint(full, path, cache)
    companions = [c for c in data_files(full) if c != full]
    if not companions:
        return own
    folder = os.path.dirname(full)
    h = hashlib.sha256(f"voxcas-header/1\n{own}\n".encode())
    for companion in companions:
        rel = os.path.relpath(companion, folder).replace(os.sep, "/")
        named = os.path.join(os.path.dirname(path), rel)  # as the caller would name it
        h.update(f"{rel}\0{content_fingerprint(companion, named, cache)}\n".encode())
    return "sha256:" + h.hexdigest()


def content_fingerprint(full: str, path: str, cache: FingerprintCache) -> str:
    """The digest of one file's bytes (`full` its absolute path, `path` as the caller named it),
    from `cache` while its state is unchanged and not racy."""
    for _ in range(HASH_ATTEMPTS):
        before = state_of(full)
        if before.kind == "missing":
            observe(full, before)
            raise FileNotFoundError(2, "No such file or directory", path)
        cached = None if before.racy else cache.cached_fingerprint(full, before.stamp)
        if cached is not None:
            observe(full, before)
            return cached
        fingerprint = content_digest(full)
        after = state_of(full)
        if after.same_as(before):
            if not before.racy:
                cache.remember_fingerprint(full, before.stamp, fingerprint)
            observe(full, before, fingerprint)
            return fingerprint
    raise InputChangedError(f"'{path}' kept changing while it was being read")


class FileArgumentProblem(Exception):
    """A file-reading application whose constant arguments cannot work (missing file, wrong kind).

    The reducer reports it as a `ResolutionError` at the call; `instantiate` as an `InputFileError`."""


def paths_known(prim: Primitive, known: Sequence[bool]) -> bool:
    """Whether every path argument given to `prim` is a constant."""
    return all(known[i] for i in prim.path_params if i < len(known))


def check_file_arguments(prim: Primitive, values: Sequence[Any], known: Sequence[bool]) -> None:
    """Check the constant arguments of a file reader: kinds (when all are known), then that each
    path exists. Raises `FileArgumentProblem` with the message to show."""
    from voxcas.errors import PrimitiveError
    from voxcas.values import kind_of

    if all(known):
        try:
            prim.bind(list(values))
        except PrimitiveError as exc:
            raise FileArgumentProblem(str(exc)) from None
    for i in prim.path_params:
        if i >= len(values) or not known[i]:
            continue
        path = values[i]
        if not isinstance(path, str):
            name = prim.params[i].name if i < len(prim.params) else str(i)
            raise FileArgumentProblem(
                f"{prim.qualified}: argument '{name}': expected a path string, got {kind_of(path)}"
            )
        observe(path)
        if not os.path.exists(path):
            raise FileArgumentProblem(f"'{prim.name}' cannot read '{path}': no such file or directory")


def read_fingerprint(
    prim: Primitive, values: Sequence[Any], known: Sequence[bool], cache: FingerprintCache | None
) -> str | None:
    """The fingerprint of an application whose paths are known (None while they are not, or
    while a primitive with its own fingerprint function lacks some argument)."""
    if not paths_known(prim, known) or (prim.fingerprint is not None and not all(known)):
        return None
    from voxcas.errors import VoxcasError

    try:
        return primitive_fingerprint(prim, values, cache)
    except VoxcasError:  # a deliberate refusal (e.g. a path outside the server's data roots) stays as it is
        raise
    except FileNotFoundError as exc:
        raise FileArgumentProblem(f"'{prim.name}' cannot read '{exc.filename}': no such file") from None
    except Exception as exc:  # an unreadable file, a directory that vanished, ...
        raise FileArgumentProblem(f"'{prim.name}' cannot fingerprint its input: {exc}") from None


def primitive_fingerprint(prim: Primitive, args: Sequence[Any], cache: FingerprintCache | None = None) -> str:
    """What an application of a file-reading primitive reads, given its (constant) arguments.

    The primitive's own `fingerprint` function when it declares one (e.g. `dir`: its listing),
    otherwise the fingerprints of the files named by its `path_params`."""
    if prim.fingerprint is not None:
        return prim.fingerprint(list(args))
    from voxcas.access import current

    policy = current()  # what the run may read: the fingerprint reads the same resolved files
    parts = [
        file_fingerprint(policy.check_read(str(args[i]), prim.qualified), cache)
        for i in prim.path_params
        if i < len(args)
    ]
    if len(parts) == 1:
        return parts[0]
    return "sha256:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def verify_inputs(
    prim: Primitive, args: Sequence[Any], expected: str, cache: FingerprintCache | None
) -> None:
    """Check, as a file-reading primitive is about to read (and again once it has read), that what
    it reads still has the fingerprint its node id was made with; an `InputFileError` otherwise.

    `args` are the primitive's own arguments (without the base image). A file replaced after
    the program was reduced, or while the primitive read it, would otherwise bind the new
    content's value to the old content's node id, for good."""
    from voxcas.errors import InputFileError

    paths = [str(args[i]) for i in prim.path_params if i < len(args)]
    shown = ", ".join(f"'{p}'" for p in paths) or "its input"
    try:
        now = primitive_fingerprint(prim, args, cache)
    except FileNotFoundError as exc:
        raise InputFileError(
            f"'{exc.filename}' vanished while the run was using it; run again"
        ) from None
    except OSError as exc:
        raise InputFileError(f"cannot re-check {shown}: {exc}") from None
    if now != expected:
        raise InputFileError(
            f"{shown} changed while the run was using it; "
            "run again to compute with the new content"
        )
