"""Identifiers: `NodeId` names a computation, `Digest` names bytes. Never mix them.

- `Digest` is `"sha256:" + hex` of an object's *uncompressed* canonical encoding.
- `NodeId` is the bare 64-hex SHA-256 of a node definition's canonical encoding
  (see `voxcas.plan.identity`).
- Run ids are 32-hex random strings (`new_run_id`).

Abbreviations: users may give any unique prefix (at least 4 hex digits) of a node id, digest
(with or without `sha256:`) or run id, as in git.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import NewType

NodeId = NewType("NodeId", str)
Digest = NewType("Digest", str)
RunId = NewType("RunId", str)

DIGEST_PREFIX = "sha256:"
MIN_PREFIX = 4


def digest_bytes(data: bytes | bytearray | memoryview) -> Digest:
    """The digest of an object's uncompressed encoding."""
    return Digest(DIGEST_PREFIX + hashlib.sha256(data).hexdigest())


def digest_chunks(chunks: list[bytes | bytearray | memoryview]) -> Digest:
    """The digest of the concatenation of `chunks`, without concatenating them."""
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
    return Digest(DIGEST_PREFIX + h.hexdigest())


def node_id_of(encoding: bytes) -> NodeId:
    """The id of a node whose canonical definition encodes to `encoding`."""
    return NodeId(hashlib.sha256(encoding).hexdigest())


def new_run_id() -> RunId:
    return RunId(secrets.token_hex(16))


def short(ident: str, length: int = 12) -> str:
    """A short display form: `sha256:0123456789ab` → `0123456789ab`."""
    if ident.startswith(DIGEST_PREFIX):
        ident = ident[len(DIGEST_PREFIX):]
    return ident[:length]


_LOWER_HEX = frozenset("0123456789abcdef")


def is_hex(text: str) -> bool:
    """Whether `text` is non-empty lowercase hexadecimal (set containment: ~20× a per-char loop)."""
    return bool(text) and _LOWER_HEX.issuperset(text)
