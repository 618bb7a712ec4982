"""`vox verify [RUN]` recomputes imported results and reports every one that differs.

The forged bundle is the attack of issue 10, made by the test from a real export: every digest
and node id is correct, but one result row binds a node to another object of the bundle (the
manifest resealed). The oracle for "what the value should be" is the source store, which
computed the program itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import apsw
import pytest

from voxcas.cli.app import main
from voxcas.store.bundle import _manifest
from voxcas.store.sqlite import SqliteStore

PROGRAM = 'n = length(range(0, 2))\ns = for i in range(0, 3) do i + n\nprint "x" n + 40\nprint "s" s\n'


@pytest.fixture(autouse=True)
def _no_store_left_in_the_environment() -> Iterator[None]:
    """`vox --store DIR` sets VOX_STORE for the process: later tests must not inherit it."""
    yield
    os.environ.pop("VOX_STORE", None)


def vox(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main([str(a) for a in args])
    out = capsys.readouterr()
    code = stop.value.code
    return (0 if code is None else int(code)), out.out, out.err


@pytest.fixture
def source(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    program = tmp_path / "p.imgql"
    program.write_text(PROGRAM)
    store = tmp_path / "source"
    code, out, err = vox(capsys, "--store", store, "run", program)
    assert (code, out) == (0, "x=42\ns=[2, 3, 4]\n"), err
    return store


def export(capsys: pytest.CaptureFixture[str], source: Path, bundle: Path) -> None:
    assert vox(capsys, "--store", source, "export", "latest", "-o", bundle)[0] == 0


def goal_of(store: Path, target: str) -> str:
    with SqliteStore(store) as s:
        return next(str(g["node"]) for g in s.runs()[0].goals if g["target"] == target)


def digest_in(store: Path, node: str) -> str:
    with SqliteStore(store) as s:
        result = s.result(node)  # type: ignore[arg-type]
        assert result is not None
        return str(result.digest)


def label_in(store: Path, node: str) -> str | None:
    with SqliteStore(store) as s:
        return s.node(node).label  # type: ignore[arg-type]


def plant(bundle: Path, node: str) -> str:
    """Bind `node` to the object of another result of the bundle, reseal; return that digest."""
    conn = apsw.Connection(str(bundle))
    other = conn.execute(
        "SELECT digest FROM results WHERE digest != (SELECT digest FROM results WHERE node=?) LIMIT 1",
        (node,),
    ).fetchone()[0]
    conn.execute("UPDATE results SET digest=? WHERE node=?", (other, node))
    conn.execute("UPDATE meta SET value=? WHERE key='manifest'", (_manifest(conn),))
    conn.close()
    return str(other)


def imported(capsys: pytest.CaptureFixture[str], tmp_path: Path, bundle: Path) -> Path:
    target = tmp_path / "target"
    assert vox(capsys, "--store", target, "init")[0] == 0
    code, _, err = vox(capsys, "--store", target, "import", bundle)
    assert code == 0, err
    return target


def test_verify_reports_the_planted_result_with_both_digests_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, source: Path
) -> None:
    bundle = tmp_path / "b.voxb"
    export(capsys, source, bundle)
    x = goal_of(source, "x")
    planted = plant(bundle, x)
    target = imported(capsys, tmp_path, bundle)
    code, out, err = vox(capsys, "--store", target, "verify", "latest", "--json")
    assert code == 1, err
    report = json.loads(out)
    differing = [r for r in report["results"] if r["verdict"] != "same"]
    assert differing == [
        {
            "node": x,
            "label": label_in(source, x),
            "span": differing[0]["span"],
            "stored": planted,
            "recomputed": digest_in(source, x),
            "verdict": "differs",
            "reason": None,
        }
    ]
    assert differing[0]["span"] == f"{tmp_path / 'p.imgql'}:3:13"  # the `+` of `n + 40`
    assert report["imported"] == report["checked"] >= 3  # x, s and the loop's items at least
    assert report["differs"] == 1 and report["unchecked"] == 0


def test_verify_of_an_honest_bundle_finds_every_result_the_same(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, source: Path
) -> None:
    bundle = tmp_path / "b.voxb"
    export(capsys, source, bundle)
    target = imported(capsys, tmp_path, bundle)
    code, out, err = vox(capsys, "--store", target, "verify")
    assert code == 0, err
    with SqliteStore(source) as s:
        results = len(list(s.results()))
    assert out == (
        f"the store: {results} imported results, {results} recomputed: "
        f"{results} same, 0 differ, 0 not checked\n"
    )


def test_verify_prints_the_difference_as_one_line_per_result(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, source: Path
) -> None:
    bundle = tmp_path / "b.voxb"
    export(capsys, source, bundle)
    x = goal_of(source, "x")
    planted = plant(bundle, x)
    target = imported(capsys, tmp_path, bundle)
    code, out, _ = vox(capsys, "--store", target, "verify", "latest")
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith(f"differs: node {x[:12]} (")
    assert first.endswith(f"): stored {planted}, recomputed {digest_in(source, x)}")


def test_a_sample_recomputes_that_many_and_the_seed_repeats_the_choice(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, source: Path
) -> None:
    bundle = tmp_path / "b.voxb"
    export(capsys, source, bundle)
    target = imported(capsys, tmp_path, bundle)
    picks = []
    for _ in range(2):
        code, out, err = vox(capsys, "--store", target, "verify", "--sample", "2", "--seed", "7", "--json")
        assert code == 0, err
        report = json.loads(out)
        assert report["checked"] == 2 < report["imported"]
        picks.append([r["node"] for r in report["results"]])
    assert picks[0] == picks[1]


def test_a_local_result_is_not_verified(capsys: pytest.CaptureFixture[str], source: Path) -> None:
    code, out, err = vox(capsys, "--store", source, "verify", "--json")
    assert code == 0, err
    assert json.loads(out)["imported"] == 0


def test_a_negative_sample_is_a_usage_error(capsys: pytest.CaptureFixture[str], source: Path) -> None:
    code, _, err = vox(capsys, "--store", source, "verify", "--sample", "-1")
    assert (code, err) == (2, "error: --sample must be at least 0, got -1\n")


def test_an_unknown_run_is_a_one_line_error(capsys: pytest.CaptureFixture[str], source: Path) -> None:
    code, _, err = vox(capsys, "--store", source, "verify", "nosuchref")
    assert code == 2
    assert err == "error: no run, ref or 'latest' matches 'nosuchref'\n"


def test_a_result_whose_input_file_is_gone_is_reported_not_checked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = tmp_path / "words.txt"
    data.write_text("alpha beta")
    program = tmp_path / "q.imgql"
    program.write_text(f'print "n" length(load("{data}"))\n')
    source = tmp_path / "source"
    assert vox(capsys, "--store", source, "run", program)[1] == "n=10\n"
    bundle = tmp_path / "b.voxb"
    export(capsys, source, bundle)
    target = imported(capsys, tmp_path, bundle)
    data.unlink()
    code, out, err = vox(capsys, "--store", target, "verify", "latest", "--json")
    assert code == 1, err
    report = json.loads(out)
    unchecked = [r for r in report["results"] if r["verdict"] == "unchecked"]
    assert [r["reason"] for r in unchecked] == [
        f"recomputing it failed: error: default.load: '{data}' vanished while the run was using it; run again"
    ]
    assert report["differs"] == 0
