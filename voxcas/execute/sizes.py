"""How much memory the outcomes of voxcas tasks hold, told to Dask (`dask.sizeof`).

Dask estimates the size of every task result to decide when a worker spills or pauses and how
many bytes a transfer costs (its counters, such as `Worker.transfer_outgoing_bytes_total`,
count those estimates). Without help it sees an `Ok` or an `Image` as a small Python object of a
few dozen bytes. `register(sizeof)` is dask's `dask.sizeof` entry point (pyproject.toml), so every
process that imports dask.sizeof (each cluster worker too) gets it without voxcas importing Dask.
"""

from __future__ import annotations

from typing import Any


def register(sizeof: Any) -> None:
    """Teach `sizeof` the outcomes and values of voxcas."""
    from voxcas.execute.tasks import Ok
    from voxcas.store.preencoded import InTier, PreEncoded
    from voxcas.values import Image

    @sizeof.register(Ok)  # type: ignore[untyped-decorator]
    def sizeof_ok(outcome: Ok) -> int:
        return int(sizeof(outcome.value)) + 64

    @sizeof.register(Image)  # type: ignore[untyped-decorator]
    def sizeof_image(image: Image) -> int:
        return int(sizeof(image.array)) + 256

    @sizeof.register(PreEncoded)  # type: ignore[untyped-decorator]
    def sizeof_pre_encoded(pre: PreEncoded) -> int:
        return 64 + sum(128 + (0 if isinstance(s, InTier) else memoryview(s).nbytes) for _, _, s in pre.rows)
