"""voxcas: run VoxLogicA-2 image-analysis programs on a persistent, content-addressed store.

The package is a library first; `voxcas.cli` and `voxcas.server` are thin shells over it.
Heavy dependencies (numpy, dask, pyarrow, SimpleITK, fastapi) are imported lazily by the
modules that need them, so importing `voxcas` itself is cheap.
"""

__version__ = "0.1.0"
