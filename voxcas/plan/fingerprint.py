"""File fingerprints for primitives that read files (language.md §5).

A fingerprint is `sha256:<hex>` of what a primitive reads: the content of a file, or for a
directory the sorted list of (relative path, content fingerprint) of every file below it. It is
part of the node id of the reading application, so editing an input recomputes exactly what
depends on it.

Hashing a large image on every `vox run` would be slow, so fingerprints of files are cached by
(absolute path, size, mtime_ns) through a `FingerprintCache`: the store implements it
persistently; `MemoryFingerprintCache` serves tests and store-less commands (`vox plan`).
A file whose size or modification time changed is re-hashed; nothing else is ever written.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Any, Protocol

from voxcas.plan.observe import observe
from voxcas.primitives.registry import Primitive

CHUNK = 1 << 20


class FingerprintCache(Protocol):
    """Where fingerprints of files are remembered (the Store implements these two methods)."""

    def cached_fingerprint(self, path: str, size: int, mtime_ns: int) -> str | None: ...

    def remember_fingerprint(self, path: str, size: int, mtime_ns: int, fingerprint: str) -> None: ...


class MemoryFingerprintCache:
    """A process-local `FingerprintCache`."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, int, int], str] = {}

    def cached_fingerprint(self, path: str, size: int, mtime_ns: int) -> str | None:
        return self._entries.get((path, size, mtime_ns))

    def remember_fingerprint(self, path: str, size: int, mtime_ns: int, fingerprint: str) -> None:
        self._entries[(path, size, mtime_ns)] = fingerprint


_PROCESS_CACHE = MemoryFingerprintCache()


def _hash_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def file_fingerprint(path: str, cache: FingerprintCache | None = None) -> str:
    """The fingerprint of a file or directory (FileNotFoundError if it does not exist)."""
    cache = _PROCESS_CACHE if cache is None else cache
    full = os.path.abspath(path)
    observe(full)
    if os.path.isdir(full):
        h = hashlib.sha256(b"voxcas-dir/1\n")
        for current, dirs, files in os.walk(full):
            dirs.sort()
            observe(current)
            for name in sorted(files):
                member = os.path.join(current, name)
                rel = os.path.relpath(member, full).replace(os.sep, "/")
                h.update(f"{rel}\0{file_fingerprint(member, cache)}\n".encode())
        return "sha256:" + h.hexdigest()
    st = os.stat(full)
    cached = cache.cached_fingerprint(full, st.st_size, st.st_mtime_ns)
    if cached is not None:
        return cached
    fingerprint = _hash_file(full)
    cache.remember_fingerprint(full, st.st_size, st.st_mtime_ns, fingerprint)
    return fingerprint


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
    parts = [file_fingerprint(str(args[i]), cache) for i in prim.path_params if i < len(args)]
    if len(parts) == 1:
        return parts[0]
    return "sha256:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()
