"""`du`/`stats`: where a store's space goes, how well it compresses, how often work is reused."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from voxcas.store.blobs_dir import DirectoryBlobs
from voxcas.store.sqlite import DB_NAME, SqliteStore


@dataclass(frozen=True, slots=True)
class KindUsage:
    kind: str
    count: int
    size: int  # uncompressed encoding bytes
    stored_size: int  # bytes in the database

    @property
    def ratio(self) -> float:
        """stored / uncompressed (lower is better)."""
        return self.stored_size / self.size if self.size else 1.0


@dataclass(frozen=True, slots=True)
class StoreStats:
    kinds: list[KindUsage] = field(default_factory=list)
    results: int = 0
    distinct_result_objects: int = 0
    nodes: int = 0
    runs: int = 0
    refs: int = 0
    computed: int = 0
    reused: int = 0
    file_bytes: int = 0  # store.db + WAL (+ the store's own blobs/) on disk

    @property
    def objects(self) -> int:
        return sum(k.count for k in self.kinds)

    @property
    def size(self) -> int:
        return sum(k.size for k in self.kinds)

    @property
    def stored_size(self) -> int:
        return sum(k.stored_size for k in self.kinds)

    @property
    def reuse_rate(self) -> float:
        """Of all node evaluations that runs needed, the share answered from the store."""
        total = self.computed + self.reused
        return self.reused / total if total else 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for k, usage in zip(data["kinds"], self.kinds, strict=True):
            k["ratio"] = round(usage.ratio, 4)
        data.update(
            objects=self.objects,
            size=self.size,
            stored_size=self.stored_size,
            ratio=round(self.stored_size / self.size, 4) if self.size else 1.0,
            reuse_rate=round(self.reuse_rate, 4),
        )
        return data


def store_stats(store: SqliteStore) -> StoreStats:
    kinds = [KindUsage(*usage) for usage in store.kind_usage()]
    results, distinct = store.query("SELECT count(*), count(DISTINCT digest) FROM results")[0]
    computed, reused = store.query("SELECT sum(computed), sum(reused) FROM runs")[0]
    files = [store.directory / DB_NAME, store.directory / (DB_NAME + "-wal")]
    if isinstance(store.blobs, DirectoryBlobs) and not store.blobs.shared:  # the store's own blobs/
        files.extend(store.blobs.path(digest) for digest, _ in store.blobs.stored())
    return StoreStats(
        kinds=kinds,
        results=int(results),
        distinct_result_objects=int(distinct),
        nodes=int(store.query("SELECT count(*) FROM nodes")[0][0]),
        runs=int(store.query("SELECT count(*) FROM runs")[0][0]),
        refs=int(store.query("SELECT count(*) FROM refs")[0][0]),
        computed=int(computed or 0),
        reused=int(reused or 0),
        file_bytes=sum(f.stat().st_size for f in files if f.exists()),
    )
