"""Bad input to the store commands, end to end through `main()`: one clear line, exit status ≠ 0."""

from __future__ import annotations

import subprocess
from pathlib import Path

import apsw
import pytest
from vox_process import run_vox

from voxcas.ids import RunId
from voxcas.plan.identity import node_id
from voxcas.plan.nodes import Const, PlanNode
from voxcas.store.schema import SCHEMA_VERSION
from voxcas.store.sqlite import SqliteStore


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose object digests include two sharing the prefix `PREFIX` (found, then kept)."""
    root = tmp_path_factory.mktemp("errs")
    with SqliteStore(root / ".vox", create=True) as store:
        seen: dict[str, int] = {}
        i = 0
        while True:
            d = store.put(i)
            seen[d[7:11]] = seen.get(d[7:11], 0) + 1
            if seen[d[7:11]] == 2:
                (root / "prefix").write_text(d[7:11])
                break
            i += 1
        node = PlanNode(node_id(Const("int", -1)), Const("int", -1))
        store.put_result(node, "victim value")
        (root / "victim").write_text(node.id)
        store.start_run("p.imgql", None, [])
    return root


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_unknown_id_is_one_clear_line(store_dir: Path) -> None:
    result = run_vox("cat", "zz99", cwd=store_dir)
    assert one_line_error(result) == "error: no object, node, run or ref matches 'zz99'"
    assert result.returncode == 1


def test_an_ambiguous_prefix_is_one_clear_line(store_dir: Path) -> None:
    prefix = (store_dir / "prefix").read_text()
    line = one_line_error(run_vox("show", prefix, cwd=store_dir))
    assert line.startswith(f"error: ambiguous id '{prefix}': matches 2 ids (object sha256:{prefix}")


def test_a_too_short_prefix_is_a_usage_error(store_dir: Path) -> None:
    result = run_vox("cat", "ab", cwd=store_dir)
    assert one_line_error(result) == "error: id prefix 'ab' is too short: give at least 4 hex digits"
    assert result.returncode == 2


def test_a_missing_store_says_what_to_do(tmp_path: Path) -> None:
    line = one_line_error(run_vox("ls", cwd=tmp_path))
    assert (
        line == f"error: no store found in {tmp_path} or any parent directory; run 'vox init' or pass --store"
    )


def test_an_unreadable_bundle_is_one_clear_line(store_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.voxb"
    assert one_line_error(run_vox("import", missing, cwd=store_dir)) == (
        f"error: cannot read bundle {missing}: No such file or directory"
    )
    foreign = tmp_path / "foreign.voxb"
    foreign.write_text("not a bundle")
    assert (
        one_line_error(run_vox("import", foreign, cwd=store_dir))
        == f"error: {foreign} is not a voxcas bundle"
    )


def test_cat_of_a_run_points_to_show(store_dir: Path) -> None:
    with SqliteStore(store_dir / ".vox") as store:
        run: RunId = store.runs()[0].id
    assert one_line_error(run_vox("cat", run, cwd=store_dir)) == (
        f"error: '{run}' is a run, not a value; use 'vox show {run}'"
    )


def test_a_bad_gc_duration_is_a_usage_error(store_dir: Path) -> None:
    result = run_vox("gc", "--older-than", "soon", cwd=store_dir)
    assert (
        one_line_error(result)
        == "error: invalid duration 'soon': use a number with s, m, h, d or w (e.g. 30d)"
    )
    assert result.returncode == 2


def test_a_newer_schema_store_is_refused_naming_both_versions(tmp_path: Path) -> None:
    SqliteStore(tmp_path / ".vox", create=True).close()
    conn = apsw.Connection(str(tmp_path / ".vox" / "store.db"))
    conn.execute("UPDATE meta SET value='7' WHERE key='schema_version'")
    conn.close()
    line = one_line_error(run_vox("ls", cwd=tmp_path))
    assert line == (
        f"error: store at {tmp_path / '.vox'} was written by schema version 7; "
        f"this voxcas reads up to version {SCHEMA_VERSION} — upgrade voxcas"
    )


def test_a_flipped_byte_is_reported_by_fsck_and_cat_and_never_printed(tmp_path: Path) -> None:
    node = PlanNode(node_id(Const("int", 5)), Const("int", 5))
    with SqliteStore(tmp_path / ".vox", create=True) as store:
        digest = store.put_result(node, "secret-value")
        store.put_result(PlanNode(node_id(Const("int", 6)), Const("int", 6)), "healthy")
    conn = apsw.Connection(str(tmp_path / ".vox" / "store.db"))
    (data,) = conn.execute("SELECT data FROM objects WHERE digest=?", (digest,)).fetchone()
    conn.execute("UPDATE objects SET data=? WHERE digest=?", (data.replace(b"secret", b"sekret"), digest))
    conn.close()
    fsck = run_vox("fsck", cwd=tmp_path)
    assert fsck.returncode == 1
    assert f"problem: object {digest} is corrupt: its content hashes to sha256:" in fsck.stdout
    assert fsck.stderr.strip() == "error: fsck found 1 problem"
    cat = run_vox("cat", node.id, cwd=tmp_path)
    assert one_line_error(cat).startswith(f"error: object {digest} is corrupt: its content hashes to sha256:")
    assert "sekret" not in cat.stdout and cat.stdout == ""
