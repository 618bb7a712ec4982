"""Finding the store git-style: explicit path, walking up to `.vox/`, creating, or a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxcas.errors import StoreNotFoundError
from voxcas.store.locate import find_store_dir, open_located_store
from voxcas.store.sqlite import SqliteStore


def test_an_explicit_path_is_created_when_asked(tmp_path: Path) -> None:
    store = open_located_store(tmp_path / "mine", create=True)
    assert isinstance(store, SqliteStore) and store.directory == tmp_path / "mine"
    store.close()


def test_the_nearest_vox_directory_above_the_cwd_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    SqliteStore(tmp_path / ".vox", create=True).close()
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_store_dir() == (tmp_path / ".vox").resolve()
    with open_located_store(None) as store:
        assert isinstance(store, SqliteStore) and store.directory == (tmp_path / ".vox").resolve()


def test_without_a_store_create_makes_one_in_the_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with open_located_store(None, create=True) as store:
        assert isinstance(store, SqliteStore) and store.directory == tmp_path / ".vox"
    assert (tmp_path / ".vox" / "store.db").is_file()


def test_without_a_store_the_error_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreNotFoundError) as exc:
        open_located_store(None)
    assert str(exc.value) == (
        f"no store found in {tmp_path} or any parent directory; run 'vox init' or pass --store"
    )
