"""File fingerprints: content digests cached by path and whole file state, never for racy states."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voxcas.errors import InputFileError
from voxcas.plan import fingerprint as fingerprint_module
from voxcas.plan.filestate import state_of
from voxcas.plan.fingerprint import (
    InputChangedError,
    MemoryFingerprintCache,
    RehashingCache,
    file_fingerprint,
    verify_inputs,
)
from voxcas.primitives.registry import default_registry

ABC = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


class CountingCache(MemoryFingerprintCache):
    def __init__(self) -> None:
        super().__init__()
        self.remembered = 0

    def remember_fingerprint(self, path: str, stamp: str, fingerprint: str) -> None:
        self.remembered += 1
        super().remember_fingerprint(path, stamp, fingerprint)


def test_a_file_fingerprint_is_the_sha256_of_its_content(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes(b"abc")
    assert file_fingerprint(str(f), MemoryFingerprintCache()) == ABC


def test_an_unchanged_settled_file_is_hashed_once_and_a_changed_one_again(
    tmp_path: Path, settled: None
) -> None:
    f = tmp_path / "a.txt"
    f.write_text("one")
    cache = CountingCache()
    first = file_fingerprint(str(f), cache)
    assert file_fingerprint(str(f), cache) == first
    assert cache.remembered == 1
    f.write_text("two!")
    assert file_fingerprint(str(f), cache) != first
    assert cache.remembered == 2


def test_the_cache_is_keyed_by_absolute_path_and_the_whole_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settled: None
) -> None:
    f = tmp_path / "a.txt"
    f.write_text("x")
    cache = MemoryFingerprintCache()
    monkeypatch.chdir(tmp_path)
    fp = file_fingerprint("a.txt", cache)
    assert cache.cached_fingerprint(str(f), state_of(str(f)).stamp) == fp


def test_a_file_written_moments_ago_is_never_cached(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("aaaa")
    cache = CountingCache()
    assert file_fingerprint(str(f), cache) == file_fingerprint(str(f), cache)
    assert cache.remembered == 0


def test_a_rewrite_at_equal_size_within_the_same_clock_tick_is_seen(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("aaaa")
    cache = MemoryFingerprintCache()
    before = file_fingerprint(str(f), cache)
    with open(f, "r+") as handle:  # in place: same inode, same size, and very likely the same mtime
        handle.write("bbbb")
    assert file_fingerprint(str(f), cache) != before


def test_a_file_replaced_by_rename_with_equal_size_and_mtime_is_hashed_again(
    tmp_path: Path, settled: None
) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("aaaa")
    b.write_text("bbbb")
    st = a.stat()
    os.utime(b, ns=(st.st_atime_ns, st.st_mtime_ns))
    cache = MemoryFingerprintCache()
    before = file_fingerprint(str(a), cache)
    os.replace(b, a)  # another inode, the same size and modification time
    assert (a.stat().st_size, a.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    assert file_fingerprint(str(a), cache) != before


def test_a_copy_that_keeps_the_old_mtime_is_seen_through_the_ctime(tmp_path: Path, settled: None) -> None:
    f = tmp_path / "a.txt"
    f.write_text("aaaa")
    st = f.stat()
    cache = MemoryFingerprintCache()
    before = file_fingerprint(str(f), cache)
    f.write_text("bbbb")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # as `cp -p` would leave it
    assert file_fingerprint(str(f), cache) != before


def test_a_symlink_is_fingerprinted_by_its_target_and_retargeting_it_is_a_change(
    tmp_path: Path, settled: None
) -> None:
    (tmp_path / "one").write_bytes(b"abc")
    (tmp_path / "two").write_bytes(b"xyz")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "one")
    cache = MemoryFingerprintCache()
    assert file_fingerprint(str(link), cache) == ABC
    link.unlink()
    link.symlink_to(tmp_path / "two")
    assert file_fingerprint(str(link), cache) == file_fingerprint(str(tmp_path / "two"), cache) != ABC


def test_a_file_that_keeps_changing_while_it_is_hashed_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "a.txt"
    f.write_text("0")
    real = fingerprint_module.content_digest

    def hash_then_append(path: str) -> str:
        digest = real(path)
        with open(path, "a") as handle:
            handle.write("+")
        return digest

    monkeypatch.setattr(fingerprint_module, "content_digest", hash_then_append)
    with pytest.raises(InputChangedError, match="kept changing while it was being read"):
        file_fingerprint(str(f), MemoryFingerprintCache())


def test_rehashing_answers_nothing_from_the_cache_but_remembers(tmp_path: Path, settled: None) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes(b"abc")
    inner = CountingCache()
    inner.remember_fingerprint(str(f), state_of(str(f)).stamp, "sha256:" + "0" * 64)  # a wrong entry
    assert file_fingerprint(str(f), RehashingCache(inner)) == ABC
    assert inner.cached_fingerprint(str(f), state_of(str(f)).stamp) == ABC


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


def test_verifying_an_unchanged_input_passes_and_a_replaced_one_fails_naming_it(tmp_path: Path) -> None:
    load = default_registry().get("default.load")
    f = tmp_path / "a.txt"
    f.write_bytes(b"abc")
    verify_inputs(load, [str(f)], ABC, MemoryFingerprintCache())
    f.write_bytes(b"abd")
    with pytest.raises(InputFileError) as exc:
        verify_inputs(load, [str(f)], ABC, MemoryFingerprintCache())
    assert str(exc.value) == (
        f"'{f}' changed while the run was using it; run again to compute with the new content"
    )
    f.unlink()
    with pytest.raises(InputFileError, match="vanished while the run was using it"):
        verify_inputs(load, [str(f)], ABC, MemoryFingerprintCache())
