"""The single writer: one thread that persists a run's results in batched transactions.

Why: a run may finish thousands of tiny nodes per second. Committing each in its own
transaction would cost one fsync each; the writer instead drains everything queued since its
last commit and writes it with ONE `store.put_results` call (one transaction), so the commit
rate adapts to the load: one node per commit when nodes are slow, hundreds when they are fast.

What is written, in queue order: results (`put`, each noted "computed" in the run's node log
once committed), failures (`fail`: the node definition, then
`store.record_failure`), the run's node log (`note` → `store.note_run_nodes`), and arbitrary
store calls that must not race the writer (`call`). Every store write of a run goes through here.

Durability: a result is durable once the batch holding it commits; `flush()` waits for
everything queued so far, unless the run's cancel event is set meanwhile (`flush(cancel)` then
raises `RunCancelled` at once: the writer goes on committing what is queued, and `close()`
waits for it, so a cancelled run still keeps what finished). A process killed before a commit
loses only that batch (the store's own transactions guarantee nothing half-written is ever
visible).

Large values go ahead: an array or image of `AHEAD_BYTES` or more is handed, the moment it is
`put`, to one of `ENCODERS` encoder threads, which encode, hash, compress and insert its object
(`store.put`, its own transaction) while the computation goes on; the writer thread then binds
the result to the stored object's digest (`StoredObject`) in its next batch. So encoding and
writing overlap the computation and one another, each large value is encoded alone (one
encoding in memory per encoder, not one per value of a batch), and nothing waits for a commit
unless it reads the result back (`flush`). Durable before visible still holds: the object is
committed before the result row that names it; a kill in between leaves an object no result
reaches, which `vox gc` reclaims.

Memory: values wait in the queue only until their batch commits (large values until their
object is stored), and `put` blocks while the waiting values hold more than
`max_pending_bytes` (512 MiB by default), so a slow disk slows the computation down instead of
filling the memory.

Failure: if a batch is refused because one value cannot be encoded (`EncodingError`), the
batch is retried one result at a time and the refused node is recorded as failed (`refused`).
Any other store error stops the writer; it is re-raised by the next `flush()`.
"""

from __future__ import annotations

import queue
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from voxcas.errors import EncodingError, RunCancelled
from voxcas.ids import Digest, NodeId, RunId
from voxcas.plan.nodes import PlanNode
from voxcas.store.base import PendingResult, Store, StoredObject

AHEAD_BYTES = 1 << 20  # arrays and images from this size on are stored ahead, by the encoders
ENCODERS = 2  # encoder threads (hashing, zstd and SQLite's blob writes release the GIL)


@dataclass(slots=True)
class _Put:
    """A queued result: the value, or the future digest of its object stored ahead."""

    pending: PendingResult
    size: int
    ahead: Future[Any] | None = None


@dataclass(slots=True)
class _Flush:
    done: threading.Event


@dataclass(slots=True)
class _Fail:
    node: PlanNode
    message: str
    traceback: str


@dataclass(slots=True)
class _Call:
    fn: Callable[[], Any]
    future: Future[Any]


_STOP = object()


