"""The retention policy: `--keep goals` keeps goals and results worth their bytes, `--max-size`
evicts the least seconds saved per byte first and spares goals unless forced, a finished run's
own gc judges its young results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from store_helpers import const_node

from voxcas.errors import UsageError
from voxcas.ids import RunId
from voxcas.plan.nodes import PlanNode
from voxcas.store.gc import gc
from voxcas.store.retention import GIB, Retention, parse_saving, worth
from voxcas.store.sqlite import SqliteStore

GOALS = Retention("goals")


def noise(n: int, seed: int) -> np.ndarray:
    """`n` incompressible bytes: stored raw, so a result holds about `n` bytes."""
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8)


def record_run(
    store: SqliteStore,
    goals: dict[int, object],
    others: dict[int, tuple[object, float]],
    started: float = 0.0,
) -> RunId:
    """A finished run whose goals are `goals` (key -> value) and which also computed `others`
    (key -> (value, seconds)); nodes are `const_node(key)`."""
    goal_nodes = {k: const_node(k) for k in goals}
    run = store.start_run(
        "p.imgql", None, [{"kind": "print", "target": str(k), "node": n.id} for k, n in goal_nodes.items()]
    )
    for k, value in goals.items():
        store.put_result(goal_nodes[k], value, run=run, seconds=0.001)
    for k, (value, seconds) in others.items():
        store.put_result(const_node(k), value, run=run, seconds=seconds)
    nodes: list[PlanNode] = [*goal_nodes.values(), *(const_node(k) for k in others)]
    store.note_run_nodes(run, [(n.id, "computed") for n in nodes])
    store.finish_run(run, "ok", computed=len(nodes), reused=0, failed=0)
    if started:
        with store.transaction() as conn:
            conn.execute("UPDATE runs SET started=? WHERE id=?", (started, run))
    return run


def kept(store: SqliteStore, keys: range | list[int]) -> list[int]:
    return [k for k in keys if store.lookup(const_node(k).id) is not None]


def test_keep_goals_drops_large_results_cheap_to_recompute_and_keeps_costly_and_small_ones(
    sqlite_store: SqliteStore,
) -> None:
    record_run(
        sqlite_store,
        goals={1: noise(300_000, 1)},  # a large goal: kept whatever it cost
        others={
            2: (noise(300_000, 2), 0.001),  # large and cheap: 0.001 s / 300 kB ≈ 3.6 s/GiB
            3: (noise(300_000, 3), 5.0),  # large and costly: ≈ 17,900 s/GiB
            4: (42, 0.0001),  # tiny and cheap: 0.0001 s / ~30 B ≈ 3.6 million s/GiB
        },
    )
    held = {}
    for key, expected in ((2, False), (3, True), (4, True)):  # the rule, from the recorded figures
        result = sqlite_store.result(const_node(key).id)
        assert result is not None and result.bytes is not None
        assert (worth(result.seconds, result.bytes) >= GOALS.min_saving) is expected
        held[key] = result.bytes
    report = gc(sqlite_store, grace=0, retention=GOALS)
    assert kept(sqlite_store, range(1, 5)) == [1, 3, 4]
    assert [(d.node, d.bytes, d.op) for d in report.dropped] == [(const_node(2).id, held[2], "const")]
    assert report.bytes_freed == held[2] and report.keep == "goals"


def test_the_threshold_decides_what_is_costly(sqlite_store: SqliteStore) -> None:
    record_run(sqlite_store, goals={1: "goal"}, others={2: (noise(300_000, 2), 1.0)})  # ≈ 3,580 s/GiB
    gc(sqlite_store, grace=0, retention=Retention("goals", parse_saving("3000s/G")))
    assert kept(sqlite_store, [2]) == [2]
    gc(sqlite_store, grace=0, retention=Retention("goals", parse_saving("4000s/G")))
    assert kept(sqlite_store, [2]) == []


def test_keep_all_keeps_every_result_of_a_kept_run(sqlite_store: SqliteStore) -> None:
    record_run(sqlite_store, goals={1: "goal"}, others={2: (noise(300_000, 2), 0.0)})
    report = gc(sqlite_store, grace=0)
    assert kept(sqlite_store, [1, 2]) == [1, 2] and report.dropped == () and report.keep == "all"


def test_the_grace_period_spares_young_results_unless_their_finished_run_is_settled(
    sqlite_store: SqliteStore,
) -> None:
    run = record_run(sqlite_store, goals={1: "goal"}, others={2: (noise(300_000, 2), 0.0)})
    other = record_run(sqlite_store, goals={10: "other goal"}, others={11: (noise(300_000, 11), 0.0)})
    gc(sqlite_store, retention=GOALS)  # default grace: an hour
    assert kept(sqlite_store, [1, 2, 10, 11]) == [1, 2, 10, 11]
    report = gc(sqlite_store, retention=GOALS, settle=run)
    assert kept(sqlite_store, [1, 2, 10, 11]) == [1, 10, 11]  # the other run's young results stay
    assert report.objects_deleted == 1 and report.bytes_freed >= 300_000
    assert other


def test_max_size_evicts_the_least_seconds_saved_per_byte_first_not_the_oldest(
    sqlite_store: SqliteStore,
) -> None:
    record_run(sqlite_store, goals={1: 1}, others={2: (noise(300_000, 2), 9.0)}, started=1.0)  # old, costly
    record_run(sqlite_store, goals={3: 3}, others={4: (noise(300_000, 4), 0.1)}, started=2.0)
    record_run(sqlite_store, goals={5: 5}, others={6: (noise(300_000, 6), 3.0)}, started=3.0)
    report = gc(sqlite_store, grace=0, max_size=700_000)
    assert kept(sqlite_store, range(1, 7)) == [1, 2, 3, 5, 6]  # 4 saved least per byte
    assert report.fits and report.bytes_kept <= 700_000
    assert [d.node for d in report.dropped] == [const_node(4).id]
    gc(sqlite_store, grace=0, max_size=400_000)
    assert kept(sqlite_store, range(1, 7)) == [1, 2, 3, 5]


def test_max_size_never_evicts_a_kept_runs_goals_unless_forced(sqlite_store: SqliteStore) -> None:
    record_run(sqlite_store, goals={1: noise(300_000, 1)}, others={2: (noise(300_000, 2), 100.0)})
    report = gc(sqlite_store, grace=0, max_size=200_000)
    assert kept(sqlite_store, [1, 2]) == [1]  # the costly intermediate went; the goal stayed
    assert report.fits is False and report.bytes_kept > 200_000
    dry = gc(sqlite_store, grace=0, max_size=200_000, retention=Retention(force=True), dry_run=True)
    assert dry.fits and [d.node for d in dry.dropped] == [const_node(1).id]
    assert kept(sqlite_store, [1]) == [1]  # a dry run deletes nothing
    gc(sqlite_store, grace=0, max_size=200_000, retention=Retention(force=True))
    assert kept(sqlite_store, [1]) == []


def test_a_ref_keeps_its_runs_goals_but_not_its_cheap_intermediates_under_keep_goals(
    sqlite_store: SqliteStore,
) -> None:
    run = record_run(sqlite_store, goals={1: "goal"}, others={2: (noise(300_000, 2), 0.0)}, started=1.0)
    record_run(sqlite_store, goals={3: "newer"}, others={})
    sqlite_store.tag("paper", run)
    gc(sqlite_store, keep_runs=1, grace=0, retention=GOALS)
    assert kept(sqlite_store, [1, 2, 3]) == [1, 3]


def test_items_of_a_kept_goal_survive_when_their_own_results_are_dropped(sqlite_store: SqliteStore) -> None:
    items = [noise(200_000, 7), noise(200_000, 8)]
    record_run(sqlite_store, goals={1: items}, others={2: (items[0], 0.0), 3: (items[1], 0.0)})
    report = gc(sqlite_store, grace=0, retention=GOALS)
    assert kept(sqlite_store, [1, 2, 3]) == [1]
    assert report.objects_deleted == 0  # the goal's sequence still reaches both arrays
    back = sqlite_store.get(sqlite_store.lookup(const_node(1).id))  # type: ignore[arg-type]
    assert all(np.array_equal(a, b) for a, b in zip(back, items, strict=True))


@pytest.mark.parametrize(
    ("text", "per_gib"),
    [
        ("60s/G", 60.0),
        ("1s/100M", 10.24),
        ("500ms/1G", 0.5),
        ("2m/G", 120.0),
        ("0s/G", 0.0),
        ("1h/1T", 3.515625),
    ],
)
def test_a_saving_reads_as_seconds_per_size(text: str, per_gib: float) -> None:
    assert parse_saving(text) * GIB == pytest.approx(per_gib)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("60", "invalid saving '60': use seconds per size, e.g. 60s/G or 1s/100M"),
        ("-1s/G", "invalid saving '-1s/G': use seconds per size, e.g. 60s/G or 1s/100M"),
        ("1s/0G", "invalid saving '1s/0G': the size must be more than 0"),
        ("fast", "invalid saving 'fast': use seconds per size, e.g. 60s/G or 1s/100M"),
    ],
)
def test_a_bad_saving_is_refused_naming_it(text: str, message: str) -> None:
    with pytest.raises(UsageError) as exc:
        parse_saving(text)
    assert str(exc.value) == message


def test_an_unknown_keep_and_a_negative_size_are_refused(sqlite_store: SqliteStore) -> None:
    with pytest.raises(UsageError) as exc:
        Retention("everything")
    assert str(exc.value) == "invalid --keep 'everything': use one of all, goals"
    with pytest.raises(UsageError) as exc:
        gc(sqlite_store, max_size=-1)
    assert str(exc.value) == "--max-size must be 0 or more, not -1"


def test_a_settled_runs_dropped_blobs_leave_the_disk_at_once(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / ".vox", create=True, blobs=tmp_path / "blobs") as store:
        big = noise(2 << 20, 5)  # over the 1 MiB of a blob file
        run = record_run(store, goals={1: "goal"}, others={2: (big, 0.0)})
        other = record_run(store, goals={3: "goal"}, others={4: (noise(2 << 20, 6), 0.0)})

        def files() -> list[str]:  # the blob files (named by the digest's hex after two digits)
            return sorted(p.name for p in (tmp_path / "blobs").rglob("*") if len(p.name) == 62)

        assert len(files()) == 2
        report = gc(store, retention=GOALS, settle=run)
        assert report.blobs_deleted == 1 and len(files()) == 1  # the other run's young blob stays
        assert kept(store, [1, 2, 3, 4]) == [1, 3, 4] and other
