"""`voxcas.server.serve`: address checks and the loopback rule."""

from __future__ import annotations

import pytest

from voxcas.errors import UsageError
from voxcas.server.serve import check_address, is_loopback
from voxcas.server.settings import ServerSettings


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost"])
def test_loopback_addresses_are_recognised(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.org"])
def test_other_addresses_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_a_port_out_of_range_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        check_address("127.0.0.1", 70000)
    assert str(info.value) == "--port must be between 0 and 65535, got 70000"


def test_settings_refuse_a_non_positive_time_limit() -> None:
    with pytest.raises(UsageError) as info:
        ServerSettings(max_run_seconds=0)
    assert str(info.value) == "--max-run-seconds must be positive, got 0"


def test_settings_refuse_an_empty_token() -> None:
    with pytest.raises(UsageError) as info:
        ServerSettings(token="  ")
    assert str(info.value) == "--token is empty"


def test_a_port_in_use_is_a_usage_error_naming_it() -> None:
    from voxcas.server.serve import address, bind

    first = bind("127.0.0.1", 0)
    try:
        port = first.getsockname()[1]
        assert address(first) == f"http://127.0.0.1:{port}"
        with pytest.raises(UsageError, match=rf"^cannot listen on 127\.0\.0\.1:{port}: "):
            bind("127.0.0.1", port)
    finally:
        first.close()
