"""What an imported bundle must be before any of it is believed: its shape, its sizes, its rows.

A bundle is a claim made by whoever wrote the file, so nothing in it is read before its structure
is known to be the store's own (`check_shape`): every schema entry is a plain table (no view, no
trigger, no virtual table, whose reading could run arbitrary queries such as an endless
recursive CTE), exactly the tables of its schema version, each with exactly the columns that
version creates (compared with a database migrated to that version in memory, not with a
hand-written list).

Objects are verified by streaming (`verify_object`): the declared size must be under the import
cap, and the real decompressed length is counted while it is hashed, so a small compressed object
claiming or producing gigabytes is refused after reading at most its declared size.

Rows are validated like local input (`check_run_row`, `check_ref_row`, `check_node_row`,
`check_result_times`): well-formed ids and ref names, refs pointing at runs of the same bundle,
known statuses, JSON goals and options of the right shape, non-negative counts, no date in the
future, and a node's op, span and label consistent with its (re-derived) definition.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from voxcas.errors import BundleError
from voxcas.ids import DIGEST_PREFIX
from voxcas.plan.nodes import Definition
from voxcas.store.common import REF_NAME, op_of
from voxcas.store.schema import SCHEMA_VERSION, migrate

DEFAULT_MAX_OBJECT_BYTES = 4 << 30  # the largest object (uncompressed) an import accepts
CLOCK_SKEW = 300.0  # seconds a peer's clock may run ahead of ours
RUN_STATUSES = frozenset({"running", "ok", "failed", "cancelled", "killed"})
RUN_ID = re.compile(r"[0-9a-f]{32}")
SPAN = re.compile(r".+:[0-9]+:[0-9]+", re.DOTALL)
MAX_LABEL = 1000
_CHUNK = 1 << 20


def _columns(conn: Any, table: str) -> list[tuple[Any, ...]]:
    """name, declared type, not-null, primary-key position and hidden flag of each column."""
    return [(r[1], r[2].upper(), r[3], r[5], r[6]) for r in conn.execute(f"PRAGMA table_xinfo('{table}')")]


def _expected(version: int) -> dict[str, list[tuple[Any, ...]]]:
    import apsw

    model = apsw.Connection(":memory:")
    try:
        migrate(model, ":memory:", target=version)
        names = [r[0] for r in model.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {name: _columns(model, name) for name in names}
    finally:
        model.close()


def check_shape(conn: Any, where: str) -> int:
    """Refuse a bundle whose schema is not exactly the store's; return its schema version."""
    entries = list(conn.execute("SELECT type, name, sql FROM sqlite_master"))
    for kind, name, sql in entries:
        if kind in ("view", "trigger"):
            raise BundleError(f"{where}: '{name}' is a {kind}, not a table: a bundle holds only plain tables")
        if kind == "table" and str(sql or "").lstrip().upper().startswith("CREATE VIRTUAL"):
            raise BundleError(f"{where}: '{name}' is a virtual table: a bundle holds only plain tables")
    tables = {name for kind, name, _ in entries if kind == "table" and not name.startswith("sqlite_")}
    if "meta" not in tables or _columns(conn, "meta") != _expected(1)["meta"]:
        raise BundleError(f"{where} is not a voxcas bundle")
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    version = int(row[0]) if row and str(row[0]).isdigit() else 0
    if version < 1:
        raise BundleError(f"{where} is not a voxcas bundle (no valid schema version)")
    if version > SCHEMA_VERSION:
        return version  # the caller refuses it, naming both versions
    expected = _expected(version)
    if tables != set(expected):
        extra, missing = sorted(tables - set(expected)), sorted(set(expected) - tables)
        what = f"unexpected table '{extra[0]}'" if extra else f"missing table '{missing[0]}'"
        raise BundleError(f"{where} does not have the tables of schema version {version}: {what}")
    for table in sorted(tables):
        if _columns(conn, table) != expected[table]:
            raise BundleError(
                f"{where}: table '{table}' does not have the columns of schema version {version}"
            )
    return version


def verify_object(
    where: str, digest: str, how: str, data: Any, size: Any, stored_size: Any, cap: int
) -> bytes:
    """The first bytes (all of them for containers) of an object, after checking its sizes and
    hashing its real content; at most `size` bytes are ever produced."""
    if not isinstance(size, int) or not isinstance(stored_size, int) or size < 0:
        raise BundleError(f"{where}: object {digest} has no valid size")
    if size > cap:
        raise BundleError(
            f"{where}: object {digest} declares {size} bytes, more than the import limit of {cap} bytes"
        )
    if not isinstance(data, bytes) or len(data) != stored_size:
        raise BundleError(
            f"{where}: object {digest} is recorded as {stored_size} stored bytes, which it is not"
        )
    hasher = hashlib.sha256()
    if how == "none":
        produced, kept = len(data), data
        hasher.update(data)
    elif how == "zstd":
        produced, kept = _stream_zstd(where, digest, data, size, hasher)
    else:
        raise BundleError(f"{where}: object {digest} has an unknown codec '{how}'")
    if produced != size:
        raise BundleError(f"{where}: object {digest} declares {size} bytes but holds {produced}")
    if DIGEST_PREFIX + hasher.hexdigest() != digest:
        raise BundleError(f"{where}: object {digest} does not match its digest (damaged or tampered with)")
    return kept


