"""File fingerprints: content digests cached by (path, size, mtime)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voxcas.plan.fingerprint import MemoryFingerprintCache, file_fingerprint


class CountingCache(MemoryFingerprintCache):
    def __init__(self) -> None:
        super().__init__()
        self.remembered = 0

    def remember_fingerprint(self, path: str, size: int, mtime_ns: int, fingerprint: str) -> None:
        self.remembered += 1
        super().remember_fingerprint(path, size, mtime_ns, fingerprint)


def test_a_file_fingerprint_is_the_sha256_of_its_content(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes(b"abc")
    assert file_fingerprint(str(f), MemoryFingerprintCache()) == (
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_an_unchanged_file_is_hashed_once_and_a_changed_one_again(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("one")
    cache = CountingCache()
    first = file_fingerprint(str(f), cache)
    assert file_fingerprint(str(f), cache) == first
    assert cache.remembered == 1
    f.write_text("two!")
    os.utime(f, ns=(1, 10**18))
    assert file_fingerprint(str(f), cache) != first
    assert cache.remembered == 2


def test_the_cache_is_keyed_by_absolute_path_size_and_mtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "a.txt"
    f.write_text("x")
    cache = MemoryFingerprintCache()
    monkeypatch.chdir(tmp_path)
    fp = file_fingerprint("a.txt", cache)
    st = f.stat()
    assert cache.cached_fingerprint(str(f), st.st_size, st.st_mtime_ns) == fp


def test_a_directory_fingerprint_covers_names_and_contents_of_its_files(tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a").write_text("1")
    (tmp_path / "d" / "sub" / "b").write_text("2")
    cache = MemoryFingerprintCache()
    first = file_fingerprint(str(tmp_path / "d"), cache)
    (tmp_path / "d" / "sub" / "b").write_text("3")
    second = file_fingerprint(str(tmp_path / "d"), cache)
    (tmp_path / "d" / "sub" / "b").rename(tmp_path / "d" / "sub" / "c")
    third = file_fingerprint(str(tmp_path / "d"), cache)
    assert len({first, second, third}) == 3


def test_a_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        file_fingerprint(str(tmp_path / "nope"), MemoryFingerprintCache())
