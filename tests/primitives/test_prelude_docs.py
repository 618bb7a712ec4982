"""`vox primitives` lists the prelude's functions and operators with their documentation, and
SimpleITK's optional arguments with the defaults SimpleITK documents."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from voxcas.primitives.docgen import primitive_table
from voxcas.primitives.prelude_docs import prelude_rows, signature
from voxcas.primitives.registry import default_registry

ROOT = Path(__file__).resolve().parents[2]
PRELUDE = ROOT / "voxcas" / "primitives" / "vox1.imgql"


def _vox(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "voxcas.cli.app", *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_every_function_and_operator_the_prelude_declares_is_listed_with_a_description() -> None:
    declared = re.findall(r"^let (\S+?)\(", PRELUDE.read_text(encoding="utf-8"), re.M)  # the file's own text
    rows = prelude_rows(default_registry(), "vox1")
    assert [r["name"] for r in rows] == declared
    assert {"dilate", "smoothen", "grow", "touch", ">.", "&"} <= set(declared)
    assert all(r["description"] for r in rows)


def test_a_prelude_row_gives_its_comment_and_its_definition() -> None:
    rows = {r["name"]: r for r in prelude_rows(default_registry(), "vox1")}
    assert rows["dilate"]["signature"] == "dilate(a, d)"
    assert rows["dilate"]["description"] == "a grown by d mm (= distleq(d, a))"
    assert rows[">."]["signature"] == "i >. n"
    assert rows["!"]["signature"] == "!a"


def test_operators_and_functions_have_their_usual_signatures() -> None:
    assert signature("touch", ("a", "b")) == "touch(a, b)"
    assert signature("~>", ("a", "b")) == "a ~> b"
    assert signature("!", ("a",)) == "!a"


def test_vox_primitives_shows_the_prelude_after_the_primitives_of_its_namespace() -> None:
    out = _vox("primitives", "vox1").splitlines()
    header = out.index("  -- defined by its prelude (vox1.imgql):")
    assert any(line.lstrip().startswith("near(") for line in out[:header])
    dilate = next(line for line in out[header:] if line.lstrip().startswith("dilate(a, d)"))
    assert dilate.endswith("a grown by d mm (= distleq(d, a))")


def test_the_json_listing_has_the_prelude_rows_too() -> None:
    names = {(r["namespace"], r["name"], r["version"]) for r in primitive_table(None, "vox1")}
    assert ("vox1", "smoothen", "prelude") in names and ("vox1", "near", "1") in names


def test_simpleitk_optional_arguments_show_simpleitk_defaults() -> None:
    from voxcas.primitives.simpleitk import NAMESPACE

    prims = NAMESPACE.primitives
    assert prims["CurvatureFlow"].signature() == "CurvatureFlow(image1, timeStep=0.05, numberOfIterations=5)"
    assert prims["ReadImage"].signature() == "ReadImage(fileName, outputPixelType=sitkUnknown)"
    assert "<default>" not in _vox("primitives", "simpleitk")


def test_cpp_defaults_are_shown_as_a_voxcas_reader_writes_them() -> None:
    from voxcas.primitives.simpleitk import shown_default

    assert shown_default("std::vector< double >(3, 1.0)") == "[1.0, 1.0, 1.0]"
    assert shown_default("std::vector< unsigned int >(3, 1u)") == "[1, 1, 1]"
    assert shown_default("std::vector< bool >(3, false)") == "[False, False, False]"
    assert shown_default("std::vector< uint32_t >()") == "[]"
    assert shown_default('std::string("LPS")') == '"LPS"'
    assert shown_default("(uint8_t) itk::simple::sitkWallClock") == "sitkWallClock"
    assert shown_default("std::numeric_limits< double >::max()") == "max"
    assert shown_default("0.05") == "0.05"
