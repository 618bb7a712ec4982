"""Addresses (`voxcas.store.address`): latest, latest~N, refs, RUN:NAME, and their errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_helpers import const_node

from voxcas.errors import AddressError, UsageError
from voxcas.ids import RunId
from voxcas.store.address import resolve, resolve_name, resolve_run, split
from voxcas.store.base import Store
from voxcas.store.memory import MemoryStore
from voxcas.store.sqlite import SqliteStore


@pytest.fixture(params=("memory", "sqlite"))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s: Store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / ".vox", create=True)
    yield s
    s.close()


def three_runs(store: Store) -> list[RunId]:
    """Three runs, oldest first; run i declares `x` = const i and `y` only in the last one."""
    runs = []
    for i in range(3):
        names = {"x": const_node(i).id, **({"y": const_node(10).id} if i == 2 else {})}
        sources = [(f"p{i}.imgql", f"x = {i}\n")]
        runs.append(store.start_run(f"p{i}.imgql", None, [], sources=sources, names=names))
        time.sleep(0.002)  # distinct start times: runs are ordered by when they started
    return runs


def test_latest_is_the_newest_run_and_latest_n_goes_back_n_runs(store: Store) -> None:
    runs = three_runs(store)
    assert resolve_run(store, "latest") == runs[2]
    assert [resolve_run(store, f"latest~{n}") for n in range(3)] == runs[::-1]
    assert resolve(store, "latest~1") == ("run", runs[1])


def test_a_run_name_address_is_the_node_that_run_bound_the_name_to(store: Store) -> None:
    runs = three_runs(store)
    assert resolve(store, "latest:x") == ("node", const_node(2).id)
    assert resolve(store, "latest~2:x") == ("node", const_node(0).id)
    assert resolve(store, f"{runs[1][:8]}:x") == ("node", const_node(1).id)
    store.tag("good", runs[0])
    assert resolve(store, "good:x") == ("node", const_node(0).id)
    assert resolve_name(store, runs[2], "y") == const_node(10).id


def test_a_ref_named_like_latest_wins_over_the_newest_run(store: Store) -> None:
    runs = three_runs(store)
    store.tag("latest", runs[0])
    assert resolve(store, "latest") == ("run", runs[0])


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("latest~x", "malformed address 'latest~x'"),
        ("latest~", "malformed address 'latest~'"),
        (":x", "no run before the colon"),
        ("latest:", "no name after the colon"),
        ("latest:x:y", "more than one colon"),
        ("latest~3", "the store has only 3 runs"),
        ("latest~9:x", "the store has only 3 runs"),
        ("latest:z", "has no top-level name 'z'"),
        ("latest:xx", "did you mean 'x'?"),
        ("beef:x", "no run, ref or 'latest' matches 'beef'"),
    ],
)
def test_a_bad_address_is_one_clear_usage_error(store: Store, text: str, says: str) -> None:
    three_runs(store)
    with pytest.raises(AddressError) as info:
        resolve(store, text)
    assert says in str(info.value)
    assert isinstance(info.value, UsageError) and info.value.exit_code == 2


def test_an_empty_store_has_no_latest_run(store: Store) -> None:
    with pytest.raises(AddressError, match="has no runs yet"):
        resolve(store, "latest")


def test_a_run_recorded_without_names_says_so(store: Store) -> None:
    run = store.start_run("old.imgql", None, [])
    with pytest.raises(AddressError, match="recorded no top-level names"):
        resolve_name(store, run, "x")


def test_a_digest_is_not_a_run_name_address(store: Store) -> None:
    digest = store.put("text")
    assert split(digest) is None
    assert resolve(store, digest) == ("object", digest)


def test_a_run_keeps_its_sources_as_shared_objects_in_order(store: Store) -> None:
    lib = ("l.imgql", "k = 1\n")
    a = store.start_run("p.imgql", None, [], sources=[("p.imgql", 'import "l.imgql"\n'), lib])
    b = store.start_run("q.imgql", None, [], sources=[("q.imgql", "other\n"), lib])
    first, second = store.run_sources(a), store.run_sources(b)
    assert [s.path for s in first] == ["p.imgql", "l.imgql"]
    assert [store.get(s.digest) for s in first] == ["import \"l.imgql\"\n", "k = 1\n"]
    assert first[1].digest == second[1].digest  # the same text is one object
