"""The file-access policy: resolved final paths inside the roots, checked where files are opened."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import numpy as np
import pytest

from voxcas.access import UNRESTRICTED, AccessPolicy, current, using
from voxcas.errors import AccessDeniedError
from voxcas.primitives.registry import default_registry
from voxcas.values import Image


@pytest.fixture()
def roots(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(data root, output root, a directory outside both holding a secret file)."""
    data, out, outside = tmp_path / "data", tmp_path / "out", tmp_path / "outside"
    for d in (data, out, outside):
        d.mkdir()
    (outside / "secret.txt").write_text("SECRET")
    return data, out, outside


def _policy(data: Path, out: Path) -> AccessPolicy:
    return AccessPolicy.confined((data,), out)


def test_a_read_inside_a_root_gives_the_resolved_path(roots: tuple[Path, Path, Path]) -> None:
    data, out, _ = roots
    (data / "sub").mkdir()
    (data / "sub" / "a.txt").write_text("a")
    (data / "link").symlink_to(data / "sub")
    got = _policy(data, out).check_read(str(data / "link" / "a.txt"), "default.load")
    assert got == os.path.realpath(data / "sub" / "a.txt")


def test_a_symlink_inside_a_root_pointing_outside_is_refused_naming_the_operation(
    roots: tuple[Path, Path, Path],
) -> None:
    data, out, outside = roots
    (data / "escape.txt").symlink_to(outside / "secret.txt")
    with pytest.raises(AccessDeniedError) as info:
        _policy(data, out).check_read(str(data / "escape.txt"), "default.load")
    assert str(info.value).startswith(f"default.load: path '{data / 'escape.txt'}' is outside the data roots")


def test_unrestricted_reads_and_writes_give_the_path_back_unchanged() -> None:
    assert UNRESTRICTED.check_read("/etc/hosts") == "/etc/hosts"
    assert UNRESTRICTED.check_write("rel/x.json") == "rel/x.json"
    assert not UNRESTRICTED.restricted


def test_no_read_roots_refuse_every_read(tmp_path: Path) -> None:
    with pytest.raises(AccessDeniedError, match="there are no data roots"):
        AccessPolicy.confined((), None).check_read(str(tmp_path))


def test_a_header_naming_a_data_file_outside_the_roots_is_refused(roots: tuple[Path, Path, Path]) -> None:
    data, out, outside = roots
    (data / "evil.mhd").write_text(f"NDims = 3\nElementDataFile = {outside / 'secret.txt'}\n")
    with pytest.raises(AccessDeniedError, match="makes the reader open"):
        _policy(data, out).check_read(str(data / "evil.mhd"), "default.load")


def test_a_list_header_is_checked_file_by_file(roots: tuple[Path, Path, Path]) -> None:
    data, out, _ = roots
    (data / "s1.raw").write_bytes(b"\0")
    (data / "s2.raw").write_bytes(b"\0")
    (data / "ok.mhd").write_text("NDims = 3\nElementDataFile = LIST\ns1.raw\ns2.raw\n")
    policy = _policy(data, out)
    assert policy.check_read(str(data / "ok.mhd")) == os.path.realpath(data / "ok.mhd")
    (data / "bad.mhd").write_text("NDims = 3\nElementDataFile = LIST\ns1.raw\n../outside/secret.txt\n")
    with pytest.raises(AccessDeniedError, match=re.escape("secret.txt")):
        policy.check_read(str(data / "bad.mhd"))


def test_a_directory_read_as_a_series_checks_its_members_but_a_listing_does_not(
    roots: tuple[Path, Path, Path],
) -> None:
    data, out, outside = roots
    series = data / "series"
    series.mkdir()
    (series / "m1.dcm").symlink_to(outside / "secret.txt")
    policy = _policy(data, out)
    assert policy.check_listing(str(series)) == os.path.realpath(series)
    with pytest.raises(AccessDeniedError, match=re.escape("m1.dcm")):
        policy.check_read(str(series))


def test_a_relative_write_is_taken_from_the_write_root(roots: tuple[Path, Path, Path]) -> None:
    data, out, _ = roots
    expected = os.path.join(os.path.realpath(out), "sub", "x.json")
    assert _policy(data, out).check_write("sub/x.json") == expected