def _stream_zstd(where: str, digest: str, data: bytes, size: int, hasher: Any) -> tuple[int, bytes]:
    import zstandard

    produced = 0
    head = bytearray()
    try:
        with zstandard.ZstdDecompressor().stream_reader(data) as reader:
            while chunk := reader.read(_CHUNK):
                produced += len(chunk)
                if produced > size:
                    raise BundleError(
                        f"{where}: object {digest} decompresses to more than its declared {size} bytes"
                    )
                hasher.update(chunk)
                head += chunk
    except zstandard.ZstdError:
        raise BundleError(
            f"{where}: object {digest} does not match its digest (damaged or tampered with)"
        ) from None
    return produced, bytes(head)


def _time(value: Any, now: float) -> bool:
    return isinstance(value, int | float) and 0 <= value <= now + CLOCK_SKEW


def check_run_row(where: str, row: tuple[Any, ...], now: float) -> None:
    """A `runs` row (columns of `RUN_COLUMNS`) that `vox log`, refs and gc can rely on."""
    ident, program, program_digest, started, finished, status, computed, reused, failed, goals, options = row
    if not isinstance(ident, str) or not RUN_ID.fullmatch(ident):
        raise BundleError(f"{where}: a run has an invalid id {ident!r}")
    bad = None
    if not isinstance(program, str):
        bad = "its program is not text"
    elif program_digest is not None and not (
        isinstance(program_digest, str) and re.fullmatch(r"sha256:[0-9a-f]{64}", program_digest)
    ):
        bad = "its program digest is invalid"
    elif not _time(started, now):
        bad = "it starts in the future" if isinstance(started, int | float) else "its start time is invalid"
    elif finished is not None and not (_time(finished, now) and finished >= started):
        bad = "its finish time is invalid or in the future"
    elif status not in RUN_STATUSES:
        bad = f"its status {status!r} is unknown"
    elif not all(isinstance(n, int) and n >= 0 for n in (computed, reused, failed)):
        bad = "its counts are not non-negative integers"
    else:
        bad = _json_problem(goals, options)
    if bad:
        raise BundleError(f"{where}: run {ident} is invalid: {bad}")


def _json_problem(goals: Any, options: Any) -> str | None:
    try:
        parsed_goals = json.loads(goals)
        parsed_options = json.loads(options)
    except (TypeError, ValueError):
        return "its goals or options are not JSON"
    if not isinstance(parsed_goals, list) or not all(isinstance(g, dict) for g in parsed_goals):
        return "its goals are not a list of objects"
    if not isinstance(parsed_options, dict):
        return "its options are not an object"
    return None


def check_ref_row(where: str, name: Any, run: Any, runs: set[str]) -> None:
    """A ref: a valid name pointing at a run the same bundle carries."""
    if not isinstance(name, str) or not REF_NAME.fullmatch(name):
        raise BundleError(f"{where}: invalid ref name {name!r}")
    if run not in runs:
        raise BundleError(f"{where}: ref '{name}' points at run {run!r}, which the bundle does not hold")


def check_node_row(where: str, ident: str, definition: Definition, op: Any, span: Any, label: Any) -> None:
    """A node row whose op is its definition's and whose span and label are plausible text."""
    real = op_of(definition)
    if op != real:
        raise BundleError(f"{where}: node {ident} claims op {op!r}, but its definition is {real!r}")
    if span is not None and not (isinstance(span, str) and len(span) <= MAX_LABEL and SPAN.fullmatch(span)):
        raise BundleError(f"{where}: node {ident} has an invalid source span {span!r}")
    if label is not None and not (isinstance(label, str) and len(label) <= MAX_LABEL and label.isprintable()):
        raise BundleError(f"{where}: node {ident} has an invalid label")


def check_result_times(where: str, node: Any, seconds: Any, created: Any, now: float) -> None:
    if not _time(created, now):
        raise BundleError(f"{where}: the result of node {node} is dated in the future or invalid")
    if not (isinstance(seconds, int | float) and seconds >= 0):
        raise BundleError(f"{where}: the result of node {node} has an invalid duration")
