"""The viewer's login session: an HttpOnly cookie that stands for the server's token.

A browser cannot send `Authorization: Bearer ...` with every picture it loads, and a token in a
URL leaks into history and logs; so `POST /login` (a form with the token) sets the cookie
`vox_session`, and every protected route accepts it in place of the bearer header.

The cookie holds `session_value(token)`: an HMAC-SHA256 of a fixed text keyed by the token, not
the token itself (a copied cookie does not reveal the token, and changing the token ends every
session). It is `HttpOnly` (page scripts cannot read it), `SameSite=Strict` (other sites cannot
make the browser send it) and `Secure` when the request came over HTTPS.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

COOKIE = "vox_session"
MAX_AGE = 30 * 24 * 3600  # a month; logging out (or a new token) ends it sooner
_PURPOSE = b"voxcas viewer session v1"


def session_value(token: str) -> str:
    return hmac.new(token.encode(), _PURPOSE, hashlib.sha256).hexdigest()


def valid_session(cookie: str | None, token: str) -> bool:
    """Whether a `vox_session` cookie value belongs to `token`."""
    if not cookie:
        return False
    return secrets.compare_digest(cookie.encode(), session_value(token).encode())


def valid_token(given: str, token: str) -> bool:
    return secrets.compare_digest(given.encode(), token.encode())


def safe_next(path: str | None) -> str:
    """Where to go after logging in: a path of this server (never another site), else `/`."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path
