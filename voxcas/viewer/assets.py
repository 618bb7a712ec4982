"""The viewer's page files, shipped inside the package (`voxcas/viewer/static/`): no CDN, no build.

- `STATIC_DIR`: the folder served at `/viewer/static/` (`viewer.js`, `viewer.css`);
- `page(name, **fields)`: an HTML page of the folder with its `{{field}}` places filled in,
  each value HTML-escaped (the shell of every viewer page, and the login page).
"""

from __future__ import annotations

import html
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"


def page(name: str, **fields: str) -> str:
    """`static/<name>.html` with each `{{field}}` replaced by its escaped value."""
    text = (STATIC_DIR / f"{name}.html").read_text(encoding="utf-8")
    for key, value in fields.items():
        text = text.replace("{{" + key + "}}", html.escape(value, quote=True))
    return text
