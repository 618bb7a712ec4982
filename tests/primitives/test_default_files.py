"""`dir` and `load` of the default namespace, and reading files through a reduced program."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from voxcas.errors import InputFileError, PrimitiveError
from voxcas.primitives.registry import default_registry


def call(name: str, *args: Any) -> Any:
    return default_registry().get(f"default.{name}")(*args)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "c.csv").write_text("1,2.5,x\n3,4,y\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.txt").write_text("d")
    (tmp_path / "t.json").write_text('{"k": [1, 2]}')
    return tmp_path


def test_dir_lists_sorted_full_paths_matching_a_pattern(tree: Path) -> None:
    assert call("dir", str(tree), "*.txt") == (f"{tree}/a.txt", f"{tree}/b.txt")
    assert call("dir", str(tree), "*.txt", True) == (f"{tree}/a.txt", f"{tree}/b.txt", f"{tree}/sub/d.txt")
    assert f"{tree}/sub" in call("dir", str(tree))


def test_dir_with_full_paths_false_gives_names_relative_to_the_root_as_voxlogica2(tree: Path) -> None:
    # VoxLogicA-2's dir(root, pattern, recursive, full_paths): relative posix names when not full
    assert call("dir", str(tree), "*.txt", False, False) == ("a.txt", "b.txt")
    assert call("dir", str(tree), "*.txt", True, False) == ("a.txt", "b.txt", "sub/d.txt")
    assert call("dir", str(tree), "*.txt", True, True) == call("dir", str(tree), "*.txt", True)


def test_dir_of_a_missing_directory_names_it(tmp_path: Path) -> None:
    with pytest.raises(PrimitiveError) as info:
        call("dir", str(tmp_path / "nope"))
    assert str(info.value) == f"default.dir: argument 'root': no such directory '{tmp_path / 'nope'}'"


def test_load_reads_json_csv_and_text_by_extension(tree: Path) -> None:
    assert call("load", str(tree / "t.json")) == {"k": [1, 2]}
    assert call("load", str(tree / "c.csv")) == [[1, 2.5, "x"], [3, 4, "y"]]
    assert call("load", str(tree / "a.txt")) == "a"


def test_load_of_a_missing_file_is_an_input_file_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as info:
        call("load", str(tmp_path / "x.json"))
    assert str(info.value) == f"default.load: no such file '{tmp_path / 'x.json'}'"


def test_load_of_invalid_json_says_where(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(PrimitiveError) as info:
        call("load", str(tmp_path / "bad.json"))
    assert str(info.value).startswith(
        f"default.load: argument 'path': invalid JSON in '{tmp_path / 'bad.json'}'"
    )


def test_load_and_dir_are_declared_as_file_readers() -> None:
    registry = default_registry()
    for name in ("load", "dir"):
        prim = registry.get(f"default.{name}")
        assert prim.reads_files and prim.path_params == (0,)
    assert registry.get("default.dir").foldable
