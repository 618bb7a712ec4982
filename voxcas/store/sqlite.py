"""`SqliteStore`: the persistent store, one SQLite database (`store.db`) in WAL mode via apsw.

Design
------
- **Binding.** apsw bundles its own SQLite (3.54 here), free of the WAL-reset race of SQLite
  3.7.0–3.51.2 that can corrupt a database written by several processes; the system library of
  these machines is 3.40.1, so the stdlib `sqlite3` module is not used for stores.
- **What is written when.** Values are encoded, hashed and compressed *before* the write lock is
  taken; the bytes of large objects are written to the blob tier (`self.blobs`: a new store's
  own `blobs/` directory, see `OWN_BLOBS`) before it too; then one `BEGIN IMMEDIATE` transaction
  inserts the object rows (items first, for containers), the node record and the result: durable
  before visible. `put_results` does the same
  for many results in one transaction (the executor's batched commits). Existing objects, node
  records and identical results are left untouched (idempotent writes).
- **Durability.** WAL with `synchronous=NORMAL`: a committed transaction survives the death of the
  process at any instant (kill -9 included), since the WAL is written before COMMIT returns; only an
  operating-system crash or power loss may roll back the last transactions (never corrupt).
- **Concurrency.** Readers never block (WAL). Writers take the lock with `BEGIN IMMEDIATE` and wait
  up to `BUSY_TIMEOUT_MS` (60 s) for one another, so "database is locked" does not reach callers.
  Within a process, one connection is shared by threads under a lock that also refuses use from a
  forked child (a connection must never cross a fork; the child opens the store itself).
- **WAL size.** A checkpoint copies the WAL into the database and fsyncs both files, which costs
  more than the write itself for large objects. So instead of SQLite's automatic checkpoint in the
  committing thread, a WAL hook wakes a background `Checkpointer` thread (own connection) once the
  WAL holds `CHECKPOINT_BYTES`; it runs a PASSIVE checkpoint (never blocks writers or readers).
  A commit leaving `WAL_LIMIT` or more in the WAL waits for a complete checkpoint (back-pressure),
  so the WAL file stays below `WAL_LIMIT` plus one transaction (docs/store.md states the bound).
  `journal_size_limit` truncates the WAL file after it is reset, and `checkpoint()` runs a TRUNCATE
  checkpoint (gc calls it; closing the last connection checkpoints too). A kill at any point is
  safe: the WAL is the source of truth until a checkpoint completes.
- **Reads are verified**: `get`/`get_encoded` decompress, re-hash and compare with the digest;
  a mismatch raises `CorruptObjectError`, never returns data. Large raw objects are read in 4 MiB
  chunks while a helper thread hashes the previous chunk; arrays are read-only views of the bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from voxcas.errors import (
    CorruptObjectError,
    ObjectNotFoundError,
    StoreError,
    StoreNotFoundError,
    UsageError,
)
from voxcas.ids import DIGEST_PREFIX, Digest, NodeId, RunId, digest_bytes, new_run_id
from voxcas.plan.identity import definition_to_json
from voxcas.plan.nodes import Apply, PlanNode
from voxcas.store import codec
from voxcas.store.base import (
    FailureInfo,
    NodeRecord,
    ObjectInfo,
    PendingResult,
    Resolved,
    ResultInfo,
    RunInfo,
    RunSource,
    Store,
    StoredObject,
    StoredSequence,
)
from voxcas.store.blobs import LARGE, BlobStore
from voxcas.store.blobs_dir import DirectoryBlobs
from voxcas.store.common import check_ref_name, op_of, resolve_text
from voxcas.store.detached import Detached, DetachedRow
from voxcas.store.preencoded import InTier, PreEncoded
from voxcas.store.schema import (
    RESULT_BYTES,
    RUN_COLUMNS,
    SCHEMA_VERSION,
    check_version,
    migrate,
    read_version,
)
from voxcas.store.sqlite_blobs import SqliteBlobs
from voxcas.store.sqlite_conn import (
    BUSY_TIMEOUT_MS,
    CHECKPOINT_BYTES,
    DB_NAME,
    JOURNAL_SIZE_LIMIT,
    PAGE_SIZE,
    Checkpointer,
    ProcessLock,
    connect,
    connect_reader,
    connect_readonly,
    writable,
)
from voxcas.store.tiers import normal_location, open_tier
from voxcas.store.trust import Trust

# A new store keeps the bytes of large objects as files in this directory of its own (recorded
# relative to the store in `meta.blobs`). Measured (CPU time, stable on a shared machine: 7 float32
# volumes of 35.7 MB put, then close): 0.70 s in files against 1.17 s in store.db, whose bytes go
# through the WAL and are copied again by the checkpoint.
OWN_BLOBS = "blobs"

# (encoded object, codec, stored bytes); items of containers come before their parent
Prepared = tuple[codec.Encoded, str, Any]


class SqliteStore(Store):
    """The store in `directory/store.db` (see the module docstring for the guarantees)."""

    def __init__(
        self,
        directory: Path,
        *,
        create: bool = False,
        blobs: Path | str | None = None,
        inline: bool = False,
    ) -> None:
        """Open (or with `create`, create) the store.

        With `create`, `blobs` puts the bytes of large objects in that directory or fsspec URL
        from now on (`vox init --blobs DIR|URL`). A store created now without `blobs` keeps them
        in its own `blobs/` directory (`OWN_BLOBS`), or with `inline` inside store.db; an
        existing store keeps the tier it has."""
        import apsw

        self.directory = Path(directory)
        self.db_path = self.directory / DB_NAME
        new = not self.db_path.exists()
        if new:
            if not create:
                raise StoreNotFoundError(f"no voxcas store at {self.directory} (missing {DB_NAME})")
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create a store at {self.directory}: {exc.strerror or exc}"
                ) from None
        self._lock = ProcessLock()
        self._depth = 0
        self._writing_thread: int | None = None  # the thread inside `transaction()`, if any
        self._read_lock = ProcessLock()
        self._reader: Any = None  # a second connection for queries (opened on first use)
        self._wal_identity: tuple[int, int] | None = None  # the WAL file of our last commit
        # a store this process may not write is opened read-only: reads work, writes say why
        self.readonly = self.db_path.exists() and not writable(self.directory, self.db_path)
        try:
            self._conn = (
                connect_readonly(self.db_path) if self.readonly else connect(self.db_path, create=create)
            )
        except apsw.NotADBError:
            raise StoreError(f"{self.db_path} is not a voxcas store (not an SQLite database)") from None
        try:
            if self.readonly:
                self._check_readable_version()
            else:
                migrate(self._conn, str(self.directory))
        except BaseException as exc:
            self._conn.close()
            if isinstance(exc, apsw.NotADBError):
                raise StoreError(f"{self.db_path} is not a voxcas store (not an SQLite database)") from None
            raise
        self._inline = SqliteBlobs(lambda: self._conn, self._lock)
        if create and new and blobs is None and not inline:
            blobs = self.directory / OWN_BLOBS
        try:
            self.blobs: BlobStore = self._open_blobs(blobs if create else None)
        except BaseException:
            self._conn.close()
            raise
        self._checkpointer: Checkpointer | None = None
        if not self.readonly:
            self._checkpointer = Checkpointer(self.db_path)
            self._conn.set_wal_hook(self._checkpointer.hook)  # replaces SQLite's automatic checkpoint

    def _check_readable_version(self) -> None:
        """A read-only store must already have the current layout (it cannot be migrated)."""
        version = read_version(self._conn)
        check_version(version, str(self.directory))
        if version < SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.directory} is read-only and has schema version {version}; this "
                f"voxcas needs {SCHEMA_VERSION}: open it once with write access to upgrade it"
            )

    def _refuse_write(self) -> StoreError:
        return StoreError(
            f"cannot write to the store {self.directory}: it is read-only (this process may read "
            "it, not change it); nothing was written"
        )

    def _open_blobs(self, wanted: Path | str | None) -> BlobStore:
        """The blob tier `meta.blobs` names (choosing `wanted` first, when given)."""
        rows = list(self._conn.execute("SELECT value FROM meta WHERE key='blobs'"))
        tier = str(rows[0][0]) if rows else ""
        own = tier == OWN_BLOBS  # recorded relative: the store may be moved or copied whole
        if wanted is None:
            if not tier:
                return self._inline
            if own:
                return DirectoryBlobs(self.directory / OWN_BLOBS, shared=False)
            return open_tier(tier)
        location = normal_location(wanted)
        mine = normal_location(self.directory / OWN_BLOBS)
        current = mine if own else tier
        if tier and current != location:
            raise UsageError(
                f"the store {self.directory} keeps its large objects in {current}, not in {location}"
            )
        if location == mine:
            chosen: BlobStore = DirectoryBlobs(Path(location), create=True, shared=False)
        else:
            chosen = open_tier(location, create=True)
        if not tier:  # objects stored so far keep their bytes where their rows say
            self._conn.execute(
                "INSERT INTO meta(key, value) VALUES('blobs', ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (OWN_BLOBS if location == mine else chosen.location,),
            )
        return chosen

    # -- plumbing ---------------------------------------------------------------------------
    @property
    def connection(self) -> Any:
        """The apsw connection (gc, fsck and bundles work on it inside `transaction()`)."""
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A write transaction (BEGIN IMMEDIATE); nested uses join the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            if self.readonly:
                raise self._refuse_write()
            self._check_wal()
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except Exception as exc:
                raise self._write_failure(exc) from None
            self._depth = 1
            self._writing_thread = threading.get_ident()
            try:
                yield self._conn
            except BaseException as exc:
                self._depth = 0
                self._writing_thread = None
                if not self._conn.getautocommit():  # SQLite may have rolled back already (disk full)
                    self._conn.execute("ROLLBACK")
                raise self._write_failure(exc) from None
            self._depth = 0
            self._writing_thread = None
            try:
                self._conn.execute("COMMIT")
            except Exception as exc:
                if not self._conn.getautocommit():
                    self._conn.execute("ROLLBACK")
                raise self._write_failure(exc) from None
            self._wal_identity = self._wal_stat()

    def _wal_stat(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.db_path.with_name(DB_NAME + "-wal"))
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def _check_wal(self) -> None:
        """Refuse to write once the WAL this connection uses was deleted or replaced under it.

        Another process would no longer see what this one commits (it would open a new, empty
        WAL), so a later run would silently lose it. What the old WAL holds is first copied into
        store.db (this connection still has the deleted file open), so nothing committed is lost.
        """
        if self._wal_identity is None or self._wal_stat() == self._wal_identity:
            return
        import apsw

        with suppress(apsw.Error):
            self._conn.wal_checkpoint(mode=apsw.SQLITE_CHECKPOINT_FULL)
        raise StoreError(
            f"the write-ahead log of the store {self.directory} ({DB_NAME}-wal) was deleted or replaced "
            "while this process had the store open; what was committed is saved in store.db, but this "
            "process writes nothing more: open the store again"
        )

    def _write_failure(self, exc: BaseException) -> BaseException:
        """The one-line error for a write SQLite refused (disk full, read-only, I/O), else `exc`."""
        import apsw

        why = (
            "the disk is full"
            if isinstance(exc, apsw.FullError)
            else "it is read-only"
            if isinstance(exc, apsw.ReadOnlyError)
            else "an input/output error"
            if isinstance(exc, apsw.IOError)
            else None
        )
        if why is None:
            return exc
        return StoreError(
            f"cannot write to the store {self.directory}: {why}; nothing of this write was committed"
        )

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only query.

        Inside a transaction of this thread the query runs on the writing connection (it sees
        the transaction's own changes). Otherwise it runs on a second, read-only connection: in
        WAL mode it reads the last committed state without waiting for a commit in progress on
        another thread (the executor looks results up while its writer thread commits).
        """
        if self._writing_thread == threading.get_ident():
            with self._lock:
                return list(self._conn.execute(sql, params))
        with self._read_lock:
            if self._reader is None:
                if self._conn is None:
                    raise StoreError(f"the store {self.directory} is closed")
                self._reader = (
                    connect_readonly(self.db_path) if self.readonly else connect_reader(self.db_path)
                )
            return list(self._reader.execute(sql, params))

    def checkpoint(self) -> None:
        """Copy the WAL into the database and truncate it. Best effort: while another connection
        (the background checkpointer, another process) holds the WAL, it retries for up to a
        second, then leaves the WAL to the next checkpoint."""
        import time

        import apsw

        if self.readonly:
            return
        for _attempt in range(50):
            with self._lock:
                try:
                    self._conn.wal_checkpoint(mode=apsw.SQLITE_CHECKPOINT_TRUNCATE)
                    return
                except apsw.BusyError:
                    pass
            time.sleep(0.02)

    # -- objects ----------------------------------------------------------------------------
    def _encode(self, value: Any, out: list[codec.Encoded]) -> Digest:
        """Encode a value and (first) its items into `out`; return its digest. No store access."""
        if type(value) is StoredObject:  # stored already (the writer's large values)
            return value.digest
        if isinstance(value, StoredSequence) and value.store is not self:
            for digest in value.digests:
                self._encode_copy(value.store, digest, out)
        enc = codec.encode(value, lambda item: self._encode(item, out), pieces=True)
        out.append(enc)
        return enc.digest

    def _encode_copy(self, source: Store, digest: Digest, out: list[codec.Encoded]) -> None:
        if self.has(digest):
            return
        data = source.get_encoded(digest)
        kind, children = codec.children_of(data, digest)
        for child in children:
            self._encode_copy(source, child, out)
        out.append(codec.Encoded(kind, data, digest, children))

    def _prepare(self, encoded: list[codec.Encoded]) -> list[Prepared]:
        """The encoded objects to insert, compressed (outside any transaction): each once, and
        only those the store lacks. Objects too small to compress are not looked up (asking costs
        more than inserting them, and `INSERT OR IGNORE` leaves a stored one untouched)."""
        tiny = codec.COMPRESS_FROM
        absent = self.missing(e.digest for e in encoded if e.size >= tiny)
        prepared: list[Prepared] = []
        seen: set[Digest] = set()
        for enc in encoded:
            if enc.size < tiny:
                if enc.digest not in seen:
                    seen.add(enc.digest)
                    prepared.append((enc, codec.CODEC_NONE, enc.data))
            elif enc.digest in absent:
                absent.discard(enc.digest)
                how, stored = codec.compress(enc.data)
                prepared.append((enc, how, stored))
        return prepared

    _INSERT_OBJECT = (
        "INSERT OR IGNORE INTO objects(digest, kind, size, stored_size, codec, created, data) "
        "VALUES(?,?,?,?,?,?,?)"
    )

    def _insert_objects(self, prepared: Iterable[Prepared]) -> None:
        """Insert object rows (inside the caller's transaction).

        Small objects go in `executemany` runs (a batch of 10,000 scalars is one call instead of
        10,000); large ones one by one through incremental blob I/O, in the same order (items
        before their containers). Item rows are idempotent (`INSERT OR IGNORE` on their key), so
        they are written for every new container.
        """
        now = time.time()
        conn = self._conn
        small: list[tuple[Any, ...]] = []
        items: list[tuple[str, int, str]] = []
        for enc, how, stored in prepared:
            if isinstance(stored, InTier):  # a worker wrote the bytes to the blob tier already
                if small:
                    conn.executemany(self._INSERT_OBJECT, small)
                    small = []
                self._index_in_tier(enc, how, stored, now)
                if enc.children:
                    items.extend((enc.digest, i, c) for i, c in enumerate(enc.children))
                continue
            stored_size = codec.nbytes(stored)
            if stored_size < LARGE:
                small.append((enc.digest, enc.kind, enc.size, stored_size, how, now, stored))
            else:  # through the blob tier: no copy of the value in a bound parameter
                if small:
                    conn.executemany(self._INSERT_OBJECT, small)
                    small = []
                inline = self.blobs.inline
                conn.execute(
                    "INSERT OR IGNORE INTO objects(digest, kind, size, stored_size, codec, created, data) "
                    "VALUES(?,?,?,?,?,?,zeroblob(?))",
                    (enc.digest, enc.kind, enc.size, stored_size, how, now, stored_size if inline else 0),
                )
                if not conn.changes():
                    continue  # another process stored it meanwhile
                # a separate tier was written before the transaction: put again only if gone since
                if inline or not self.blobs.has(enc.digest):
                    self._put_blob(enc.digest, stored)
            if enc.children:
                items.extend((enc.digest, i, c) for i, c in enumerate(enc.children))
        if small:
            conn.executemany(self._INSERT_OBJECT, small)
        if items:
            conn.executemany("INSERT OR IGNORE INTO object_items(parent, idx, child) VALUES(?,?,?)", items)

    def _index_in_tier(self, enc: codec.Encoded, how: str, stored: InTier, now: float) -> None:
        """The row of an object whose bytes a worker put in the blob tier (which must hold them)."""
        if self.blobs.inline or not self.blobs.has(enc.digest):
            raise CorruptObjectError(
                f"object {enc.digest} was computed elsewhere but its bytes are not in the blob tier "
                f"{self.blobs.location or self.db_path}"
            )
        self._conn.execute(
            self._INSERT_OBJECT, (enc.digest, enc.kind, stored.size, stored.stored_size, how, now, b"")
        )

    def _prepare_pre_encoded(self, rows: list[Prepared]) -> list[Prepared]:
        """Rows of pre-encoded values (`voxcas.store.preencoded`) the store lacks, each once."""
        absent = self.missing(enc.digest for enc, _, _ in rows)
        prepared: list[Prepared] = []
        for row in rows:
            if row[0].digest in absent:
                absent.discard(row[0].digest)
                prepared.append(row)
        return prepared

    def _put_blobs(self, prepared: list[Prepared]) -> None:
        """Write large objects to a separate blob tier before the transaction that indexes them
        (durable before visible; the write lock is not held while the bytes are written)."""
        if self.blobs.inline:
            return
        for enc, _, stored in prepared:
            if not isinstance(stored, InTier) and codec.nbytes(stored) >= LARGE:
                self._put_blob(enc.digest, stored)

    def _put_blob(self, digest: Digest, stored: Any) -> None:
        if isinstance(stored, codec.Pieces):  # a large array's encoding: written where it lies
            self.blobs.put_pieces(digest, stored.parts)
        else:
            self.blobs.put(digest, stored)

    def put(self, value: Any) -> Digest:
        encoded: list[codec.Encoded] = []
        digest = self._encode(value, encoded)
        prepared = self._prepare(encoded)
        self._put_blobs(prepared)
        if prepared:
            with self.transaction():
                self._insert_objects(prepared)
        return digest

    def add_stored(self, enc: codec.Encoded, how: str, stored: Any) -> bool:
        """Index one verified object given its stored bytes (a bundle import), inside the caller's
        transaction; large bytes go to the blob tier. False when the store already had it."""
        if self.has_row(enc.digest):
            return False
        self._insert_objects([(enc, how, stored)])
        return True

    def fill_result_bytes(self) -> None:
        """Record `results.bytes` wherever it is unknown (results a bundle import just bound),
        inside the caller's transaction."""
        self._conn.execute(f"UPDATE results SET bytes = {RESULT_BYTES} WHERE bytes IS NULL")

    def has_row(self, digest: Digest) -> bool:
        """Whether the object's row exists (seen from inside this thread's transaction)."""
        return bool(self.query("SELECT 1 FROM objects WHERE digest=?", (digest,)))

    # -- what fsck, stats, bundles and gc read about objects (the only SQL on them is here) ------
    def object_kinds(self) -> list[tuple[Digest, str]]:
        """(digest, recorded kind) of every object, oldest first (fsck walks them)."""
        return [(Digest(d), str(k)) for d, k in self.query("SELECT digest, kind FROM objects ORDER BY rowid")]

    def items_of(self, digest: Digest) -> tuple[Digest, ...]:
        """The item digests an object's item rows list, in order (empty for a scalar or array)."""
        rows = self.query("SELECT child FROM object_items WHERE parent=? ORDER BY idx", (digest,))
        return tuple(Digest(c) for (c,) in rows)

    def item_count(self) -> int:
        return int(self.query("SELECT count(*) FROM object_items")[0][0])

    def dangling_items(self, limit: int = -1) -> list[tuple[Digest, Digest]]:
        """(container, item) pairs whose item object is missing."""
        rows = self.query(
            "SELECT parent, child FROM object_items WHERE child NOT IN (SELECT digest FROM objects) LIMIT ?",
            (limit,),
        )
        return [(Digest(p), Digest(c)) for p, c in rows]

    def result_links(self) -> list[tuple[NodeId, Digest, bool, bool]]:
        """(node, digest, whether its object exists, whether its node record exists) of every result."""
        rows = self.query(
            "SELECT r.node, r.digest, o.digest IS NOT NULL, n.id IS NOT NULL FROM results r "
            "LEFT JOIN objects o ON o.digest = r.digest LEFT JOIN nodes n ON n.id = r.node"
        )
        return [(NodeId(n), Digest(d), bool(o), bool(r)) for n, d, o, r in rows]

    def kind_usage(self) -> list[tuple[str, int, int, int]]:
        """(kind, objects, uncompressed bytes, stored bytes) per kind, largest stored first."""
        rows = self.query(
            "SELECT kind, count(*), sum(size), sum(stored_size) FROM objects "
            "GROUP BY kind ORDER BY sum(stored_size) DESC"
        )
        return [(str(k), int(c), int(s or 0), int(ss or 0)) for k, c, s, ss in rows]

    def sweep_blobs(self, before: float) -> int:
        """Delete the blob tier's files that no object row names and nobody touched since `before`
        (gc: a blob written but never indexed, or whose object gc removed); return how many."""
        if self.blobs.inline:
            return 0
        old = [d for d, mtime in self.blobs.stored() if mtime < before]
        deleted = 0
        for digest in sorted(self.missing(old)):
            self.blobs.delete(digest)
            deleted += 1
        if isinstance(self.blobs, DirectoryBlobs):
            for path, mtime in list(self.blobs.temporaries()):
                if mtime < before:
                    path.unlink(missing_ok=True)
        return deleted

    def drop_blobs(self, digests: Iterable[Digest]) -> int:
        """Delete at once (no grace period) the blob tier's files of these objects when no row
        names them (gc of a finished run's own objects); return how many. Under the write lock:
        a writer indexing one of them later finds its file gone and writes it again
        (`_insert_objects`), one that indexed it before keeps it (its row names it)."""
        if self.blobs.inline:
            return 0
        deleted = 0
        with self.transaction():
            for digest in sorted(self.missing(digests)):
                if self.blobs.has(digest):
                    self.blobs.delete(digest)
                    deleted += 1
        return deleted

    def _row(self, digest: Digest, *, hasher: Any = None) -> tuple[str, int, str, Any]:
        """kind, size, codec and stored bytes of an object (large blobs read straight into a buffer).

        With `hasher` (a hashlib object), the stored bytes of a large object are fed to it while they
        are read, chunk by chunk on a helper thread, so hashing overlaps reading.
        """
        with self._lock:
            rows = list(
                self._conn.execute(
                    "SELECT kind, size, codec, stored_size, CASE WHEN stored_size < ? THEN data END, "
                    "length(data) FROM objects WHERE digest=?",
                    (LARGE, digest),
                )
            )
            if not rows:
                raise ObjectNotFoundError(f"no object {digest} in the store")
            kind, size, how, stored_size, data, length = rows[0]
            if data is None and length:
                data = self._inline.read(digest, stored_size, hasher)
            elif data is not None and hasher is not None:
                hasher.update(data)
        if data is None:  # the bytes are in the blob tier (read without holding the lock)
            data = self.blobs.read(digest, stored_size, hasher)
        return str(kind), int(size), str(how), data

    def read_verified(self, digest: Digest) -> Any:
        """The uncompressed encoding of an object (bytes or bytearray), checked against its digest."""
        hasher = hashlib.sha256()
        _, size, how, stored = self._row(digest, hasher=hasher)
        if how == codec.CODEC_NONE:  # hashed while it was read
            actual = DIGEST_PREFIX + hasher.hexdigest()
            if actual != digest:
                raise CorruptObjectError(f"object {digest} is corrupt: its content hashes to {actual}")
            return stored
        data = codec.decompress(how, stored, size, digest)
        codec.verify(data, digest)
        return data

    def detached(self, digest: Digest) -> Detached:
        """The rows a worker needs to read the value of `digest` from the blob tier itself
        (`voxcas.store.detached`): every object it reaches, the bytes of small ones (and of
        large ones kept inside this database) included, nothing read from the blob tier."""
        rows: list[DetachedRow] = []
        seen: set[Digest] = set()
        todo = [digest]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            with self._lock:
                found = list(
                    self._conn.execute(
                        "SELECT size, codec, stored_size, CASE WHEN stored_size < ? THEN data END, "
                        "length(data) FROM objects WHERE digest=?",
                        (LARGE, current),
                    )
                )
                if not found:
                    raise ObjectNotFoundError(f"no object {current} in the store")
                size, how, stored_size, data, length = found[0]
                if data is None and length:  # a large object inside this database: shipped
                    data = bytes(self._inline.read(current, stored_size))
            rows.append(DetachedRow(current, int(size), str(how), int(stored_size), data))
            todo.extend(self.items_of(current))
        return Detached(digest, tuple(rows))

    def read_stored(self, digest: Digest) -> tuple[str, int, str, Any]:
        """kind, size, codec and stored (possibly compressed) bytes of an object, verified first."""
        kind, size, how, stored = self._row(digest)
        codec.verify(codec.decompress(how, stored, size, digest), digest)
        return kind, size, how, stored

    def get_encoded(self, digest: Digest) -> bytes:
        data = self.read_verified(digest)
        return data if isinstance(data, bytes) else bytes(data)

    def get(self, digest: Digest) -> Any:
        return codec.decode(self.read_verified(digest), digest, self.get, self)

    def get_many(self, digests: Sequence[Digest]) -> list[Any]:
        """Small objects in one query per batch (a loop's 10,000 scalar items are 40 queries, not
        10,000); large ones through `get`, which streams and hashes them."""
        wanted = list(dict.fromkeys(digests))
        rows: dict[str, tuple[int, str, Any]] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT digest, size, codec, data FROM objects WHERE stored_size<? AND digest IN ({marks})"
            for digest, size, how, data in self.query(sql, [LARGE, *chunk]):
                rows[digest] = (size, how, data)
        values: dict[str, Any] = {}
        for digest in wanted:
            row = rows.get(digest)
            if row is None:  # large, or absent: get() streams it or raises ObjectNotFoundError
                values[digest] = self.get(digest)
                continue
            size, how, data = row
            encoded = data if how == codec.CODEC_NONE else codec.decompress(how, data, size, digest)
            codec.verify(encoded, digest)
            values[digest] = codec.decode(encoded, digest, self.get, self)
        return [values[d] for d in digests]

    def has(self, digest: Digest) -> bool:
        return bool(self.query("SELECT 1 FROM objects WHERE digest=?", (digest,)))

    def discard_damaged(self, digest: Digest) -> bool:
        try:
            self.read_verified(digest)
            return False
        except ObjectNotFoundError:
            return False
        except CorruptObjectError:
            pass
        with self.transaction() as conn:  # its item rows go with it; the items themselves stay
            conn.execute("DELETE FROM object_items WHERE parent=?", (digest,))
            conn.execute("DELETE FROM objects WHERE digest=?", (digest,))
        if not self.blobs.inline:
            self.blobs.delete(digest)
        return True

    def missing(self, digests: Iterable[Digest]) -> set[Digest]:
        wanted = list(dict.fromkeys(digests))
        present: set[str] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            present.update(
                r[0] for r in self.query(f"SELECT digest FROM objects WHERE digest IN ({marks})", chunk)
            )
        return {d for d in wanted if d not in present}

    def object_info(self, digest: Digest) -> ObjectInfo | None:
        rows = self.query("SELECT kind, size, stored_size, created FROM objects WHERE digest=?", (digest,))
        if not rows:
            return None
        k, size, stored, created = rows[0]
        return ObjectInfo(digest, k, int(size), int(stored), float(created))

    def objects(self) -> Iterator[ObjectInfo]:
        rows = self.query(
            "SELECT digest, kind, size, stored_size, created FROM objects ORDER BY created DESC, rowid DESC"
        )
        return iter([ObjectInfo(Digest(d), k, int(s), int(ss), float(c)) for d, k, s, ss, c in rows])

    # -- nodes and results ------------------------------------------------------------------
    _INSERT_NODE = "INSERT OR IGNORE INTO nodes(id, definition, op, span, label) VALUES(?,?,?,?,?)"

    @staticmethod
    def _node_row(node: PlanNode) -> tuple[Any, ...]:
        """The `nodes` row of a node: the fields of `node_record`, without building one."""
        d = node.definition
        span = None if node.span is None else str(node.span)
        return (node.id, definition_to_json(d), d.op if isinstance(d, Apply) else op_of(d), span, node.label)

    def put_results(self, pending: Sequence[PendingResult]) -> list[Digest]:
        encoded: list[codec.Encoded] = []
        pre: list[Prepared] = []
        digests: list[Digest] = []
        for p in pending:
            if isinstance(p.value, PreEncoded):  # encoded and partly stored by a cluster worker
                digests.append(p.value.digest)
                pre.extend(p.value.rows)
            else:
                digests.append(self._encode(p.value, encoded))
        prepared = self._prepare(encoded) + (self._prepare_pre_encoded(pre) if pre else [])
        self._put_blobs(prepared)
        nodes = [self._node_row(p.node) for p in pending]
        now = time.time()
        held = _held_bytes(digests, prepared, encoded)
        bindings = [
            (p.node.id, d, p.seconds, now, p.run, held.get(d)) for p, d in zip(pending, digests, strict=True)
        ]
        with self.transaction() as conn:
            self._insert_objects(prepared)
            conn.executemany(self._INSERT_NODE, nodes)
            conn.executemany(
                "INSERT INTO results(node, digest, seconds, created, run, provenance, bytes) "
                "VALUES(?,?,?,?,?, 'local', ?) "
                "ON CONFLICT(node) DO UPDATE SET digest=excluded.digest, seconds=excluded.seconds, "
                "created=excluded.created, run=excluded.run, provenance='local', bytes=excluded.bytes "
                "WHERE results.digest != excluded.digest",
                bindings,
            )
            unknown = [(b[0],) for b in bindings if b[5] is None]
            if unknown:  # objects stored before this batch: their sizes are in the table
                conn.executemany(self._SET_BYTES, unknown)
        return digests

    _SET_BYTES = f"UPDATE results SET bytes = {RESULT_BYTES} WHERE node = ? AND bytes IS NULL"

    def put_nodes(self, nodes: Iterable[PlanNode]) -> None:
        rows = [self._node_row(n) for n in nodes]
        with self.transaction() as conn:
            conn.executemany(self._INSERT_NODE, rows)

    def lookup(self, node: NodeId) -> Digest | None:
        return self.lookup_many([node]).get(node)

    def lookup_many(self, nodes: Iterable[NodeId]) -> dict[NodeId, Digest]:
        wanted = list(dict.fromkeys(nodes))
        found: dict[NodeId, Digest] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for n, d in self.query(
                f"SELECT r.node, r.digest FROM results r JOIN objects o ON o.digest = r.digest "
                f"WHERE r.node IN ({marks})",
                chunk,
            ):
                found[NodeId(n)] = Digest(d)
        return found

    def lookup_trusted(self, nodes: Iterable[NodeId], trust: Trust) -> dict[NodeId, Digest]:
        wanted = list(dict.fromkeys(nodes))
        found: dict[NodeId, Digest] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for n, d, p in self.query(
                f"SELECT r.node, r.digest, r.provenance FROM results r JOIN objects o ON o.digest = r.digest "
                f"WHERE r.node IN ({marks})",
                chunk,
            ):
                if trust.allows(p):
                    found[NodeId(n)] = Digest(d)
        return found

    @staticmethod
    def _result(row: tuple[Any, ...]) -> ResultInfo:
        n, d, s, c, r, p, b = row
        run = None if r is None else RunId(r)
        held = None if b is None else int(b)
        return ResultInfo(NodeId(n), Digest(d), float(s), float(c), run, str(p), held)

    _RESULT_COLS = "node, digest, seconds, created, run, provenance, bytes"

    def result(self, node: NodeId) -> ResultInfo | None:
        rows = self.query(f"SELECT {self._RESULT_COLS} FROM results WHERE node=?", (node,))
        return self._result(rows[0]) if rows else None

    def results(self) -> Iterator[ResultInfo]:
        rows = self.query(f"SELECT {self._RESULT_COLS} FROM results ORDER BY created DESC, rowid DESC")
        return iter([self._result(r) for r in rows])

    def node(self, node: NodeId) -> NodeRecord:
        rows = self.query("SELECT id, definition, op, span, label FROM nodes WHERE id=?", (node,))
        if not rows:
            raise ObjectNotFoundError(f"no node {node} in the store")
        i, d, o, s, lab = rows[0]
        return NodeRecord(NodeId(i), d, o, s, lab)

    def delete_result(self, node: NodeId) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM results WHERE node=?", (node,))

    def nodes_where(self, *, span: str | None = None, label: str | None = None) -> list[NodeRecord]:
        where = [(c, v) for c, v in (("span", span), ("label", label)) if v is not None]
        if not where:
            return []
        sql = "SELECT id, definition, op, span, label FROM nodes WHERE " + " AND ".join(
            f"{c}=?" for c, _ in where
        )
        rows = self.query(sql, [v for _, v in where])
        return [NodeRecord(NodeId(i), d, o, s, lab) for i, d, o, s, lab in rows]

    def node_runs(self, node: NodeId) -> list[tuple[RunId, str]]:
        rows = self.query(
            "SELECT run_nodes.run, run_nodes.status FROM run_nodes JOIN runs ON runs.id = run_nodes.run "
            "WHERE run_nodes.node=? ORDER BY runs.started DESC, runs.rowid DESC",
            (node,),
        )
        return [(RunId(r), st) for r, st in rows]

    # -- failures, runs, refs ---------------------------------------------------------------
    def record_failure(self, node: NodeId, run: RunId, message: str, traceback: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO failures(node, run, message, traceback, created) VALUES(?,?,?,?,?)",
                (node, run, message, traceback, time.time()),
            )

    def failures(self, run: RunId | None = None) -> list[FailureInfo]:
        sql = "SELECT node, run, message, traceback, created FROM failures"
        rows = self.query(
            sql + (" WHERE run=?" if run else "") + " ORDER BY created DESC, rowid DESC",
            (run,) if run else (),
        )
        return [FailureInfo(NodeId(n), RunId(r), m, t, float(c)) for n, r, m, t, c in rows]

    def start_run(
        self,
        program: str,
        program_digest: Digest | None,
        goals: list[dict[str, Any]],
        options: dict[str, Any] | None = None,
        *,
        sources: Sequence[tuple[str, str]] = (),
        names: Mapping[str, NodeId] | None = None,
    ) -> RunId:
        encoded: list[codec.Encoded] = []
        texts = [(path, self._encode(text, encoded)) for path, text in sources]
        prepared = self._prepare(encoded)  # compressed before the lock, as for results
        run = new_run_id()
        with self.transaction() as conn:
            self._insert_objects(prepared)
            conn.execute(
                "INSERT INTO runs(id, program, program_digest, started, status, goals, options) "
                "VALUES(?,?,?,?, 'running', ?, ?)",
                (run, program, program_digest, time.time(), json.dumps(goals), json.dumps(options or {})),
            )
            conn.executemany(
                "INSERT INTO run_sources(run, idx, path, digest) VALUES(?,?,?,?)",
                [(run, i, path, digest) for i, (path, digest) in enumerate(texts)],
            )
            conn.executemany(
                "INSERT INTO run_names(run, name, node) VALUES(?,?,?)",
                [(run, name, node) for name, node in (names or {}).items()],
            )
        return run

    def run_sources(self, run: RunId) -> list[RunSource]:
        self.run_info(run)
        rows = self.query("SELECT path, digest FROM run_sources WHERE run=? ORDER BY idx", (run,))
        return [RunSource(str(p), Digest(d)) for p, d in rows]

    def run_names(self, run: RunId) -> dict[str, NodeId]:
        self.run_info(run)
        rows = self.query("SELECT name, node FROM run_names WHERE run=? ORDER BY name", (run,))
        return {str(n): NodeId(i) for n, i in rows}

    def finish_run(self, run: RunId, status: str, *, computed: int, reused: int, failed: int) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET finished=?, status=?, computed=?, reused=?, failed=? WHERE id=?",
                (time.time(), status, computed, reused, failed, run),
            )
            if not conn.changes():
                raise ObjectNotFoundError(f"no run {run} in the store")

    _RUN_COLS = RUN_COLUMNS

    @staticmethod
    def _run(row: tuple[Any, ...]) -> RunInfo:
        i, p, pd, st, fi, status, c, r, f, goals, options = row
        return RunInfo(
            RunId(i),
            p,
            None if pd is None else Digest(pd),
            float(st),
            None if fi is None else float(fi),
            status,
            int(c),
            int(r),
            int(f),
            json.loads(goals),
            json.loads(options),
        )

    def run_info(self, run: RunId) -> RunInfo:
        rows = self.query(f"SELECT {self._RUN_COLS} FROM runs WHERE id=?", (run,))
        if not rows:
            raise ObjectNotFoundError(f"no run {run} in the store")
        return self._run(rows[0])

    def runs(self) -> list[RunInfo]:
        return [
            self._run(r)
            for r in self.query(f"SELECT {self._RUN_COLS} FROM runs ORDER BY started DESC, rowid DESC")
        ]

    def run_nodes(self, run: RunId) -> list[tuple[NodeId, str]]:
        return [
            (NodeId(n), s) for n, s in self.query("SELECT node, status FROM run_nodes WHERE run=?", (run,))
        ]

    def note_run_nodes(self, run: RunId, entries: Iterable[tuple[NodeId, str]]) -> None:
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO run_nodes(run, node, status) VALUES(?,?,?)",
                [(run, n, s) for n, s in entries],
            )

    def tag(self, name: str, run: RunId) -> None:
        check_ref_name(name)
        with self.transaction() as conn:
            if not conn.execute("SELECT 1 FROM runs WHERE id=?", (run,)).fetchone():
                raise ObjectNotFoundError(f"no run {run} in the store")
            conn.execute("INSERT OR REPLACE INTO refs(name, run) VALUES(?,?)", (name, run))

    def untag(self, name: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM refs WHERE name=?", (name,))
            if not conn.changes():
                raise ObjectNotFoundError(f"no ref named '{name}'")

    def refs(self) -> dict[str, RunId]:
        return {n: RunId(r) for n, r in self.query("SELECT name, run FROM refs ORDER BY name")}

    # -- ids --------------------------------------------------------------------------------
    def _find(self, prefix: str) -> list[tuple[Any, str]]:
        hi = prefix + "g"  # 'g' sorts after every hex digit: a range scan on the primary keys
        found: list[tuple[Any, str]] = []
        for (d,) in self.query(
            "SELECT digest FROM objects WHERE digest >= ? AND digest < ? LIMIT 6",
            (DIGEST_PREFIX + prefix, DIGEST_PREFIX + hi),
        ):
            found.append(("object", d))
        for (n,) in self.query("SELECT id FROM nodes WHERE id >= ? AND id < ? LIMIT 6", (prefix, hi)):
            found.append(("node", n))
        for (n,) in self.query("SELECT node FROM results WHERE node >= ? AND node < ? LIMIT 6", (prefix, hi)):
            found.append(("node", n))
        for (r,) in self.query("SELECT id FROM runs WHERE id >= ? AND id < ? LIMIT 6", (prefix, hi)):
            found.append(("run", r))
        return found

    def resolve(self, text: str) -> Resolved:
        return resolve_text(text, self.refs(), self._find)

    # -- fingerprints -----------------------------------------------------------------------
    def cached_fingerprint(self, path: str, stamp: str) -> str | None:
        rows = self.query("SELECT fingerprint FROM fingerprints WHERE path=? AND stamp=?", (path, stamp))
        return str(rows[0][0]) if rows else None

    def remember_fingerprint(self, path: str, stamp: str, fingerprint: str) -> None:
        # size and mtime_ns stay filled (schema v2 readers, plain SQLite users); stamp is the key
        parts = stamp.split(":")
        size, mtime_ns = (int(parts[1]), int(parts[2])) if len(parts) > 2 else (0, 0)
        if self.readonly:  # a cache: a read-only store hashes again next time
            return
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO fingerprints(path, size, mtime_ns, stamp, fingerprint) "
                "VALUES(?,?,?,?,?)",
                (path, size, mtime_ns, stamp, fingerprint),
            )

    # -- lifecycle --------------------------------------------------------------------------
    def close(self) -> None:
        with self._read_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        with self._lock:
            if self._conn is None:
                return
            if self._checkpointer is not None:
                self._checkpointer.stop()
            self._conn.close()  # the last connection to close checkpoints and removes the WAL
            self._conn = None

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.directory)!r})"


