"""The Python API for notebooks and scripts: `voxcas.run(program, store=..., params=...)`.

`run` reduces a program (a file, or program text), runs it on a store as `vox run` does — reusing
every stored result — and returns a `Result`: the run's printed lines, its summary, and its
top-level values by name (`r["brain"]`). A value is computed on first access if the run's goals
did not need it (as `vox run --show NAME` would), and read back from the store: images as
`NotebookImage`, a `voxcas.values.Image` (numpy array `.array` with its spacing, origin and
direction) that converts itself to SimpleITK (`.to_simpleitk()`) and shows itself as a picture in
Jupyter (`_repr_png_`); sequences as lists; numbers, strings and booleans as themselves.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voxcas.errors import ExecutionError, ProgramFileError, UsageError
from voxcas.values import Image

if TYPE_CHECKING:
    from voxcas.execute.options import RunSummary
    from voxcas.execute.progress import Progress
    from voxcas.plan.nodes import Workplan
    from voxcas.store.base import Store

MEMORY = ":memory:"  # store=":memory:": a store that lives as long as the Result


def run(
    program: str | Path,
    *,
    store: str | Path | Store | None = None,
    params: Mapping[str, Any] | None = None,
    out: str | Path = ".",
    scheduler: str = "threads",
    workers: int | None = None,
    progress: bool | None = None,
) -> Result:
    """Run `program` and return its `Result`.

    - `program`: a path to a `.imgql` file (a `Path`, or a string ending in `.imgql`), or the
      program's text (relative paths in it are read from the working directory).
    - `store`: a store directory (`.vox`; created if missing), an open `Store`, `":memory:"` for a
      store that lives as long as the result, or None for the store `vox run` would use (the
      nearest `.vox/` at or above the working directory, else a new `./.vox`).
    - `params`: values replacing top-level declarations, like `vox run -p NAME=VALUE`.
    - `out`: where relative `save` paths go; `scheduler`, `workers` as for `vox run`.
    - `progress`: show progress (default: inside Jupyter/IPython only).

    A wrong program raises `voxcas.errors.SourceError` (its message names file:line:col); a
    failing node does not raise here: see `Result.summary.failures`, and reading that value raises.
    """
    from voxcas.execute import RunOptions

    path, text = _program(program)
    options = RunOptions(
        scheduler=scheduler,
        workers=workers,
        out_dir=Path(out),
        params=dict(params or {}),
        program=str(path) if path is not None else "<notebook>",
        program_text=text,
    )
    where = _Where(store)
    with where.opened() as opened:
        plan, summary = _reduce_and_run(path, text, opened, options, _progress(progress))
    return Result(plan, summary, where, options)


def _program(program: str | Path) -> tuple[Path | None, str]:
    from voxcas.lang.files import read_source

    if isinstance(program, Path) or (program.endswith(".imgql") and "\n" not in program):
        if not Path(program).is_file():
            raise ProgramFileError(f"cannot read program {str(program)!r}: no such file")
        return Path(program), read_source(str(program))
    return None, program


def _reduce_and_run(
    path: Path | None, text: str, store: Store, options: Any, progress: Progress | None
) -> tuple[Workplan, RunSummary]:
    from voxcas.execute import run_workplan
    from voxcas.lang import reduce_source

    shown = str(path) if path is not None else "<notebook>"
    plan = reduce_source(text, shown, fingerprints=store, params=options.params)
    return plan, run_workplan(plan, store, options, progress)


def _progress(wanted: bool | None) -> Progress | None:
    from voxcas.execute.progress import TerminalProgress

    if wanted is None:
        wanted = _in_ipython()
    return TerminalProgress(sys.stderr) if wanted else None


def _in_ipython() -> bool:
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    return get is not None and get() is not None


class _Where:
    """Where a result's values live: a store directory (opened per use), or an open store."""

    def __init__(self, store: str | Path | Store | None) -> None:
        from voxcas.store.base import Store
        from voxcas.store.memory import MemoryStore

        self.store: Store | None = None
        self.directory: Path | None = None
        if isinstance(store, Store):
            self.store = store
        elif store == MEMORY:
            self.store = MemoryStore()
        elif store is None:
            from voxcas.store.locate import STORE_DIR, find_store_dir

            self.directory = find_store_dir() or Path.cwd() / STORE_DIR
        else:
            self.directory = Path(store)

    @contextmanager
    def opened(self) -> Iterator[Store]:
        if self.store is not None:
            yield self.store
            return
        from voxcas.store.locate import open_located_store

        assert self.directory is not None
        store = open_located_store(self.directory, create=True)
        try:
            yield store
        finally:
            store.close()


