"""`vox serve` as a user starts it: a subprocess on a free loopback port, probed, then stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from voxcas.store.sqlite import SqliteStore

REPO = Path(__file__).resolve().parents[2]
STARTUP_BOUND = 30.0  # seconds to wait for the server to answer (a bound, not a measurement)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _vox(*args: str) -> list[str]:
    return [sys.executable, "-c", "from voxcas.cli.app import main; main()", *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "VOX_TOKEN": ""}


def test_vox_serve_answers_health_and_requires_its_token(tmp_path: Path) -> None:
    store = tmp_path / "store"
    SqliteStore(store, create=True).close()
    port = _free_port()
    proc = subprocess.Popen(
        _vox("serve", "--store", str(store), "--port", str(port), "--token", "tok", "--log-level", "warning"),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_BOUND
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "vox serve exited"
            try:
                health = httpx.get(f"{url}/health", timeout=2.0)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "vox serve did not answer"
                time.sleep(0.05)
        assert health.json()["auth"] is True
        assert httpx.get(f"{url}/refs").status_code == 401
        assert httpx.get(f"{url}/refs", headers={"Authorization": "Bearer tok"}).json() == {"refs": []}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(STARTUP_BOUND)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode in (0, 130, -signal.SIGINT)


def test_vox_serve_on_a_new_directory_creates_the_store_and_says_where(tmp_path: Path) -> None:
    target = tmp_path / "new"
    port = _free_port()
    proc = subprocess.Popen(
        _vox("serve", "--store", str(target), "--port", str(port), "--log-level", "warning"),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_BOUND
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else "vox serve exited"
            try:
                refs = httpx.get(f"http://127.0.0.1:{port}/refs", timeout=2.0)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "vox serve did not answer"
                time.sleep(0.05)
        assert refs.json() == {"refs": []}
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=STARTUP_BOUND)
    assert err.splitlines()[0] == (
        f"vox: created a new store in {target} "
        "(choose another with --store DIR, or create one with 'vox init')"
    )
    assert (target / "store.db").is_file()


def test_vox_serve_with_a_bad_port_creates_no_store(tmp_path: Path) -> None:
    result = subprocess.run(
        _vox("serve", "--store", str(tmp_path / "absent"), "--port", "70000"),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == "error: --port must be between 0 and 65535, got 70000\n"
    assert not (tmp_path / "absent").exists()


def test_vox_serve_refuses_a_data_root_that_is_not_a_directory(tmp_path: Path) -> None:
    store = tmp_path / "store"
    SqliteStore(store, create=True).close()
    result = subprocess.run(
        _vox("serve", "--store", str(store), "--data-root", str(tmp_path / "nope")),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == f"error: --data-root '{tmp_path / 'nope'}' is not a directory\n"


def test_the_cli_starts_without_importing_the_web_stack() -> None:
    code = (
        "import sys\n"
        "from voxcas.cli.app import app\n"
        "print(sorted(m for m in ('fastapi', 'httpx', 'uvicorn', 'starlette') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stderr
