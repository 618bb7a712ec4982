"""Small adapters that run one Dask graph on the chosen scheduler and report every finished key.

One interface, `Scheduler.run(dsk, outputs, on_start, on_done, forget=, cancel=)`, four
back ends:

- "threads": dask's threaded scheduler on one `ThreadPoolExecutor` kept for the run (a
  `multiprocessing` ThreadPool would give daemon threads, but its two relay threads triple the
  cost of a tiny task); on Ctrl-C or `cancel` the run raises at once, the pool is shut down
  and queued tasks are cancelled, while primitives already running finish in the background
  (`vox` itself then exits without waiting for them);
- "sync": dask's synchronous scheduler (one thread, for debugging and deterministic tests);
- "processes": dask's multiprocessing scheduler on one spawned process pool kept for the run;
- "tcp://..." (any address): a `distributed.Client` to an existing cluster; every task's
  outcome is gathered to the client as it completes (`as_completed`), because the index lives
  on the client side — except `quiet` keys: with a shared blob tier, a node's value stays on its
  worker and only what its `stored-` task returns (the rows to index) is gathered.

Cancel is seen at once during Dask's own graph work too: with a `cancel` event, the local
schedulers run Dask's `get` (which orders the whole graph before the first task, tens of seconds
for a graph of 200,000 nodes) in a helper thread while the caller waits for it *or* the event;
on cancel the caller raises `RunCancelled` at once, and the helper, once Dask has ordered the
graph, finds every submission refused and ends without running anything.

`in_process` says whether tasks run in this process (threads/sync): only then may a task read
the store or watch a cancel event; the engine embeds stored inputs in the graph otherwise.
Dask is imported only when a scheduler is created, i.e. only when something must be computed.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future
from typing import Any

from voxcas.errors import RunCancelled, UsageError

OnStart = Callable[[Any], None]
OnDone = Callable[[Any, Any], None]


class Scheduler:
    def __init__(self, kind: str, workers: int | None) -> None:
        self.kind = kind
        self.workers = workers or os.cpu_count() or 1
        self.in_process = kind in ("threads", "sync")
        self._pool: Any = None
        self._client: Any = None
        if "://" in kind:
            self._connect(kind)

    def _connect(self, address: str) -> None:
        from distributed import Client

        try:
            self._client = Client(address, timeout="10s", set_as_default=False)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as error:
            raise UsageError(f"cannot reach the dask scheduler at {address}: {error}") from error

    def run(
        self,
        dsk: Mapping[str, Any],
        outputs: Sequence[Any],
        on_start: OnStart,
        on_done: OnDone,
        *,
        forget: set[Any] | frozenset[Any] = frozenset(),
        chunksize: int = 1,
        cancel: threading.Event | None = None,
        quiet: set[Any] | frozenset[Any] = frozenset(),
    ) -> dict[str, Any]:
        """Run `dsk`; call `on_done(key, result)` for every key as it finishes (in this thread);
        return the results of `outputs` (None for the keys in `forget`, whose values are dropped
        right after `on_done`). `chunksize` hands ready tasks to the pool that many at a time
        (local pools). Setting `cancel` makes a local run raise `RunCancelled` at once, even while
        every pool worker is inside a long primitive (those finish in the background; their
        results are dropped). On a cluster, the results of `quiet` keys stay on the workers:
        `on_done` is not called for them (their values are persisted there, see
        `voxcas.execute.worker_store`)."""
        if self._client is not None:
            wanted = [k for k in outputs if k not in forget]
            return self._run_distributed(dsk, wanted, on_done, cancel, quiet)

        def pretask(key: Any, dsk: Any, state: Any) -> None:
            on_start(key)

        def posttask(key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
            on_done(key, result)
            if key in forget:  # a sink the caller does not need: let it go now, not at the end
                state["cache"][key] = None

        callbacks = [(None, None, pretask, posttask, None)]
        keys = list(outputs)
        if self.kind == "sync":
            from dask.local import get_sync

            values = get_sync(dict(dsk), keys, callbacks=callbacks)
            return dict(zip(keys, values, strict=True))

        def get() -> Any:
            if self.kind == "threads":
                from dask.threaded import get as threaded_get

                with _Cancellable(self._thread_pool(), cancel) as pool:
                    return threaded_get(dict(dsk), keys, pool=pool, callbacks=callbacks, chunksize=chunksize)
            from dask.multiprocessing import get as process_get

            with _Cancellable(self._process_pool(), cancel) as pool:
                return process_get(
                    dict(dsk),
                    keys,
                    pool=pool,
                    optimize_graph=False,
                    callbacks=callbacks,
                    chunksize=chunksize,
                )

        values = get() if cancel is None else _until_cancelled(get, cancel)
        return dict(zip(keys, values, strict=True))

    def _thread_pool(self) -> Any:
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            # the prefix lets `vox` exit at once after Ctrl-C though a primitive still runs
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="voxcas-task")
        return self._pool

    def _process_pool(self) -> Any:
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def _run_distributed(
        self,
        dsk: Mapping[str, Any],
        outputs: Sequence[str],
        on_done: OnDone,
        cancel: threading.Event | None = None,
        quiet: set[Any] | frozenset[Any] = frozenset(),
    ) -> dict[str, Any]:
        from distributed import as_completed

        from voxcas.execute.graph import is_task

        keys = [k for k, v in dsk.items() if is_task(v)]  # tasks; data nodes stay put
        futures = self._client.get(dict(dsk), keys, sync=False)
        wanted = set(outputs)
        kept: dict[str, Any] = {}
        by_future = dict(zip(futures, keys, strict=True))
        del futures
        finished = threading.Event()

        def watch() -> None:  # a cancel cancels the cluster's futures: as_completed yields them
            assert cancel is not None
            while not finished.is_set():
                if cancel.wait(0.05):
                    self._client.cancel(list(by_future))
                    return

        if cancel is not None:
            threading.Thread(target=watch, name="voxcas-cancel-watch", daemon=True).start()
        try:
            fetch = not quiet  # all results arrive with their futures; else each is asked for
            for item in as_completed(  # type: ignore[no-untyped-call]
                list(by_future), with_results=fetch, loop=self._client.loop
            ):
                if cancel is not None and cancel.is_set():
                    raise RunCancelled("cancelled")
                future, result = item if fetch else (item, None)
                key = by_future.pop(future)
                if key in quiet and key not in wanted:
                    future.release()  # its value stays where dependents need it, never fetched
                    continue
                if not fetch:
                    result = future.result()
                on_done(key, result)
                if key in wanted:
                    kept[key] = result
                future.release()
        finally:
            finished.set()
        return kept

    def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            if hasattr(pool, "terminate"):
                pool.terminate()
            else:
                pool.shutdown(wait=False, cancel_futures=True)
        if self._client is not None:
            client, self._client = self._client, None
            client.close()


def _until_cancelled(get: Callable[[], Any], cancel: threading.Event) -> Any:
    """`get()` run in a helper thread (context variables follow it), waited for until it ends or
    `cancel` is set: then `RunCancelled` at once, whatever Dask is doing (ordering a large graph).
    Ctrl-C while waiting sets `cancel`, so the helper stops too."""
    if cancel.is_set():
        raise RunCancelled("cancelled")
    result: list[Any] = []
    error: list[BaseException] = []
    done = threading.Event()
    context = contextvars.copy_context()

    def target() -> None:
        try:
            result.append(context.run(get))
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)
        finally:
            done.set()

    threading.Thread(target=target, name="voxcas-graph", daemon=True).start()
    try:
        while not done.wait(0.05):
            if cancel.is_set():
                raise RunCancelled("cancelled")
    except KeyboardInterrupt:
        cancel.set()
        raise
    if error:
        raise error[0]
    return result[0]


class _Cancellable:
    """The executor Dask's local scheduler submits to: the run's pool, seen through futures this
    class controls, so that a cancel can fail every outstanding one at once.

    Dask waits for each submitted batch's future; when `cancel` is set (the HTTP API's cancel,
    `RunOptions.cancel`), a watcher completes the outstanding futures with `RunCancelled`, so
    Dask raises now instead of after the running primitives return. The pool's own futures run
    on, and their results are dropped.
    """

    def __init__(self, pool: Executor, cancel: threading.Event | None) -> None:
        self._pool = pool
        self._max_workers: int = getattr(pool, "_max_workers", 1)  # what Dask sizes its batches by
        self._cancel = cancel
        self._outstanding: set[Future[Any]] = set()
        self._lock = threading.Lock()
        self._done = threading.Event()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        proxy: Future[Any] = Future()
        proxy.set_running_or_notify_cancel()
        if self._cancel is not None and self._cancel.is_set():  # nothing starts after a cancel
            proxy.set_exception(RunCancelled("cancelled"))
            return proxy
        with self._lock:
            self._outstanding.add(proxy)
        self._pool.submit(fn, *args, **kwargs).add_done_callback(lambda inner: self._relay(inner, proxy))
        return proxy

    def _relay(self, inner: Future[Any], proxy: Future[Any]) -> None:
        with self._lock:
            if proxy not in self._outstanding:  # cancelled meanwhile: drop the result
                return
            self._outstanding.discard(proxy)
        error = inner.exception()
        if error is not None:
            proxy.set_exception(error)
        else:
            proxy.set_result(inner.result())

    def _watch(self) -> None:
        assert self._cancel is not None
        while not self._done.is_set():
            if self._cancel.wait(0.05):
                with self._lock:
                    outstanding, self._outstanding = self._outstanding, set()
                for proxy in outstanding:
                    proxy.set_exception(RunCancelled("cancelled"))
                return

    def __enter__(self) -> _Cancellable:
        if self._cancel is not None:
            threading.Thread(target=self._watch, name="voxcas-cancel-watch", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