class Result:
    """What `voxcas.run` returns: the run's summary and printed lines, its values by name."""

    def __init__(self, plan: Workplan, summary: RunSummary, where: _Where, options: Any) -> None:
        self.plan = plan
        self.summary = summary
        self._where = where
        self._options = options

    @property
    def run_id(self) -> str:
        return str(self.summary.run)

    @property
    def printed(self) -> list[str]:
        """The lines the program's `print` goals printed (`label=value`)."""
        return list(self.summary.outputs)

    def keys(self) -> list[str]:
        """The program's top-level value names, in declaration order."""
        return list(self.plan.names)

    def __contains__(self, name: object) -> bool:
        return name in self.plan.names

    def __iter__(self) -> Iterator[str]:
        return iter(self.plan.names)

    def __getitem__(self, name: str) -> Any:
        """The value of top-level name `name`, computed now if the run did not need it."""
        from voxcas.plan.fold import const_value
        from voxcas.plan.nodes import Const

        node = self.plan.names.get(name)
        if node is None:
            listed = ", ".join(self.plan.names) or "none"
            raise UsageError(f"the program declares no top-level value {name!r} (its values: {listed})")
        definition = self.plan.nodes[node].definition
        if isinstance(definition, Const):
            return const_value(definition)
        with self._where.opened() as store:
            digest = store.lookup(node)
            if digest is None:
                digest = self._compute(store, name, node)
            return _plain(store, store.get(digest))

    def _compute(self, store: Store, name: str, node: str) -> Any:
        from dataclasses import replace

        from voxcas.execute import run_workplan
        from voxcas.ids import NodeId
        from voxcas.plan.nodes import Workplan

        plan = Workplan(nodes=self.plan.nodes, goals=[], names=self.plan.names)
        summary = run_workplan(plan, store, replace(self._options, show=(name,)), None)
        digest = store.lookup(NodeId(node))
        if digest is None:
            reasons = "; ".join(f.message for f in summary.failures) or f"run {summary.status}"
            raise ExecutionError(f"{name!r} could not be computed: {reasons}")
        return digest

    def __repr__(self) -> str:
        names = ", ".join(self.plan.names)
        return f"<voxcas.Result run {self.run_id[:12]} {self.summary.status}: {names}>"


class NotebookImage(Image):
    """An image read back by `Result`: a `voxcas.values.Image` that Jupyter shows as a picture."""

    __slots__ = ()

    @classmethod
    def of(cls, image: Image) -> NotebookImage:
        return cls(image.array, image.spacing, image.origin, image.direction, image.components)

    def to_simpleitk(self) -> Any:
        """This image as a SimpleITK image with the same geometry (SimpleITK imported now)."""
        from voxcas.primitives.imageio import to_sitk

        return to_sitk(self)

    def _repr_png_(self) -> bytes:
        """voxcas's own picture of the image (`voxcas.pictures`: radiological orientation from the
        direction cosines, automatic window, the middle axial slice of a volume)."""
        from voxcas.pictures import png_bytes, render

        return png_bytes(render(self))


def _plain(store: Store, value: Any) -> Any:
    """A stored value as plain Python: sequences (read in batches) become lists, images
    `NotebookImage`s."""
    from voxcas.store.base import StoredSequence

    if isinstance(value, Image):
        return NotebookImage.of(value)
    if isinstance(value, StoredSequence):
        return [_plain(store, item) for item in store.get_many(list(value.digests))]
    if isinstance(value, list | tuple):
        return [_plain(store, item) for item in value]
    return value
