"""The file-access policy: which files a run may read and write, checked where files are opened.

An `AccessPolicy` holds the read roots (None: any file; `()`: none) and the write root (the
run's output directory; None: anywhere, unless `writable` is False: nowhere). It travels with a
run (`RunOptions.access`, copied into every task's `Call`) and is made current, in the thread
that reads or writes, by `using(policy)`; code that opens files asks `current()`:

- `check_read(path, op)` resolves the FINAL path (`os.path.realpath`: every symlink followed, at
  the moment of asking) and requires it inside a read root; so must every other file the reader
  will open because of it: the data files a `.mhd` / `.nhdr` header names
  (`voxcas.plan.companions.data_files`, read from the resolved header) and, for a directory read
  as an image (a DICOM series), every entry of it, symlinks resolved. It returns the resolved
  path, which is what the caller then opens (so a symlink swapped in afterwards is not followed
  by `open_read`, which also refuses a final symlink with `O_NOFOLLOW`).
- `check_listing(path, op)` is the same for a directory whose names are listed, not opened.
- `check_write(path, op)` takes a relative path from the write root (when there is one), resolves
  the parent directory and a symlink standing at the name, and requires the result inside the
  write root; `open_write` opens that resolved path, refusing a final symlink.

Every refusal is an `AccessDeniedError` (HTTP 403 at the server) naming the operation and the
path. The CLI runs with `UNRESTRICTED` unless `vox run --data-root/--out-root` is given; the
server builds its policy from `vox serve --data-root/--out-root` (`voxcas.server.guard`).
Known limits: SimpleITK opens image files by name itself, so a path component swapped for a
symlink between the check and SimpleITK's open is followed; and a file that stays inside the roots
is trusted whatever it holds.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from voxcas.errors import AccessDeniedError


def _real(path: str | os.PathLike[str], base: Path | None = None) -> Path:
    return Path(os.path.realpath(os.path.join(base if base is not None else Path.cwd(), os.fspath(path))))


def _within(real: Path, root: Path) -> bool:
    return real == root or real.is_relative_to(root)


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """Where a run may read (`read_roots`) and write (`write_root`, if `writable`); see the module."""

    read_roots: tuple[Path, ...] | None = None
    write_root: Path | None = None
    writable: bool = True
    read_label: str = "the data roots"
    write_label: str = "the output directory"

    @classmethod
    def confined(
        cls,
        read_roots: tuple[Path, ...] | list[Path] | None,
        write_root: Path | None,
        *,
        writable: bool = True,
    ) -> AccessPolicy:
        """A policy with its roots resolved now (a root that is a symlink is taken where it points)."""
        reads = None if read_roots is None else tuple(_real(r) for r in read_roots)
        return cls(reads, _real(write_root) if write_root is not None else None, writable)

    @property
    def restricted(self) -> bool:
        return self.read_roots is not None or self.write_root is not None or not self.writable

    # -- reading ---------------------------------------------------------------------------------
    def allows_read(self, path: str | os.PathLike[str]) -> bool:
        """Whether `path`, its symlinks resolved now, lies inside a read root."""
        if self.read_roots is None:
            return True
        real = _real(path)
        return any(_within(real, root) for root in self.read_roots)

    def check_listing(self, path: str | os.PathLike[str], op: str = "read") -> str:
        """`path` (a directory whose entries are listed), resolved, if it lies inside a read root."""
        if self.read_roots is None:
            return os.fspath(path)
        if not self.read_roots:
            raise AccessDeniedError(
                f"{op}: reading {os.fspath(path)!r} is not allowed: there are no data roots"
            )
        real = _real(path)
        if not any(_within(real, root) for root in self.read_roots):
            roots = ", ".join(str(r) for r in self.read_roots)
            raise AccessDeniedError(f"{op}: path {os.fspath(path)!r} is outside {self.read_label} ({roots})")
        return str(real)

    def check_read(self, path: str | os.PathLike[str], op: str = "read") -> str:
        """The resolved `path` if it, and every file a reader opens because of it, lies inside a
        read root; `AccessDeniedError` otherwise. Unrestricted reads give `path` back unchanged."""
        if self.read_roots is None:
            return os.fspath(path)
        real = self.check_listing(path, op)
        for other in _opened_with(real):
            if not self.allows_read(other):
                raise AccessDeniedError(
                    f"{op}: {os.fspath(path)!r} makes the reader open {other!r}, outside {self.read_label}"
                )
        return real

    def open_read(
        self, path: str | os.PathLike[str], op: str = "read", mode: str = "rb", **kwargs: Any
    ) -> IO[Any]:
        """`open(path, mode, ...)` on the checked, resolved path (a final symlink is refused)."""
        real = self.check_read(path, op)
        opener = None if self.read_roots is None else _no_follow
        handle: IO[Any] = open(real, mode, opener=opener, **kwargs)  # noqa: SIM115 - the caller closes it
        return handle

    # -- writing ---------------------------------------------------------------------------------
    def check_write(self, path: str | os.PathLike[str], op: str = "write") -> str:
        """Where writing `path` really writes (relative paths from the write root), if allowed."""
        text = os.fspath(path)
        if not self.writable:
            raise AccessDeniedError(f"{op}: writing {text!r} is not allowed: this run may write no files")
        if self.write_root is None:
            return text
        target = Path(os.path.join(self.write_root, text))
        real = _real(target) if target.is_symlink() else _real(target.parent) / target.name
        if target.name in ("", ".", "..") or not _within(real, self.write_root) or real == self.write_root:
            raise AccessDeniedError(
                f"{op}: path {text!r} is outside {self.write_label} ({self.write_root})"
            )
        return str(real)

    def open_write(
        self, path: str | os.PathLike[str], op: str = "write", mode: str = "wb", **kwargs: Any
    ) -> IO[Any]:
        """`open(path, mode, ...)` on the checked path (parents created, a final symlink refused)."""
        real = self.check_write(path, op)
        Path(real).parent.mkdir(parents=True, exist_ok=True)
        opener = None if self.write_root is None else _no_follow
        handle: IO[Any] = open(real, mode, opener=opener, **kwargs)  # noqa: SIM115 - the caller closes it
        return handle


UNRESTRICTED = AccessPolicy()

_CURRENT: contextvars.ContextVar[AccessPolicy] = contextvars.ContextVar("voxcas_access", default=UNRESTRICTED)


def current() -> AccessPolicy:
    """The policy of the run this thread works for (`UNRESTRICTED` outside any `using`)."""
    return _CURRENT.get()


@contextmanager
def using(policy: AccessPolicy | None) -> Iterator[AccessPolicy]:
    """Make `policy` current in this thread for the block (None: keep the current one)."""
    if policy is None:
        yield current()
        return
    token = _CURRENT.set(policy)
    try:
        yield policy
    finally:
        _CURRENT.reset(token)


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), 0o666)


def _opened_with(real: str) -> list[str]:
    """The files a reader given the resolved `real` also opens: a directory's entries (a DICOM
    series), the data files of an image header; [] for a plain file."""
    if os.path.isdir(real):
        with os.scandir(real) as entries:
            return sorted(os.path.join(real, e.name) for e in entries)
    from voxcas.plan.companions import data_files

    return data_files(real)
