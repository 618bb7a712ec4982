"""docs/store.md's worked example of the retention policy cannot rot: the store its table describes
is built from the table, and `vox gc --keep goals` and `--max-size` do what the page says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from voxcas.cli.app import app
from voxcas.ids import RunId
from voxcas.plan.identity import node_id
from voxcas.plan.nodes import Const, PlanNode
from voxcas.store.retention import GIB, worth
from voxcas.store.sqlite import SqliteStore

DOC = Path(__file__).resolve().parents[2] / "docs" / "store.md"
CLI_DOC = DOC.with_name("cli-store.md")
SECTION = DOC.read_text().split("**Worked example.**", 1)[1].split("## Bundles", 1)[0]
ROW = re.compile(
    r"^\| `(\w+)` \([^)]*\) \| ([\d.]+) \| (\d+) (KiB|B) \| (\d+|goal) \| (goes|stays) \|$", re.M
)
runner = CliRunner()


def rows() -> list[tuple[str, float, int, str, str]]:
    found = [
        (name, float(sec), int(n) * (1024 if unit == "KiB" else 1), w, verdict)
        for name, sec, n, unit, w, verdict in ROW.findall(SECTION)
    ]
    assert len(found) == 5, "the worked example's table changed shape"
    return found


def value_of(stored: int, seed: int) -> object:
    """A value whose result holds exactly `stored` bytes: incompressible bytes (392 bytes of array
    header), or for a few dozen bytes the numbers of the example."""
    if stored > 1024:
        return np.random.default_rng(seed).integers(0, 256, stored - 392, dtype=np.uint8)
    return {32: 0.25, 33: 412.0}[stored]


def build(directory: Path) -> dict[str, PlanNode]:
    nodes: dict[str, PlanNode] = {}
    with SqliteStore(directory, create=True) as store:
        goal = next(name for name, *_, w, _ in rows() if w == "goal")
        for i, (name, *_rest) in enumerate(rows()):
            nodes[name] = PlanNode(node_id(Const("int", 1000 + i)), Const("int", 1000 + i), None, name)
        run: RunId = store.start_run(
            "study.imgql", None, [{"kind": "print", "target": goal, "node": nodes[goal].id}]
        )
        for i, (name, seconds, stored, _, _) in enumerate(rows()):
            store.put_result(nodes[name], value_of(stored, i), seconds=seconds, run=run)
            assert store.result(nodes[name].id).bytes == stored  # type: ignore[union-attr]
        store.note_run_nodes(run, [(n.id, "computed") for n in nodes.values()])
        store.finish_run(run, "ok", computed=len(nodes), reused=0, failed=0)
    return nodes


def vox(*args: str | Path) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("row", rows(), ids=lambda r: r[0])
def test_the_worth_column_is_seconds_per_gib(row: tuple[str, float, int, str, str]) -> None:
    _, seconds, stored, documented, _ = row
    if documented != "goal":
        assert round(worth(seconds, stored) * GIB) == int(documented)


def test_keep_goals_drops_what_the_table_says_and_prints_what_the_page_shows(tmp_path: Path) -> None:
    store = tmp_path / ".vox"
    build(store)
    shown = SECTION.split("```\n", 2)[1]
    command, *expected = shown.strip().splitlines()
    assert command == "$ vox gc --keep goals --grace 0s --dry-run"
    out = vox("gc", "--keep", "goals", "--dry-run", "--grace", "0s", "--store", store)
    assert out.splitlines() == expected
    elsewhere = CLI_DOC.read_text().split(shown, 1)  # docs/cli-store.md shows the same session
    assert len(elsewhere) == 2, "docs/cli-store.md no longer shows the worked example's gc"
    report = json.loads(vox("gc", "--keep", "goals", "--grace", "0s", "--store", store, "--json"))
    assert {d["label"] for d in report["dropped"]} == {name for name, *_, v in rows() if v == "goes"}
    listed = json.loads(vox("ls", "--store", store, "--json"))
    assert {r["label"] for r in listed} == {name for name, *_, v in rows() if v == "stays"}


def test_max_size_evicts_by_worth_until_the_store_fits(tmp_path: Path) -> None:
    store = tmp_path / ".vox"
    build(store)
    assert "`vox gc --max-size 100K`" in SECTION
    report = json.loads(vox("gc", "--max-size", "100K", "--grace", "0s", "--store", store, "--json"))
    assert report["fits"] is True
    assert {d["label"] for d in report["dropped"]} == {"bright", "flair"}
    listed = json.loads(vox("ls", "--store", store, "--json"))
    assert {r["label"] for r in listed} == {"core", "mean", "volume"}
