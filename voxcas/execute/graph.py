"""How a stage spells its Dask graph: Dask's task objects when it has them, else legacy tuples.

Dask (from 2024.12) runs graphs of `Task` / `TaskRef` / `DataNode` objects, and converts a graph
of legacy tuples into them before every run (`convert_legacy_graph`: for a stage of 10,000
trivial nodes, a tenth of its time, and every reference becomes an `Alias` task that costs a call
of its own when the task runs). Building the objects directly skips both. An older Dask gets the
tuples it understands: `task` → `(fn, *args)`, `ref` → the key itself, `data` → the value.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any


@cache
def _spec() -> Any:
    """Dask's task-spec module, or None before Dask had one (imported on first use: building a
    graph is the first thing that needs Dask)."""
    try:
        from dask import _task_spec
    except ImportError:  # pragma: no cover - Dask before the task spec
        return None
    return _task_spec


def task(key: str, fn: Callable[..., Any], *args: Any) -> Any:
    """A task computing `fn(*args)` under `key`; arguments made by `ref` are other keys' values."""
    spec = _spec()
    if spec is None:  # pragma: no cover
        return (fn, *args)
    return spec.Task(key, fn, *args)


def ref(key: str) -> Any:
    """An argument standing for the value of another key of the graph."""
    spec = _spec()
    if spec is None:  # pragma: no cover
        return key
    return spec.TaskRef(key)


def data(key: str, value: Any) -> Any:
    """A key whose value is `value` itself (not computed; shipped once to where it is needed)."""
    spec = _spec()
    if spec is None:  # pragma: no cover
        return value
    return spec.DataNode(key, value)


def is_task(node: Any) -> bool:
    """Whether a graph entry is computed (a task, or a legacy `(fn, *args)` tuple) rather than a
    data node."""
    spec = _spec()
    if spec is not None and isinstance(node, spec.Task):
        return True
    return isinstance(node, tuple) and bool(node) and callable(node[0])
