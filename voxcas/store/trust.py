"""Whose results a store believes: signing keys, trusted signers, and the trust policy of a run.

A result computed here has provenance `local`. A result imported from a bundle has provenance
`import:<bundle digest>` and, when the bundle carried a valid signature, `import:<bundle
digest>:signed:<signer>` (the signer is the Ed25519 public key, 64 hex digits). A bundle's
signature covers `content_digest`: the SHA-256 of every row of every table but `meta` (all
columns; object bytes through their verified digests), so no row can be changed, added or
removed without breaking it.

Keys live in the store directory:
- `keys/signing.key`: this store's private key (`vox key gen`), PEM, readable by its owner
  only; `vox export` / `vox push` sign with it when it exists;
- `keys/trusted`: one line per trusted signer, `<public key hex> <name>` (`vox key trust`).

`vox run` reuses an imported result only when its signer is trusted, or when the user passes
`--trust-imported` (`Trust.allows`); every other imported result is recomputed. Ed25519 comes
from `cryptography` (a well-kept library; signing is a solved problem).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voxcas.errors import BundleError, StoreError, UsageError

SIGNATURE_DOMAIN = b"voxcas-bundle-signature/1\n"
PUBLIC_KEY = re.compile(r"[0-9a-f]{64}")
KEY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._@+-]{0,99}")
SIGNED = ":signed:"

# every table a bundle carries, with a stable order (meta holds the signature itself)
_CONTENT = (
    "SELECT digest, kind, size, stored_size, codec FROM objects ORDER BY digest",
    "SELECT parent, idx, child FROM object_items ORDER BY parent, idx",
    "SELECT id, definition, op, span, label FROM nodes ORDER BY id",
    "SELECT node, digest, seconds, created, run FROM results ORDER BY node",
    "SELECT id, program, program_digest, started, finished, status, computed, reused, failed, goals, "
    "options FROM runs ORDER BY id",
    "SELECT run, node, status FROM run_nodes ORDER BY run, node",
    "SELECT name, run FROM refs ORDER BY name",
)
# schema 4 tables (a run's code and names): covered when the bundle has them
_CONTENT_V4 = {
    "run_sources": "SELECT run, idx, path, digest FROM run_sources ORDER BY run, idx",
    "run_names": "SELECT run, name, node FROM run_names ORDER BY run, name",
}


@dataclass(frozen=True, slots=True)
class Trust:
    """Which results a run may reuse: local ones, those of trusted signers, or (`imported`) all."""

    imported: bool = False
    signers: frozenset[str] = field(default_factory=frozenset)

    def allows(self, provenance: str) -> bool:
        if provenance == "local" or self.imported:
            return True
        return signer_of(provenance) in self.signers


def signer_of(provenance: str) -> str | None:
    """The public key that signed the bundle a result came from, if it was signed."""
    if provenance.startswith("import:") and SIGNED in provenance:
        return provenance.rsplit(SIGNED, 1)[1]
    return None


def content_digest(conn: Any) -> bytes:
    """The SHA-256 of every row of a bundle outside `meta` (what a signature covers)."""
    h = hashlib.sha256()
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for sql in (*_CONTENT, *(sql for table, sql in _CONTENT_V4.items() if table in tables)):
        h.update(sql.encode())
        for row in conn.execute(sql):
            h.update(json.dumps(list(row), ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            h.update(b"\n")
    return h.digest()


# -- keys on disk ---------------------------------------------------------------------------------


def _keys(directory: Path) -> Path:
    return Path(directory) / "keys"


def generate_key(directory: Path) -> str:
    """Create the store's signing key; return its public key. Refuses to replace an existing one."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = _keys(directory) / "signing.key"
    if path.exists():
        raise UsageError(f"the store already has a signing key ({path}); its public key: vox key show")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
    except OSError as exc:
        raise StoreError(f"cannot write the signing key {path}: {exc.strerror or exc}") from None
    return _public_hex(key)


def _public_hex(key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return str(raw.hex())


def _signing_key(directory: Path) -> Any:
    from cryptography.hazmat.primitives import serialization

    path = _keys(directory) / "signing.key"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read the signing key {path}: {exc.strerror or exc}") from None
    try:
        return serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise StoreError(f"{path} is not an Ed25519 signing key") from None


def public_key(directory: Path) -> str | None:
    """The store's public key (hex), or None when it has no signing key."""
    key = _signing_key(directory)
    return None if key is None else _public_hex(key)


def sign(directory: Path, digest: bytes) -> tuple[str, str] | None:
    """(public key hex, signature hex) of a content digest, or None without a signing key."""
    key = _signing_key(directory)
    if key is None:
        return None
    return _public_hex(key), key.sign(SIGNATURE_DOMAIN + digest).hex()


def check_signature(where: str, signer: str, signature: str, digest: bytes) -> None:
    """Raise `BundleError` unless `signature` is `signer`'s over `digest`."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if not PUBLIC_KEY.fullmatch(signer) or not re.fullmatch(r"[0-9a-f]{128}", signature):
        raise BundleError(f"{where}: its signature is malformed")
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(signer)).verify(
            bytes.fromhex(signature), SIGNATURE_DOMAIN + digest
        )
    except InvalidSignature:
        raise BundleError(f"{where}: its signature does not match its contents (tampered with)") from None


def trusted_signers(directory: Path) -> dict[str, str]:
    """public key hex → name, for every signer this store trusts."""
    path = _keys(directory) / "trusted"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    found: dict[str, str] = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 2 and PUBLIC_KEY.fullmatch(parts[0]):
            found[parts[0]] = parts[1]
    return found


def trust_signer(directory: Path, key: str, name: str) -> None:
    """Trust the results of bundles `key` signs (idempotent; a new name replaces the old)."""
    key = key.strip().lower()
    if not PUBLIC_KEY.fullmatch(key):
        raise UsageError(f"invalid public key '{key}': give the 64 hex digits 'vox key show' prints")
    if not KEY_NAME.fullmatch(name):
        raise UsageError(f"invalid key name '{name}': use letters, digits and . _ @ + -")
    signers = trusted_signers(directory)
    signers[key] = name
    path = _keys(directory) / "trusted"
    tmp = path.with_name("trusted.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text("".join(f"{k} {n}\n" for k, n in sorted(signers.items())), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None


def trust_of(store: Any, *, imported: bool = False) -> Trust:
    """The trust policy of a run on `store` (a store without a directory trusts only local work)."""
    directory = getattr(store, "directory", None)
    signers = frozenset(trusted_signers(directory)) if directory is not None else frozenset()
    return Trust(imported=imported, signers=signers)


__all__ = [
    "Trust",
    "check_signature",
    "content_digest",
    "generate_key",
    "public_key",
    "sign",
    "signer_of",
    "trust_of",
    "trust_signer",
    "trusted_signers",
]
