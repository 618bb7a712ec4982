"""Running the recursive front-end on deeply nested programs without crashing.

The parser and the reducer recurse on nesting depth (parentheses, calls, left-deep operator
trees). Rather than rewrite every walk with explicit stacks, `run_deep` runs the walk in a worker
thread created with a large C stack (`threading.stack_size`) after raising the interpreter's
recursion limit to `RECURSION_LIMIT`; nesting depth 10,000 then uses a small part of the budget.
The recursion limit is process-wide: it is raised while at least one walk runs and restored when
the last one ends (a counter under a lock), so code in other threads is not left with a limit
its normal-sized stack cannot honour for longer than a reduction takes. The big stack belongs to
the worker thread alone.
"""

from __future__ import annotations

import contextvars
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

RECURSION_LIMIT = 250_000
STACK_BYTES = 1024 * 1024 * 1024  # virtual address space reserved for the worker; touched lazily
_lock = threading.Lock()
_active = 0
_saved_limit = 0


def _enter() -> None:
    global _active, _saved_limit
    with _lock:
        if _active == 0:
            _saved_limit = sys.getrecursionlimit()
            if _saved_limit < RECURSION_LIMIT:
                sys.setrecursionlimit(RECURSION_LIMIT)
        _active += 1


def _leave() -> None:
    global _active
    with _lock:
        _active -= 1
        if _active == 0 and sys.getrecursionlimit() == RECURSION_LIMIT:
            sys.setrecursionlimit(_saved_limit)


def run_deep(fn: Callable[[], T]) -> T:
    """Call `fn()` in a big-stack worker thread and return its result (or raise its exception)."""
    result: list[Any] = []
    error: list[BaseException] = []
    context = contextvars.copy_context()  # context variables (e.g. fs observation) follow the walk

    def target() -> None:
        try:
            result.append(context.run(fn))
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)

    _enter()
    try:
        with _lock:
            previous = threading.stack_size()
            threading.stack_size(STACK_BYTES)
            try:
                worker = threading.Thread(target=target, name="voxcas-lang", daemon=True)
                worker.start()
            finally:
                threading.stack_size(previous)
        worker.join()
    finally:
        _leave()
    if error:
        raise error[0]
    return result[0]  # type: ignore[no-any-return]
