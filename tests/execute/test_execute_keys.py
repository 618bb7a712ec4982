"""Dask task keys say what each task computes: its primitive, or the loop item it works on."""

from __future__ import annotations

import re
from typing import Any

import pytest
from exec_helpers import reduce

from voxcas.execute import RunOptions, run_workplan
from voxcas.execute.keys import item_label
from voxcas.primitives.registry import Registry
from voxcas.store.memory import MemoryStore


def test_an_item_is_labelled_by_its_file_name_without_folders_or_extensions() -> None:
    assert item_label("/data/brats/case_001.nii.gz") == "case_001"
    assert item_label("case 7 (left).png") == "case_7_left"
    assert item_label("results/") == "results"


def test_numbers_label_themselves_long_labels_are_shortened_and_other_items_give_their_kind() -> None:
    assert item_label(42) == "42"
    assert item_label(2.5) == "2.5"
    assert item_label("x" * 40) == "x" * 24
    assert item_label(None) == "nonetype"
    assert item_label(True) == "bool"
    assert item_label("%%%") == "item"


def keys_started(text: str, registry: Registry, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[str]]:
    """The plan, and the key of every task of the graphs handed to Dask while running it."""
    from voxcas.execute.schedulers import Scheduler

    plan = reduce(text, registry)
    seen: list[str] = []
    original = Scheduler.run

    def spy(self: Scheduler, dsk: Any, *args: Any, **kwargs: Any) -> Any:
        seen.extend(str(k) for k in dsk)
        return original(self, dsk, *args, **kwargs)

    monkeypatch.setattr(Scheduler, "run", spy)
    summary = run_workplan(plan, MemoryStore(), RunOptions(registry=registry, workers=2))
    assert summary.status == "ok", summary.failures
    return plan, seen


def test_a_node_task_is_keyed_by_its_primitive_then_its_node_id(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan, keys = keys_started('x = t.add(t.inc(1), 2)\nprint "x" x', registry, monkeypatch)
    assert f"t.add-{plan.names['x']}" in keys
    assert sorted(k.split("-")[0] for k in keys) == ["t.add", "t.inc"]


def test_a_loop_item_task_is_keyed_by_the_item_it_works_on(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [f"/data/case_00{i}.nii.gz" for i in range(1, 5)]
    text = f'print "n" for f in {files!r} do t.nap(f, 0)'.replace("'", '"')
    _, keys = keys_started(text, registry, monkeypatch)
    items = sorted(k for k in keys if k.startswith("item-"))
    assert [re.sub(r"-[0-9a-f]{64}$", "-<id>", k) for k in items] == [
        f"item-case_00{i}-<id>" for i in range(1, 5)
    ]
