"""`vox view` as a user starts it: it serves the local store on loopback and prints the address."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import voxcas
from voxcas.store.sqlite import SqliteStore

REPO = Path(__file__).resolve().parents[2]
STARTUP_BOUND = 60.0  # seconds to wait for the address line (a bound, not a measurement)


def _vox(*args: str) -> list[str]:
    return [sys.executable, "-c", "from voxcas.cli.app import main; main()", *args]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "VOX_STORE"} | {"PYTHONPATH": str(REPO)}


@pytest.fixture
def store_with_a_run(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / ".vox"
    with SqliteStore(path, create=True) as store:
        result = voxcas.run('print "answer" 6 * 7', store=store)
    return path, result.summary.run


def test_vox_view_prints_a_loopback_address_that_serves_the_run(store_with_a_run: tuple[Path, str]) -> None:
    store, run = store_with_a_run
    proc = subprocess.Popen(
        _vox("view", "latest", "--store", str(store)),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the server is listening once the line is printed
        assert line.startswith("vox: viewer at http://127.0.0.1:"), line + (
            proc.stderr.read() if proc.stderr else ""
        )
        address = line.split()[3]
        assert address.endswith(f"/view/runs/{run}")
        assert "<script" in httpx.get(address, timeout=STARTUP_BOUND).text
        base = address.split("/view/")[0]
        page = httpx.get(f"{base}/viewer/api/runs/{run}", timeout=STARTUP_BOUND).json()
        assert page["goals"][0]["value"]["text"] == "42"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=STARTUP_BOUND)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def test_vox_view_of_an_unknown_run_is_a_one_line_error(store_with_a_run: tuple[Path, str]) -> None:
    store, _ = store_with_a_run
    result = subprocess.run(
        _vox("view", "latest~5", "--store", str(store)),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr == "error: 'latest~5': the store has only 1 run (latest~0 is the oldest)\n"


def test_vox_view_without_a_store_says_so_and_creates_none(tmp_path: Path) -> None:
    result = subprocess.run(
        _vox("view", "--store", str(tmp_path / "absent")),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "absent").exists()
