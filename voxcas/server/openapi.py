"""The HTTP contract as a file: `api/openapi.json`, generated from the app and kept current by a test.

Regenerate after changing a route or schema:  python -m voxcas.server.openapi  (writes
api/openapi.json; pass another path as the only argument to write elsewhere).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "api" / "openapi.json"


def openapi_schema() -> dict[str, Any]:
    """The OpenAPI document of an app with default settings (what `/openapi.json` serves)."""
    from voxcas.server.app import create_app
    from voxcas.server.settings import ServerSettings

    schema: dict[str, Any] = create_app(ServerSettings()).openapi()
    return schema


def render() -> str:
    return json.dumps(openapi_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_openapi(path: Path = DEFAULT_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    print(write_openapi(Path(args[0]) if args else DEFAULT_PATH))


if __name__ == "__main__":
    main()
