"""Running the recursive front-end on deeply nested programs without crashing.

The parser and the reducer recurse on nesting depth (parentheses, calls, left-deep operator
trees). Rather than rewrite every walk with explicit stacks, `run_deep` runs the walk in a worker
thread created with a large C stack (`threading.stack_size`) after raising the interpreter's
recursion limit to `RECURSION_LIMIT`; nesting depth 10,000 then uses a small part of the budget.
The recursion limit is process-wide, so it is raised once (never lowered while another walk may
be running) and only ever upwards; the big stack belongs to the worker thread alone, so other
threads keep their normal stacks.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

RECURSION_LIMIT = 250_000
STACK_BYTES = 1024 * 1024 * 1024  # virtual address space reserved for the worker; touched lazily
_lock = threading.Lock()


def run_deep(fn: Callable[[], T]) -> T:
    """Call `fn()` in a big-stack worker thread and return its result (or raise its exception)."""
    result: list[Any] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(fn())
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)

    with _lock:
        if sys.getrecursionlimit() < RECURSION_LIMIT:
            sys.setrecursionlimit(RECURSION_LIMIT)
        previous = threading.stack_size()
        threading.stack_size(STACK_BYTES)
        try:
            worker = threading.Thread(target=target, name="voxcas-lang", daemon=True)
            worker.start()
        finally:
            threading.stack_size(previous)
    worker.join()
    if error:
        raise error[0]
    return result[0]  # type: ignore[no-any-return]