@pytest.mark.parametrize("target", ["../escaped.json", "/tmp/escaped.json", "a/../../escaped.json", "."])
def test_a_write_leaving_the_write_root_is_refused(roots: tuple[Path, Path, Path], target: str) -> None:
    data, out, _ = roots
    with pytest.raises(AccessDeniedError, match="is outside the output directory"):
        _policy(data, out).check_write(target, "save")


def test_a_write_through_a_symlink_out_of_the_write_root_is_refused(roots: tuple[Path, Path, Path]) -> None:
    data, out, outside = roots
    (out / "dir").symlink_to(outside)
    (out / "file.txt").symlink_to(outside / "secret.txt")
    policy = _policy(data, out)
    for target in ("dir/x.json", "file.txt"):
        with pytest.raises(AccessDeniedError, match="is outside the output directory"):
            policy.check_write(target)
        with pytest.raises(AccessDeniedError):
            policy.open_write(target, mode="w").close()
    assert (outside / "secret.txt").read_text() == "SECRET"


def test_a_policy_without_writes_refuses_every_write(tmp_path: Path) -> None:
    policy = AccessPolicy.confined((tmp_path,), None, writable=False)
    with pytest.raises(AccessDeniedError, match="may write no files"):
        policy.check_write(str(tmp_path / "x.json"), "save")


def test_open_write_creates_parents_inside_the_root_and_open_read_reads_back(
    roots: tuple[Path, Path, Path],
) -> None:
    data, out, _ = roots
    policy = AccessPolicy.confined((data, out), out)
    with policy.open_write("a/b/c.txt", mode="w", encoding="utf-8") as handle:
        handle.write("hello")
    assert (out / "a" / "b" / "c.txt").read_text() == "hello"
    with policy.open_read(str(out / "a" / "b" / "c.txt"), mode="r", encoding="utf-8") as handle:
        assert handle.read() == "hello"


def test_using_makes_a_policy_current_for_the_block_and_this_thread_only(tmp_path: Path) -> None:
    policy = AccessPolicy.confined((tmp_path,), None)
    seen: list[AccessPolicy] = []
    with using(policy):
        assert current() is policy
        worker = threading.Thread(target=lambda: seen.append(current()))
        worker.start()
        worker.join()
        with using(None):
            assert current() is policy
    assert current() is UNRESTRICTED
    assert seen == [UNRESTRICTED]


def test_the_default_readers_and_writers_open_files_through_the_current_policy(
    roots: tuple[Path, Path, Path],
) -> None:
    data, out, outside = roots
    registry = default_registry()
    (data / "a.txt").write_text("inside")
    load, listing = registry.get("default.load"), registry.get("default.dir")
    with using(_policy(data, out)):
        assert load(str(data / "a.txt")) == "inside"
        with pytest.raises(AccessDeniedError, match=re.escape("default.load")):
            load(str(outside / "secret.txt"))
        with pytest.raises(AccessDeniedError, match=re.escape("default.dir")):
            listing(str(outside))


def test_write_image_writes_relative_names_into_the_write_root_and_refuses_others(
    roots: tuple[Path, Path, Path],
) -> None:
    data, out, outside = roots
    write = default_registry().get("simpleitk.WriteImage")
    image = Image.from_array(np.zeros((2, 3, 4), np.uint8))
    with using(_policy(data, out)):
        write(image, "img.nii.gz")
        with pytest.raises(AccessDeniedError, match=re.escape("simpleitk.WriteImage")):
            write(image, str(outside / "img.nii.gz"))
    assert (out / "img.nii.gz").is_file()
    assert not (outside / "img.nii.gz").exists()


def test_a_fingerprint_never_reads_a_file_a_nested_symlink_points_at_outside(
    roots: tuple[Path, Path, Path],
) -> None:
    from voxcas.plan.fingerprint import MemoryFingerprintCache, primitive_fingerprint

    data, out, outside = roots
    (data / "series" / "deeper").mkdir(parents=True)
    (data / "series" / "deeper" / "x.dcm").symlink_to(outside / "secret.txt")
    load = default_registry().get("default.load")
    assert primitive_fingerprint(load, [str(data / "series")], MemoryFingerprintCache()).startswith("sha256:")
    with using(_policy(data, out)), pytest.raises(AccessDeniedError, match=re.escape("x.dcm")):
        primitive_fingerprint(load, [str(data / "series")], MemoryFingerprintCache())