class Writer:
    """Queue results from any thread; one daemon thread commits them in batches."""

    def __init__(
        self, store: Store, run: RunId, *, batch_size: int = 1000, max_pending_bytes: int = 512 << 20
    ) -> None:
        self.store = store
        self.run = run
        self.batch_size = batch_size
        self.max_pending_bytes = max_pending_bytes
        self._pending_bytes = 0
        self._room = threading.Condition(threading.Lock())
        self.digests: dict[NodeId, Digest] = {}  # every result committed by this writer
        self.refused: dict[NodeId, str] = {}  # nodes whose value the store could not encode
        self.commits = 0
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._encoders: ThreadPoolExecutor | None = None
        self._thread = threading.Thread(target=self._loop, name="voxcas-writer", daemon=True)
        self._thread.start()

    # -- producer side ----------------------------------------------------------------------
    def put(self, node: PlanNode, value: Any, seconds: float) -> None:
        """Queue a result. Blocks while the values waiting for a commit already hold more than
        `max_pending_bytes` (backpressure: a slow disk slows the scheduler, not the memory)."""
        size = _size_of(value)
        with self._room:
            while self._pending_bytes > 0 and self._pending_bytes + size > self.max_pending_bytes:
                if not self._thread.is_alive():
                    break
                self._room.wait(0.1)
            self._pending_bytes += size
        pending = PendingResult(node, value, seconds, self.run)
        if size >= AHEAD_BYTES and hasattr(getattr(value, "array", value), "nbytes"):
            put = _Put(pending, size, self._encoder().submit(self.store.put, value))

            def stored(_: Future[Any]) -> None:  # the queue keeps only the node: the value may go
                put.pending = PendingResult(node, None, seconds, self.run)
                self._free(size)

            assert put.ahead is not None
            put.ahead.add_done_callback(stored)
            self._queue.put(put)
        else:
            self._queue.put(_Put(pending, size))

    def _encoder(self) -> ThreadPoolExecutor:
        with self._room:
            if self._encoders is None:
                self._encoders = ThreadPoolExecutor(ENCODERS, thread_name_prefix="voxcas-encode")
            return self._encoders

    def fail(self, node: PlanNode, message: str, tb: str = "") -> None:
        self._queue.put(_Fail(node, message, tb))

    def note(self, node: NodeId, status: str) -> None:
        self._queue.put((node, status))

    def call(self, fn: Callable[[], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        self._queue.put(_Call(fn, future))
        return future

    def flush(self, cancel: threading.Event | None = None) -> None:
        """Wait until everything queued so far is committed; re-raise a writer failure. Once
        `cancel` is set, stop waiting and raise `RunCancelled` (what is queued still commits)."""
        if self._thread.is_alive():
            done = threading.Event()
            self._queue.put(_Flush(done))
            while not done.wait(0.05):
                if not self._thread.is_alive():
                    break
                if cancel is not None and cancel.is_set():
                    raise RunCancelled("cancelled while its results were being stored")
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Flush, then stop the thread."""
        try:
            self.flush()
        finally:
            self._queue.put(_STOP)
            self._thread.join(timeout=30)
            if self._encoders is not None:
                self._encoders.shutdown(wait=True)

    # -- the writer thread ----------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            items = [self._queue.get()]
            while len(items) < self.batch_size:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                stop = self._write(items)
            except BaseException as error:  # keep the error for flush(); drain waiters
                self._error = error
                self._release(items)
                self._drain_after_error()
                return
            if stop:
                return

    def _write(self, items: list[Any]) -> bool:
        results: list[_Put] = []
        notes: list[tuple[NodeId, str]] = []
        stop = False

        def commit() -> None:
            if results:
                try:
                    committed = self._commit(self._resolve(results))
                finally:
                    self._freed([r for r in results if r.ahead is None])
                notes.extend((p.node.id, "computed") for p in committed)
                results.clear()
            if notes:
                self.store.note_run_nodes(self.run, list(notes))
                notes.clear()

        for item in items:
            if isinstance(item, _Put):
                results.append(item)
            elif isinstance(item, tuple):
                notes.append(item)
            elif isinstance(item, _Fail):
                commit()
                self.store.put_nodes([item.node])
                self.store.record_failure(item.node.id, self.run, item.message, item.traceback)
            elif isinstance(item, _Call):
                commit()
                try:
                    item.future.set_result(item.fn())
                except BaseException as error:  # handed to the caller
                    item.future.set_exception(error)
            elif isinstance(item, _Flush):
                commit()
                item.done.set()
            elif item is _STOP:
                stop = True
        commit()
        return stop

    def _resolve(self, results: list[_Put]) -> list[PendingResult]:
        """The results to commit: values stored ahead become their `StoredObject`; a value the
        store refused to encode is recorded as failed here (its node gets no result)."""
        out: list[PendingResult] = []
        for put in results:
            pending = put.pending
            if put.ahead is None:
                out.append(pending)
                continue
            try:
                digest = put.ahead.result()
            except EncodingError as error:
                self._refuse(pending, error)
                continue
            out.append(PendingResult(pending.node, StoredObject(digest), pending.seconds, pending.run))
        return out

    def _refuse(self, pending: PendingResult, error: EncodingError) -> None:
        message = f"cannot store the value of this node: {error}"
        self.refused[pending.node.id] = message
        self.store.put_nodes([pending.node])
        self.store.record_failure(pending.node.id, self.run, message, traceback.format_exc())
        self.store.note_run_nodes(self.run, [(pending.node.id, "failed")])

    def _commit(self, results: list[PendingResult]) -> list[PendingResult]:
        """Commit `results` (all of them, or one by one around refused values); return the committed."""
        try:
            digests = self.store.put_results(results)
        except EncodingError:
            digests = []
            kept = []
            for pending in results:
                try:
                    digests.append(self.store.put_results([pending])[0])
                    kept.append(pending)
                except EncodingError as error:
                    self._refuse(pending, error)
            results = kept
        self.commits += 1
        for pending, digest in zip(results, digests, strict=True):
            self.digests[pending.node.id] = digest
        return results

    def _freed(self, results: list[_Put]) -> None:
        self._free(sum(r.size for r in results))

    def _free(self, size: int) -> None:
        with self._room:
            self._pending_bytes -= size
            self._room.notify_all()

    def _release(self, items: list[Any]) -> None:
        for item in items:
            if isinstance(item, _Flush):
                item.done.set()
            elif isinstance(item, _Call) and not item.future.done():
                item.future.set_exception(RuntimeError("the store writer stopped"))

    def _drain_after_error(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            self._release([item])


def _size_of(value: Any) -> int:
    """A cheap estimate of the memory a value holds (arrays and images dominate)."""
    array = getattr(value, "array", value)
    nbytes = getattr(array, "nbytes", None)
    if isinstance(nbytes, int):
        return nbytes
    if isinstance(value, bytes | bytearray | str):
        return len(value)
    return 64
