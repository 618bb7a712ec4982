"""The HTTP contract tells the truth: schemathesis sends generated requests to the app and checks
every answer against `api/openapi.json` (documented status, content type, body schema), and that
none is a 5xx. A bounded number of cases runs in `make test`; `make stress` runs many more."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from voxcas.server.app import create_app
from voxcas.server.settings import ServerSettings
from voxcas.store.memory import MemoryStore

TOKEN = "contract-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
QUICK = 12  # cases per operation in `make test` (19 operations: about 200 cases, authenticated)
STRESS = 500


def _app(root: Path) -> Any:
    data, out = root / "data", root / "out"
    data.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    settings_ = ServerSettings(
        store=MemoryStore(),
        token=TOKEN,
        data_roots=(data,),
        out_root=out,
        max_run_seconds=5,
        max_nodes=10_000,
    )
    return create_app(settings_)


# the schema is loaded when the module is collected, before any fixture exists
_ROOT = Path(tempfile.mkdtemp(prefix="voxcas-contract-"))
schema = schemathesis.openapi.from_asgi("/openapi.json", _app(_ROOT))
COMMON = {"deadline": None, "suppress_health_check": list(HealthCheck), "derandomize": True}


@schema.parametrize()
@settings(max_examples=QUICK, **COMMON)  # type: ignore[arg-type]
def test_every_answer_is_documented_and_none_is_a_server_error(case: Any) -> None:
    case.call_and_validate(headers=AUTH, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=3, **COMMON)  # type: ignore[arg-type]
def test_without_the_token_every_answer_is_documented_too(case: Any) -> None:
    case.call_and_validate(checks=CHECKS)


@pytest.mark.stress
@schema.parametrize()
@settings(max_examples=STRESS, **COMMON)  # type: ignore[arg-type]
def test_many_generated_requests_find_no_server_error_and_no_undocumented_answer(case: Any) -> None:
    case.call_and_validate(headers=AUTH, checks=CHECKS)
