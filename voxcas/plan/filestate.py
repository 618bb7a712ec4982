"""The state of a path as voxcas's stat cache sees it, and when that state can be trusted.

Re-hashing every input on every run would make a warm run over a dataset cost a full read of
it, so voxcas trusts a file to be unchanged while its `stat` is unchanged — the rule git's index
uses. A `FileState` is what is compared: kind (file, dir, missing, unreadable), size,
modification time, status-change time, inode and device, all as `os.stat` reports them for the
path with symlinks followed (the target's state, so retargeting a link is a change). Writing a
file changes its mtime and ctime; `touch` changes both; replacing it by rename changes its inode;
`cp -p` keeps the mtime but not the ctime. The one edit the rule cannot see is a rewrite that
keeps size, inode and both times — only possible by resetting the clock or the file system's
timestamps; `vox run --rehash` re-hashes every input for that case (docs/run.md).

**Racy states.** A file system stamps times at a coarse tick (milliseconds or worse), so a file
written again within the same tick as the stat that saw it keeps all of its stat. Such a state is
*racy* (git's term): its mtime or ctime is no older than `RACY_NS` before the moment the state was
taken. A racy state is never trusted on its own: fingerprints of racy files are not cached, and
a cached reduction that observed a racy path re-checks that path's content, not its stat.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass

RACY_NS = 2_000_000_000  # 2 s: coarser than the timestamp tick of every common file system


@dataclass(frozen=True, slots=True)
class FileState:
    """What `stat` says of a path (symlinks followed); `taken_ns` is when it was asked."""

    kind: str  # "file" | "dir" | "missing" | "unreadable"
    size: int = 0
    mtime_ns: int = 0
    ctime_ns: int = 0
    ino: int = 0
    dev: int = 0
    taken_ns: int = 0

    @property
    def stamp(self) -> str:
        """The state as one comparable string (what the fingerprint cache is keyed by)."""
        return f"{self.kind}:{self.size}:{self.mtime_ns}:{self.ctime_ns}:{self.ino}:{self.dev}"

    @property
    def racy(self) -> bool:
        """Whether a change within the same timestamp tick could leave this state as it is."""
        if self.kind not in ("file", "dir"):
            return False
        return max(self.mtime_ns, self.ctime_ns) >= self.taken_ns - RACY_NS

    def same_as(self, other: FileState) -> bool:
        """Equal as far as `stat` can tell (the time each was taken aside)."""
        return self.stamp == other.stamp


def state_of(path: str) -> FileState:
    """The current state of `path` (absolute or relative to the working directory)."""
    taken = time.time_ns()
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return FileState("missing", taken_ns=taken)
    except OSError:
        return FileState("unreadable", taken_ns=taken)
    kind = "dir" if stat.S_ISDIR(st.st_mode) else "file"
    size = 0 if kind == "dir" else st.st_size
    return FileState(kind, size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev, taken)
