"""Image headers that keep their voxels in other files: which files, and that fingerprints cover them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from voxcas.plan.companions import data_files
from voxcas.plan.fingerprint import MemoryFingerprintCache, file_fingerprint


def write(path: Path, value: int) -> None:
    import SimpleITK as sitk

    sitk.WriteImage(sitk.GetImageFromArray(np.full((2, 3, 4), value, dtype=np.int16)), str(path))


def read_max(path: Path) -> int:
    import SimpleITK as sitk

    return int(sitk.GetArrayFromImage(sitk.ReadImage(str(path))).max())


@pytest.mark.parametrize("header", ["x.mhd", "x.nhdr"])
def test_a_header_written_by_simpleitk_names_the_file_holding_its_voxels(tmp_path: Path, header: str) -> None:
    write(tmp_path / header, 3)
    (raw,) = data_files(str(tmp_path / header))
    assert Path(raw).parent == tmp_path and Path(raw).exists() and Path(raw).name != header


@pytest.mark.parametrize("single", ["x.mha", "x.nrrd", "x.nii", "x.nii.gz"])
def test_a_single_file_image_names_no_other_file(tmp_path: Path, single: str) -> None:
    write(tmp_path / single, 3)
    assert data_files(str(tmp_path / single)) == []


def test_metaimage_list_and_pattern_forms_name_every_slice_file(tmp_path: Path) -> None:
    listed = tmp_path / "listed.mhd"
    listed.write_text(
        "NDims = 3\nDimSize = 4 3 2\nElementType = MET_SHORT\nElementDataFile = LIST 2D\na.raw\nsub/b.raw\n\n"
    )
    assert data_files(str(listed)) == [str(tmp_path / "a.raw"), str(tmp_path / "sub" / "b.raw")]
    pattern = tmp_path / "pattern.mhd"
    pattern.write_text("NDims = 3\nElementDataFile = slice_%02d.raw 1 5 2\n")
    assert data_files(str(pattern)) == [str(tmp_path / f"slice_{i:02d}.raw") for i in (1, 3, 5)]
    local = tmp_path / "local.mhd"
    local.write_text("NDims = 3\nElementDataFile = LOCAL\n")
    assert data_files(str(local)) == []


def test_nrrd_detached_forms_are_read_and_attached_data_is_not_mistaken_for_fields(tmp_path: Path) -> None:
    detached = tmp_path / "d.nhdr"
    detached.write_text("NRRD0004\ntype: short\ndatafile: LIST\np1.raw\np2.raw\n")
    assert data_files(str(detached)) == [str(tmp_path / "p1.raw"), str(tmp_path / "p2.raw")]
    attached = tmp_path / "a.nrrd"
    attached.write_bytes(b"NRRD0004\ntype: short\nencoding: raw\n\ndata file: not-a-field\x00\x01")
    assert data_files(str(attached)) == []


def test_rewriting_only_the_voxel_file_changes_the_header_fingerprint(tmp_path: Path) -> None:
    header = tmp_path / "x.mhd"
    write(header, 3)
    header_bytes = header.read_bytes()
    cache = MemoryFingerprintCache()
    before = file_fingerprint(str(header), cache)
    assert before != "sha256:" + hashlib.sha256(header_bytes).hexdigest()  # more than the header
    write(header, 7)
    assert header.read_bytes() == header_bytes and read_max(header) == 7  # only x.raw changed
    assert file_fingerprint(str(header), cache) != before
    write(header, 3)
    assert file_fingerprint(str(header), cache) == before  # the same content, the same fingerprint


def test_a_header_whose_voxel_file_is_missing_cannot_be_fingerprinted(tmp_path: Path) -> None:
    write(tmp_path / "x.mhd", 3)
    (tmp_path / "x.raw").unlink()
    with pytest.raises(FileNotFoundError) as info:
        file_fingerprint(str(tmp_path / "x.mhd"), MemoryFingerprintCache())
    assert info.value.filename == str(tmp_path / "x.raw")
