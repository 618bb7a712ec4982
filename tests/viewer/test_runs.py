"""voxcas.viewer.runs: the run history and a run's page, with loop items as one row per case."""

from __future__ import annotations

import pytest
from study import CASES, Study

import voxcas
from voxcas.errors import AddressError
from voxcas.viewer.runs import case_name, describe_value, run_history, run_page


def test_the_history_lists_runs_made_outside_the_server_newest_first(study: Study) -> None:
    again = voxcas.run('print "x" 1', store=study.store)
    history = run_history(study.store)
    assert [r["id"] for r in history] == [again.summary.run, study.run]
    assert history[1]["status"] == "ok"
    assert history[1]["goals"] == 6


def test_a_constant_goal_shows_its_printed_value(study: Study) -> None:
    goals = run_page(study.store, study.run)["goals"]
    assert goals[0]["target"] == "cases"
    assert goals[0]["value"] == {"kind": "int", "digest": None, "text": "3"}


def test_an_image_goal_is_described_by_digest_and_geometry(study: Study) -> None:
    value = run_page(study.store, study.run)["goals"][1]["value"]
    assert value["kind"] == "image"
    assert value["size"] == [12, 10, 8]
    assert value["spacing"] == [1.0, 1.0, 2.5]
    assert value["mask"] is False
    assert study.store.get(value["digest"]).size == (12, 10, 8)


def test_loops_over_one_sequence_make_one_table_with_a_row_per_case(study: Study) -> None:
    page = run_page(study.store, "latest")
    assert len(page["tables"]) == 1
    table = page["tables"][0]
    assert [c["goal"] for c in table["columns"]] == [3, 4, 5]
    assert [row["case"] for row in table["rows"]] == list(CASES)
    assert [row["input"] for row in table["rows"]] == [f"data/{c}.nii.gz" for c in CASES]
    first = table["rows"][0]["values"]
    assert [v["kind"] for v in first] == ["image", "image", "float"]
    assert [v["target"] for v in first] == ["out/sub-01_t1.nii.gz", "out/sub-01_mask.nii.gz", "vol_sub-01"]
    assert first[1]["mask"] is True
    assert [row["values"][2]["text"] for row in table["rows"]] == ["45.0", "67.5", "90.0"]


def test_each_loop_goal_also_lists_its_items(study: Study) -> None:
    goal = run_page(study.store, study.run)["goals"][5]
    assert goal["loop"] is True
    assert [item["target"] for item in goal["items"]] == [f"vol_{c}" for c in CASES]


def test_a_computed_target_outside_a_loop_is_a_table_of_its_own(study: Study) -> None:
    other = voxcas.run('import "strings"\nprint concat("a", "b") 1', store=study.store)
    page = run_page(study.store, other.summary.run)
    assert page["goals"][0]["loop"] is False
    assert [row["case"] for row in page["tables"][0]["rows"]] == ["ab"]


def test_an_unknown_run_is_an_address_error(study: Study) -> None:
    with pytest.raises(AddressError):
        run_page(study.store, "ffffffffffff")


@pytest.mark.parametrize(
    ("item", "name"),
    [("data/sub-01.nii.gz", "sub-01"), ("scan.mha", "scan"), ("plain", "plain"), ("a/b/c.dcm", "c")],
)
def test_a_case_is_named_by_its_file_without_image_extensions(item: str, name: str) -> None:
    assert case_name(item) == name


def test_a_long_printed_value_is_cut() -> None:
    described = describe_value(list(range(1000)))
    assert described["kind"] == "sequence"
    assert described["text"].endswith(" …") and len(described["text"]) == 402
