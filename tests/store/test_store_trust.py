"""Imported results are claims: `vox run` reuses them only from trusted signers or when told to.

The attack of issue 10: a bundle whose digests and node ids are all correct, but whose result row
binds a node to another object (manifest resealed), planted its value in the next run. Here the
bundle is forged by the test from a real export; the oracle is the program's arithmetic.
"""

from __future__ import annotations

import json
from pathlib import Path

import apsw
import pytest

from voxcas.cli.app import main
from voxcas.store.bundle import _manifest
from voxcas.store.sqlite import SqliteStore

PROGRAM = 'b = length(range(0, 1))\nprint "x" b + 41\n'


def vox(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main([str(a) for a in args])
    out = capsys.readouterr()
    code = stop.value.code
    return (0 if code is None else int(code)), out.out, out.err


@pytest.fixture
def program(tmp_path: Path) -> Path:
    path = tmp_path / "p.imgql"
    path.write_text(PROGRAM)
    return path


def exported(capsys: pytest.CaptureFixture[str], tmp_path: Path, program: Path, *, signed: bool) -> Path:
    source = tmp_path / "source"
    assert vox(capsys, "--store", source, "run", program)[1] == "x=42\n"
    if signed:
        assert vox(capsys, "--store", source, "key", "gen")[0] == 0
    with SqliteStore(source) as store:
        run = store.runs()[0].id
    bundle = tmp_path / "b.voxb"
    assert vox(capsys, "--store", source, "export", run, "-o", bundle)[0] == 0
    return bundle


def plant(bundle: Path) -> None:
    """Bind the goal `x` to the object of another result, then reseal the manifest."""
    conn = apsw.Connection(str(bundle))
    goals = json.loads(conn.execute("SELECT goals FROM runs").fetchone()[0])
    goal = goals[0]["node"]
    other = conn.execute("SELECT digest FROM results WHERE node != ?", (goal,)).fetchone()[0]
    conn.execute("UPDATE results SET digest=? WHERE node=?", (other, goal))
    conn.execute("UPDATE meta SET value=? WHERE key='manifest'", (_manifest(conn),))
    conn.close()


def fresh(capsys: pytest.CaptureFixture[str], tmp_path: Path, bundle: Path) -> Path:
    target = tmp_path / "target"
    assert vox(capsys, "--store", target, "init")[0] == 0
    code, _, err = vox(capsys, "--store", target, "import", bundle)
    assert code == 0, err
    return target


def test_a_planted_unsigned_result_is_recomputed_not_printed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, program: Path
) -> None:
    bundle = exported(capsys, tmp_path, program, signed=False)
    plant(bundle)
    target = fresh(capsys, tmp_path, bundle)
    code, out, _ = vox(capsys, "--store", target, "run", program)
    assert (code, out) == (0, "x=42\n")


def test_trust_imported_reuses_imported_results_as_they_are(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, program: Path
) -> None:
    bundle = exported(capsys, tmp_path, program, signed=False)
    plant(bundle)
    target = fresh(capsys, tmp_path, bundle)
    code, out, _ = vox(capsys, "--store", target, "run", "--trust-imported", program)
    assert code == 0
    assert out.startswith("x=") and out != "x=42\n"  # what the bundle claimed: the user said to believe it


def test_results_signed_by_a_trusted_key_are_reused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, program: Path
) -> None:
    bundle = exported(capsys, tmp_path, program, signed=True)
    key = vox(capsys, "--store", tmp_path / "source", "key", "show")[1].strip()
    target = fresh(capsys, tmp_path, bundle)
    assert vox(capsys, "--store", target, "key", "trust", key, "alice")[0] == 0
    assert vox(capsys, "--store", target, "key", "list")[1] == f"alice  {key}\n"
    code, out, err = vox(capsys, "--store", target, "run", program)
    assert (code, out) == (0, "x=42\n")
    assert "0 computed" in err  # everything came from alice's bundle


def test_results_signed_by_an_untrusted_key_are_recomputed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, program: Path
) -> None:
    bundle = exported(capsys, tmp_path, program, signed=True)
    target = fresh(capsys, tmp_path, bundle)
    code, out, err = vox(capsys, "--store", target, "run", program)
    assert (code, out) == (0, "x=42\n")
    assert "0 computed" not in err


def test_a_signed_bundle_changed_after_signing_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, program: Path
) -> None:
    bundle = exported(capsys, tmp_path, program, signed=True)
    plant(bundle)
    target = tmp_path / "target"
    vox(capsys, "--store", target, "init")
    code, _, err = vox(capsys, "--store", target, "import", bundle)
    assert code == 1
    assert err.strip() == f"error: {bundle}: its signature does not match its contents (tampered with)"


def test_an_invalid_public_key_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "target"
    vox(capsys, "--store", target, "init")
    code, _, err = vox(capsys, "--store", target, "key", "trust", "abc", "bob")
    assert code == 2
    assert err.strip() == "error: invalid public key 'abc': give the 64 hex digits 'vox key show' prints"


def test_a_second_signing_key_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "target"
    vox(capsys, "--store", target, "init")
    assert vox(capsys, "--store", target, "key", "gen")[0] == 0
    code, _, err = vox(capsys, "--store", target, "key", "gen")
    assert code == 2 and "already has a signing key" in err
