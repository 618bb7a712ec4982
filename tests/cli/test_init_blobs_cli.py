"""`vox init --blobs DIR` end to end through `main()`: what docs/cli-store.md shows, and its errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from vox_process import run_vox

from voxcas.store.blobs_dir import MARKER
from voxcas.store.sqlite import SqliteStore


def test_init_with_a_blob_directory_says_where_large_objects_go(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    result = run_vox("init", "--blobs", shared / "voxcas-blobs", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"initialised empty voxcas store in {tmp_path / '.vox'}",
        f"large objects are kept in {shared / 'voxcas-blobs'}",
    ]
    assert (shared / "voxcas-blobs" / MARKER).is_file()
    with SqliteStore(tmp_path / ".vox") as store:
        digest = store.put(np.random.default_rng(0).bytes(2 << 20))
        assert store.blobs.has(digest)
    again = run_vox("init", cwd=tmp_path)  # the tier is the store's: no need to repeat it
    assert again.stdout.splitlines()[-1] == f"large objects are kept in {shared / 'voxcas-blobs'}"


def test_a_blob_directory_that_cannot_be_created_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    result = run_vox("init", "--blobs", tmp_path / "afile" / "blobs", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: cannot write to the blob directory {tmp_path / 'afile' / 'blobs'}: Not a directory"
    ]


def test_a_store_whose_blob_directory_is_gone_is_one_line_naming_it(tmp_path: Path) -> None:
    assert run_vox("init", "--blobs", "blobs", cwd=tmp_path).returncode == 0
    (tmp_path / "blobs" / MARKER).unlink()
    result = run_vox("ls", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path / "blobs") in lines[0]
    assert "is its file system mounted" in lines[0]


def test_another_blob_directory_for_an_existing_store_is_refused_with_exit_2(tmp_path: Path) -> None:
    assert run_vox("init", "--blobs", "a", cwd=tmp_path).returncode == 0
    result = run_vox("init", "--blobs", "b", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: the store {tmp_path / '.vox'} keeps its large objects in {tmp_path / 'a'}, "
        f"not in {tmp_path / 'b'}"
    )


def test_a_blob_url_of_an_unknown_protocol_is_one_line_naming_it(tmp_path: Path) -> None:
    result = run_vox("init", "--blobs", "nosuchprotocol://bucket/blobs", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: cannot open the blob tier nosuchprotocol://bucket/blobs: Protocol not known: nosuchprotocol"
    ]


def test_a_store_whose_blob_url_holds_no_tier_is_one_line_naming_it(tmp_path: Path) -> None:
    # fsspec's memory:// file system lives in one process: the next `vox` finds the URL empty,
    # as it would find a wrong bucket or a deleted prefix
    created = run_vox("init", "--blobs", "memory://voxcas-test/blobs", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert created.stdout.splitlines()[-1] == "large objects are kept in memory://voxcas-test/blobs"
    result = run_vox("ls", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: the blob tier memory://voxcas-test/blobs is missing or is not a voxcas blob tier "
        "(no VOXCAS-BLOBS in it)"
    ]
