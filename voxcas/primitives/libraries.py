"""The versions of the libraries primitives compute with, as they enter node ids.

A primitive's result depends on its own code (its declared `version`) and on the libraries it
calls: an upgrade of SimpleITK, numpy or scipy can change a value without any change to voxcas.
Each namespace names the libraries it computes with (`Namespace.libraries`); the installed
versions of those libraries become part of the version every node of its primitives carries, so
after an upgrade a stored result is reused only if nothing it was computed with has changed.
"""

from __future__ import annotations

import functools
import platform

# what voxcas's own namespaces compute with; the reduction cache's key covers all of them
BUILTIN_LIBRARIES: tuple[str, ...] = ("python", "numpy", "scipy", "SimpleITK")


@functools.cache
def library_version(name: str) -> str:
    """The installed version of distribution `name` ("python": the interpreter), or "absent"."""
    if name == "python":
        return platform.python_version()
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


@functools.cache
def built_with(libraries: tuple[str, ...]) -> str:
    """`numpy-2.4.6+scipy-1.17.1`: the libraries and their installed versions, in the given order."""
    return "+".join(f"{name}-{library_version(name)}" for name in libraries)
