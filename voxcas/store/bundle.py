"""Bundles: single-file exports of part of a store, and their verified, all-or-nothing import.

A bundle is an SQLite database with the store's own tables (see `api/bundle-format.md`); it is
never unpacked to paths chosen by its content. Its `meta` table carries `format = voxcas-bundle`,
`bundle_version`, `schema_version` and `manifest`: the SHA-256 of a canonical listing of every
row identity (objects, nodes, results, runs, run nodes, refs, and from schema 4 the runs' code
and names), so a damaged or truncated bundle is noticed even where SQLite itself does not complain.
A run travels with its code (program and imported texts) and its top-level names.

**Export** (`export_bundle`) resolves the roots (runs, ref names, node ids, digests, as for
`vox show`), gathers their results (a run's: the results it computed, the nodes it noted as
computed/reused, and its goals), with `closure=True` also the results of every node their
definitions depend on, plus the records of the constants and closures their applications take
(so the importer can recompute them: `vox verify`), then every object these reach (sequence and
mapping items included). Every object is verified as it is read. The file is written to a
temporary name in the target directory and renamed into place when complete, so a reader never
sees half a bundle.

**Import** (`import_bundle`) checks the header, the SQLite structure (`quick_check`), the format
version and the manifest; then, in ONE store transaction, it re-hashes every object, checks that
the encoding's kind and size match the row and that every item is present, recomputes every node
id from its definition, and checks every result's object and node. Any failure raises `BundleError`
and rolls back: the store is unchanged. Results are added with `provenance = import:<bundle
digest>`; results the store already has are kept (local work wins); refs whose name already
exists locally are skipped and reported.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from voxcas.errors import BundleError, CorruptObjectError, VoxcasError
from voxcas.ids import Digest, NodeId, RunId
from voxcas.plan.identity import definition_from_json, node_id
from voxcas.plan.nodes import Apply, Closure, ValueRef
from voxcas.store import codec
from voxcas.store.address import resolve
from voxcas.store.base import ResultInfo
from voxcas.store.bundle_check import (
    DEFAULT_MAX_OBJECT_BYTES,
    check_node_row,
    check_ref_row,
    check_result_times,
    check_run_row,
    check_shape,
    verify_object,
)
from voxcas.store.schema import RUN_COLUMNS, SCHEMA_VERSION, migrate, read_version
from voxcas.store.sqlite import SqliteStore, digest_of_file
from voxcas.store.trust import SIGNED, check_signature, content_digest, sign

BUNDLE_FORMAT = "voxcas-bundle"
BUNDLE_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
RUN_KEEPS = ("computed", "reused")


@dataclass(slots=True)
class ExportReport:
    path: str
    digest: str
    objects: int
    nodes: int
    results: int
    runs: int
    refs: int
    bytes: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class ImportReport:
    bundle: str
    digest: str
    objects_added: int = 0
    objects_present: int = 0
    nodes_added: int = 0
    results_added: int = 0
    results_present: int = 0
    runs_added: int = 0
    refs_added: int = 0
    refs_skipped: list[str] = field(default_factory=list)
    signer: str | None = None  # the public key that signed the bundle (checked), if signed

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# -- export ---------------------------------------------------------------------------------------


def _dependencies(store: SqliteStore, node: NodeId) -> tuple[NodeId, ...]:
    rows = store.query("SELECT definition FROM nodes WHERE id=?", (node,))
    if not rows:
        return ()
    definition = definition_from_json(rows[0][0])
    if isinstance(definition, Apply):
        return definition.args
    if isinstance(definition, Closure):
        return definition.captures
    return ()


def _definition_arguments(store: SqliteStore, nodes: set[NodeId]) -> set[NodeId]:
    """The constants and closures the applications among `nodes` take (and, through closures,
    capture): their records travel, so an importer can recompute a result (`vox verify`)."""
    found: set[NodeId] = set()
    stack = list(nodes)
    while stack:
        for dep in _dependencies(store, stack.pop()):
            if dep in nodes or dep in found:
                continue
            rows = store.query("SELECT op FROM nodes WHERE id=?", (dep,))
            if rows and rows[0][0] in ("const", "closure"):
                found.add(dep)
                stack.append(dep)
    return found


def _run_nodes(store: SqliteStore, run: RunId) -> set[NodeId]:
    nodes = {NodeId(n) for (n,) in store.query("SELECT node FROM results WHERE run=?", (run,))}
    marks = ",".join("?" * len(RUN_KEEPS))
    nodes |= {
        NodeId(n)
        for (n,) in store.query(
            f"SELECT node FROM run_nodes WHERE run=? AND status IN ({marks})", (run, *RUN_KEEPS)
        )
    }
    for goal in store.run_info(run).goals:
        if goal.get("node"):
            nodes.add(NodeId(str(goal["node"])))
    return nodes


def _has_table(conn: Any, name: str) -> bool:
    return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone())


def _manifest(conn: Any) -> str:
    h = hashlib.sha256()
    listings: tuple[str, ...] = (
        "SELECT digest, kind, size, codec, stored_size FROM objects ORDER BY digest",
        "SELECT parent, idx, child FROM object_items ORDER BY parent, idx",
        "SELECT id, definition FROM nodes ORDER BY id",
        "SELECT node, digest, seconds, created, run FROM results ORDER BY node",
        "SELECT id, program, started, status FROM runs ORDER BY id",
        "SELECT run, node, status FROM run_nodes ORDER BY run, node",
        "SELECT name, run FROM refs ORDER BY name",
    )
    if _has_table(conn, "run_sources"):  # schema 4: a run's code and names (older bundles lack them)
        listings += (
            "SELECT run, idx, path, digest FROM run_sources ORDER BY run, idx",
            "SELECT run, name, node FROM run_names ORDER BY run, name",
        )
    for sql in listings:
        h.update(sql.encode())
        for row in conn.execute(sql):
            h.update(json.dumps(list(row), ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            h.update(b"\n")
    return h.hexdigest()


@dataclass(slots=True)
class _Selection:
    runs: set[RunId]
    refs: dict[str, RunId]
    nodes: set[NodeId]
    results: list[ResultInfo]
    objects: list[Digest]  # roots of the object walk


def _select(store: SqliteStore, roots: list[str], closure: bool) -> _Selection:
    if not roots:
        raise BundleError("nothing to export: name at least one run, ref, node or object")
    runs: set[RunId] = set()
    refs: dict[str, RunId] = {}
    nodes: set[NodeId] = set()
    objects: list[Digest] = []
    all_refs = store.refs()
    for text in roots:
        kind, ident = resolve(store, text)  # RUN:NAME and latest~N too
        if kind == "run":
            runs.add(RunId(ident))
            if text in all_refs:
                refs[text] = RunId(ident)
            nodes |= _run_nodes(store, RunId(ident))
        elif kind == "node":
            nodes.add(NodeId(ident))
        else:
            objects.append(Digest(ident))
    if closure:
        stack = list(nodes)
        while stack:
            for dep in _dependencies(store, stack.pop()):
                if dep not in nodes:
                    nodes.add(dep)
                    stack.append(dep)
    nodes |= _definition_arguments(store, nodes)
    results = [r for n in sorted(nodes) if (r := store.result(n)) is not None]
    for n in sorted(nodes):
        rows = store.query("SELECT definition FROM nodes WHERE id=?", (n,))
        if rows:
            definition = definition_from_json(rows[0][0])
            if isinstance(definition, ValueRef):
                objects.append(definition.digest)
    objects += [r.digest for r in results]
    objects += [src.digest for run in sorted(runs) for src in store.run_sources(run)]  # their code
    return _Selection(runs, refs, nodes, results, list(dict.fromkeys(objects)))


def _reach(store: SqliteStore, roots: list[Digest]) -> list[Digest]:
    """Every object reachable from `roots` (items of sequences and mappings included), in walk order."""
    seen: dict[Digest, None] = {}
    todo = list(reversed(roots))
    while todo:
        digest = todo.pop()
        if digest in seen:
            continue
        seen[digest] = None
        todo += reversed(store.items_of(digest))
    return list(seen)


def closure_digests(store: SqliteStore, roots: list[str], *, closure: bool = False) -> set[Digest]:
    """The digests of every object a bundle of `roots` holds (what push/pull compare)."""
    return set(_reach(store, _select(store, roots, closure).objects))


def _check_target(path: Path) -> None:
    """Refuse to export anywhere but a new or existing regular file in an existing directory."""
    import stat

    if "\0" in str(path):
        raise BundleError(f"cannot write bundle {str(path)!r}: the path holds a NUL byte")
    if not path.parent.is_dir():
        raise BundleError(f"cannot write bundle {path}: {path.parent} is not a directory")
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise BundleError(f"cannot write bundle {path}: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode):
        return  # an older bundle: replaced whole by the rename
    what = (
        "a directory"
        if stat.S_ISDIR(mode)
        else "a symbolic link"
        if stat.S_ISLNK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a regular file"
    )
    raise BundleError(f"cannot write bundle {path}: it is {what}; give the path of a new file")


def _remove_stale_temporaries(path: Path) -> None:
    """Delete temporary files an export to `path` left when its process was killed."""
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        pid = tmp.name[len(path.name) + 2 : -len(".tmp")]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:  # its process is gone
            tmp.unlink(missing_ok=True)
        except OSError:  # alive, or not ours to ask about: leave it
            continue


def export_bundle(
    store: SqliteStore,
    roots: list[str],
    path: Path,
    *,
    closure: bool = False,
    only: set[Digest] | None = None,
) -> ExportReport:
    """Write the roots' results, node records and reachable objects to the bundle file `path`.

    `only` limits the objects written to that set (push/pull send what the peer lacks; the peer's
    import finds the rest in its own store).
    """
    import apsw

    sel = _select(store, roots, closure)
    runs, refs, nodes, results = sel.runs, sel.refs, sel.nodes, sel.results
    wanted = [d for d in _reach(store, sel.objects) if only is None or d in only]
    path = Path(path)
    _check_target(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    _remove_stale_temporaries(path)
    try:
        tmp.unlink(missing_ok=True)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644))
        out = apsw.Connection(str(tmp))
        out.execute("PRAGMA user_version")  # opens the file now: unwritable places fail here
    except (OSError, apsw.Error) as exc:
        raise BundleError(f"cannot write bundle {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        # a private temporary file: no journal, no syncs until the one fsync before the rename
        out.execute("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF")
        migrate(out, str(tmp))
        with out:
            out.execute(
                "INSERT INTO meta(key, value) VALUES('format', ?), ('bundle_version', ?), ('created', ?)",
                (BUNDLE_FORMAT, str(BUNDLE_VERSION), repr(time.time())),
            )
            for digest in wanted:
                okind, size, how, stored = store.read_stored(digest)
                info = store.object_info(digest)
                created = info.created if info is not None else time.time()
                out.execute(
                    "INSERT INTO objects(digest, kind, size, stored_size, codec, created, data) "
                    "VALUES(?,?,?,?,?,?,?)",
                    (digest, okind, size, memoryview(stored).nbytes, how, created, stored),
                )
                out.executemany(
                    "INSERT INTO object_items(parent, idx, child) VALUES(?,?,?)",
                    [(digest, i, c) for i, c in enumerate(store.items_of(digest))],
                )
            node_rows = []
            for n in sorted(nodes):
                node_rows += store.query("SELECT id, definition, op, span, label FROM nodes WHERE id=?", (n,))
            out.executemany("INSERT INTO nodes(id, definition, op, span, label) VALUES(?,?,?,?,?)", node_rows)
            out.executemany(
                "INSERT INTO results(node, digest, seconds, created, run, provenance) VALUES(?,?,?,?,?,?)",
                [(r.node, r.digest, r.seconds, r.created, r.run, r.provenance) for r in results],
            )
            cols = RUN_COLUMNS
            for run in sorted(runs):
                out.executemany(
                    f"INSERT INTO runs({cols}) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                    store.query(f"SELECT {cols} FROM runs WHERE id=?", (run,)),
                )
                out.executemany(
                    "INSERT INTO run_nodes(run, node, status) VALUES(?,?,?)",
                    store.query("SELECT run, node, status FROM run_nodes WHERE run=?", (run,)),
                )
                out.executemany(
                    "INSERT INTO run_sources(run, idx, path, digest) VALUES(?,?,?,?)",
                    store.query("SELECT run, idx, path, digest FROM run_sources WHERE run=?", (run,)),
                )
                out.executemany(
                    "INSERT INTO run_names(run, name, node) VALUES(?,?,?)",
                    store.query("SELECT run, name, node FROM run_names WHERE run=?", (run,)),
                )
            out.executemany("INSERT INTO refs(name, run) VALUES(?,?)", sorted(refs.items()))
            out.execute("INSERT INTO meta(key, value) VALUES('manifest', ?)", (_manifest(out),))
            signed = sign(store.directory, content_digest(out))
            if signed is not None:
                out.execute("INSERT INTO meta(key, value) VALUES('signer', ?), ('signature', ?)", signed)
        out.close()
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(Exception):
            out.close()
        tmp.unlink(missing_ok=True)
        raise
    return ExportReport(
        str(path),
        digest_of_file(path),
        len(wanted),
        len(node_rows),
        len(results),
        len(runs),
        len(refs),
        path.stat().st_size,
    )


RUN_NODE_STATUSES = frozenset({"computed", "reused", "failed", "skipped"})


def _signer(src: Any, where: str) -> str | None:
    """The key that signed the bundle (its signature checked), or None for an unsigned bundle."""
    meta = dict(src.execute("SELECT key, value FROM meta WHERE key IN ('signer', 'signature')"))
    if not meta:
        return None
    signer, signature = meta.get("signer"), meta.get("signature")
    if not isinstance(signer, str) or not isinstance(signature, str):
        raise BundleError(f"{where}: its signature is malformed")
    check_signature(where, signer, signature, content_digest(src))
    return signer


# -- import ---------------------------------------------------------------------------------------


def _open_bundle(path: Path) -> Any:
    import apsw

    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BundleError(f"cannot read bundle {path}: {exc.strerror or exc}") from None
    if head != SQLITE_MAGIC:
        raise BundleError(f"{path} is not a voxcas bundle")
    uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro&immutable=1"
    try:
        conn = apsw.Connection(uri, flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI)
        problems = [r[0] for r in conn.execute("PRAGMA quick_check")]
    except apsw.Error as exc:
        raise BundleError(f"{path} is damaged: {exc}") from None
    if problems != ["ok"]:
        conn.close()
        raise BundleError(f"{path} is damaged: {problems[0]}")
    try:
        check_shape(conn, str(path))  # before anything is read from its tables
    except BaseException:
        conn.close()
        raise
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta"))
    except apsw.Error:
        conn.close()
        raise BundleError(f"{path} is not a voxcas bundle") from None
    if meta.get("format") != BUNDLE_FORMAT:
        conn.close()
        raise BundleError(f"{path} is not a voxcas bundle")
    version = int(meta.get("bundle_version", "0"))
    schema = read_version(conn)
    if version > BUNDLE_VERSION or schema > SCHEMA_VERSION:
        conn.close()
        raise BundleError(
            f"{path} was written by bundle format {version} (schema {schema}); this voxcas reads up to "
            f"format {BUNDLE_VERSION} (schema {SCHEMA_VERSION}) — upgrade voxcas"
        )
    try:
        manifest = _manifest(conn)
    except apsw.Error as exc:
        conn.close()
        raise BundleError(f"{path} is damaged: {exc}") from None
    if manifest != meta.get("manifest"):
        conn.close()
        raise BundleError(f"{path} is damaged or was tampered with: its manifest does not match its contents")
    return conn


def _import_objects(
    store: SqliteStore, src: Any, conn: Any, path: Path, report: ImportReport, cap: int
) -> None:
    for digest, kind, size, how, stored_size, data in src.execute(
        "SELECT digest, kind, size, codec, stored_size, data FROM objects"
    ):
        encoding = verify_object(str(path), digest, how, data, size, stored_size, cap)
        try:
            found, children = codec.children_of(encoding, digest)
        except CorruptObjectError:
            raise BundleError(
                f"{path}: object {digest} does not match its digest (damaged or tampered with)"
            ) from None
        if found != kind or memoryview(encoding).nbytes != size or len(data) != stored_size:
            raise BundleError(
                f"{path}: object {digest} is recorded as a {kind} of {size} bytes, which it is not"
            )
        items = tuple(
            c for (c,) in src.execute("SELECT child FROM object_items WHERE parent=? ORDER BY idx", (digest,))
        )
        if items != children:
            raise BundleError(f"{path}: object {digest}: its item rows do not match its encoding")
        if not store.add_stored(codec.Encoded(kind, encoding, digest, children), how, data):
            report.objects_present += 1
            continue
        report.objects_added += 1
    dangling = store.dangling_items(limit=1)
    if dangling:
        missing = dangling[0]
        raise BundleError(
            f"{path}: object {missing[0]} lists item {missing[1]}, "
            "which is neither in the bundle nor in the store"
        )


def _import_provenance(store: SqliteStore, src: Any, conn: Any, path: Path) -> None:
    """The runs' code (each text an object the bundle or the store holds) and names."""
    for run, idx, source, digest in src.execute("SELECT run, idx, path, digest FROM run_sources"):
        if not store.has_row(digest):
            raise BundleError(f"{path}: the code of run {run} needs object {digest}, which is missing")
        conn.execute(
            "INSERT OR IGNORE INTO run_sources(run, idx, path, digest) VALUES(?,?,?,?)",
            (run, idx, source, digest),
        )
    conn.executemany(
        "INSERT OR IGNORE INTO run_names(run, name, node) VALUES(?,?,?)",
        list(src.execute("SELECT run, name, node FROM run_names")),
    )