def _held_bytes(
    roots: Sequence[Digest], prepared: Sequence[Prepared], encoded: Sequence[codec.Encoded]
) -> dict[Digest, int]:
    """`results.bytes` of the roots whose objects (and items, transitively) are all among the
    objects this batch prepared, computed without a query; the others are left out (the caller
    asks the table, `RESULT_BYTES`)."""
    sizes: dict[str, int] = {}
    children: dict[str, tuple[Digest, ...]] = {e.digest: e.children for e in encoded}
    for enc, _, stored in prepared:
        sizes[enc.digest] = stored.stored_size if isinstance(stored, InTier) else codec.nbytes(stored)
        children[enc.digest] = enc.children
    held: dict[Digest, int] = {}
    for root in dict.fromkeys(roots):
        if not children.get(root):  # the common case: a scalar, an array, an image
            if root in sizes:
                held[root] = sizes[root]
            continue
        seen: set[str] = set()
        todo: list[str] = [root]
        total = 0
        while todo:
            d = todo.pop()
            if d in seen:
                continue
            if d not in sizes:
                break
            seen.add(d)
            total += sizes[d]
            todo.extend(children.get(d, ()))
        else:
            held[root] = total
    return held


def digest_of_file(path: Path) -> Digest:
    """The digest of a file's bytes, read in chunks (bundles are named by it)."""
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return Digest(DIGEST_PREFIX + h.hexdigest())


__all__ = [
    "BUSY_TIMEOUT_MS",
    "CHECKPOINT_BYTES",
    "DB_NAME",
    "JOURNAL_SIZE_LIMIT",
    "PAGE_SIZE",
    "SqliteStore",
    "connect",
    "digest_bytes",
    "digest_of_file",
]
