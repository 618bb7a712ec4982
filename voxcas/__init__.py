"""voxcas: run VoxLogicA-2 image-analysis programs on a persistent, content-addressed store.

The package is a library first; `voxcas.cli` and `voxcas.server` are thin shells over it.
Heavy dependencies (numpy, dask, pyarrow, SimpleITK, fastapi) are imported lazily by the
modules that need them, so importing `voxcas` itself is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voxcas.notebook import Result

from voxcas.version import __version__

__all__ = ["__version__", "run"]


def run(program: Any, **options: Any) -> Result:
    """Run a program (a `.imgql` path or program text) and return its values by name: see
    `voxcas.notebook.run` (imported on first call, so `import voxcas` stays cheap)."""
    from voxcas.notebook import run as run_program

    return run_program(program, **options)