def import_bundle(
    store: SqliteStore, path: Path, *, max_object_bytes: int = DEFAULT_MAX_OBJECT_BYTES
) -> ImportReport:
    """Verify a bundle completely and add it to the store in one transaction, or change nothing.

    What is verified: `voxcas.store.bundle_check` and docs/bundle-format.md.
    """
    path = Path(path)
    where = str(path)
    now = time.time()
    src = _open_bundle(path)
    bundle_digest = digest_of_file(path)
    provenance = f"import:{bundle_digest}"
    try:
        signer = _signer(src, where)
    except BaseException:
        src.close()
        raise
    if signer is not None:
        provenance += SIGNED + signer
    report = ImportReport(str(path), bundle_digest, signer=signer)
    try:
        with store.transaction() as conn:
            _import_objects(store, src, conn, path, report, max_object_bytes)
            for ident, definition, op, span, label in src.execute(
                "SELECT id, definition, op, span, label FROM nodes"
            ):
                try:
                    parsed = definition_from_json(definition)
                    derived = node_id(parsed)
                except (ValueError, TypeError, KeyError, IndexError):
                    raise BundleError(f"{path}: node {ident} has an unreadable definition") from None
                if derived != ident:
                    raise BundleError(
                        f"{path}: node {ident} does not match its definition (damaged or tampered with)"
                    )
                check_node_row(where, ident, parsed, op, span, label)
                conn.execute(
                    "INSERT OR IGNORE INTO nodes(id, definition, op, span, label) VALUES(?,?,?,?,?)",
                    (ident, definition, op, span, label),
                )
                report.nodes_added += conn.changes()
            for node, digest, seconds, created, run in src.execute(
                "SELECT node, digest, seconds, created, run FROM results"
            ):
                check_result_times(where, node, seconds, created, now)
                if not store.has_row(digest):
                    raise BundleError(
                        f"{path}: the result of node {node} needs object {digest}, which is missing"
                    )
                if not conn.execute("SELECT 1 FROM nodes WHERE id=?", (node,)).fetchone():
                    raise BundleError(f"{path}: the result of node {node} has no node record")
                conn.execute(
                    "INSERT OR IGNORE INTO results(node, digest, seconds, created, run, provenance) "
                    "VALUES(?,?,?,?,?,?)",
                    (node, digest, seconds, created, run, provenance),
                )
                if conn.changes():
                    report.results_added += 1
                else:
                    report.results_present += 1
            store.fill_result_bytes()
            cols = RUN_COLUMNS
            bundled_runs: set[str] = set()
            for row in src.execute(f"SELECT {cols} FROM runs"):
                check_run_row(where, row, now)
                bundled_runs.add(row[0])
                conn.execute(f"INSERT OR IGNORE INTO runs({cols}) VALUES(?,?,?,?,?,?,?,?,?,?,?)", row)
                report.runs_added += conn.changes()
            run_nodes = list(src.execute("SELECT run, node, status FROM run_nodes"))
            for run, node, status in run_nodes:
                if run not in bundled_runs or status not in RUN_NODE_STATUSES:
                    raise BundleError(f"{path}: an entry of run {run!r} for node {node!r} is invalid")
            conn.executemany("INSERT OR IGNORE INTO run_nodes(run, node, status) VALUES(?,?,?)", run_nodes)
            if _has_table(src, "run_sources"):
                _import_provenance(store, src, conn, path)
            for name, run in src.execute("SELECT name, run FROM refs ORDER BY name"):
                check_ref_row(where, name, run, bundled_runs)
                conn.execute("INSERT OR IGNORE INTO refs(name, run) VALUES(?,?)", (name, run))
                if conn.changes():
                    report.refs_added += 1
                else:
                    report.refs_skipped.append(name)
    except VoxcasError:
        raise
    except Exception as exc:  # an SQLite error reading a damaged bundle, a bad row type, ...
        raise BundleError(f"{path} could not be imported ({exc}); nothing was changed") from None
    finally:
        src.close()
    return report


__all__ = ["ExportReport", "ImportReport", "closure_digests", "export_bundle", "import_bundle"]
