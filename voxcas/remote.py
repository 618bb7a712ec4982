"""Peer exchange over the HTTP API: `push` and `pull` move only the objects the other side lacks.

Protocol (both directions use the same three steps; `voxcas.server.routes.bundles` is the far end):

push(store, url, roots)                         pull(store, url, roots)
1. list the digests a bundle of the roots       1. POST /bundles/closure {roots} → every digest
   holds (`closure_digests`)                       the roots reach on the server
2. POST /objects/missing {digests} → what the   2. ask the local store which of them it lacks
   server lacks
3. export a bundle with only those objects      3. POST /bundles/export {roots, objects: lacking}
   (`export_bundle(..., only=)`; node, result      → such a bundle, imported locally
   and run rows always travel) and upload it:
   POST /bundles

The receiving side always imports through `import_bundle`, which verifies every object and node id
and accepts a result whose object it already holds, so a pruned bundle is a complete, checked
transfer. An object the other side has is never sent. Errors from the peer come back as
`RemoteError` with the peer's one-line message and status; nothing is half-imported (imports are
one transaction).

`reachable`, `exported` and `import_file` wrap `voxcas.store.bundle` for both ends. httpx is
imported inside the functions (the CLI imports this module lazily anyway).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Collection, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voxcas.errors import RemoteError, UsageError
from voxcas.ids import Digest

if TYPE_CHECKING:
    import httpx

    from voxcas.store.base import Store

CHUNK = 1 << 20
MISSING_BATCH = 20_000  # digests per /objects/missing request (~1.5 MB of JSON)
MAX_LISTED = 40_000  # digests a pull may list in one export request (~3 MB: under the 4 MiB body limit)
DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True, slots=True)
class TransferReport:
    """What a push or pull moved."""

    direction: str  # "push" | "pull"
    url: str
    roots: tuple[str, ...]
    objects_total: int  # objects the roots reach
    objects_sent: int  # of those, the ones the receiving side lacked (the only ones transferred)
    bundle_bytes: int  # size of the bundle that crossed the network
    results_added: int  # results new to the receiving side
    nodes_added: int
    refs_added: int = 0  # refs (roots named by a ref) created on the receiving side
    refs_skipped: tuple[str, ...] = ()  # refs that already exist there (left as they are)
    refs_moved: tuple[str, ...] = ()  # refs a forced push moved to the pushed run

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("roots", "refs_skipped", "refs_moved"):
            data[key] = list(data[key])
        return data

    def line(self) -> str:
        arrow = "→" if self.direction == "push" else "←"
        text = (
            f"{self.direction} {arrow} {self.url}: {self.objects_sent} of {self.objects_total} objects sent "
            f"({self.bundle_bytes} bytes), {self.results_added} results and {self.nodes_added} nodes added"
        )
        if self.refs_skipped:
            text += f"; ref {', '.join(self.refs_skipped)} already exists there and was left as it is"
        if self.refs_moved:
            text += f"; moved ref {', '.join(self.refs_moved)} (--force)"
        return text


# --- bundle files ------------------------------------------------------------------------------------
def reachable(store: Store, roots: list[str], *, closure: bool = False) -> list[Digest]:
    """The digests of every object a bundle of `roots` would hold, sorted (what the peers compare)."""
    from voxcas.store.bundle import closure_digests

    return sorted(closure_digests(_sqlite(store), roots, closure=closure))


def _temp_bundle() -> Path:
    fd, name = tempfile.mkstemp(prefix="vox-transfer-", suffix=".voxb")
    os.close(fd)
    os.unlink(name)  # export_bundle writes it (atomically, by rename)
    return Path(name)


@contextlib.contextmanager
def exported(
    store: Store, roots: list[str], *, closure: bool = False, only: Collection[Digest] | None = None
) -> Iterator[Path]:
    """A temporary bundle of `roots` (with only the objects in `only`, when given), deleted on exit."""
    from voxcas.store.bundle import export_bundle

    path = _temp_bundle()
    try:
        export_bundle(_sqlite(store), roots, path, closure=closure, only=None if only is None else set(only))
        yield path
    finally:
        path.unlink(missing_ok=True)


def import_file(store: Store, path: Path) -> Any:
    """Import a bundle file into a store (verified, one transaction); the store's `ImportReport`."""
    from voxcas.store.bundle import import_bundle

    return import_bundle(_sqlite(store), path)


def _sqlite(store: Store) -> Any:
    from voxcas.store.sqlite import SqliteStore

    if not isinstance(store, SqliteStore):
        raise UsageError(f"bundles need a SQLite store, not {type(store).__name__}")
    return store


# --- HTTP ----------------------------------------------------------------------------------------------
def connect(url: str, token: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> httpx.Client:
    """An HTTP client for a peer at `url` (`http://host:port`), with the bearer token if given."""
    import httpx

    if not url.startswith(("http://", "https://")):
        raise UsageError(f"invalid server URL {url!r}: expected http://HOST:PORT or https://...")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)


@contextlib.contextmanager
def _session(url: str, token: str | None, client: httpx.Client | None) -> Iterator[httpx.Client]:
    """The caller's client if given (left open), else a new one for `url`, closed on exit."""
    if client is not None:
        yield client
        return
    http = connect(url, token)
    try:
        yield http
    finally:
        http.close()


@contextlib.contextmanager
def _reaching(client: httpx.Client, what: str) -> Iterator[None]:
    """Turn a transport failure inside the block into a `RemoteError` saying what was being done."""
    import httpx

    try:
        yield
    except httpx.HTTPError as exc:
        raise RemoteError(f"{what}: cannot reach {client.base_url}: {exc}") from None


def _check(response: httpx.Response, what: str) -> httpx.Response:
    if response.status_code < 400:
        return response
    try:
        response.read()
        message = str(response.json().get("error", response.text))
    except Exception:
        message = response.text[:200] if response.text else response.reason_phrase
    raise RemoteError(f"{what}: {response.status_code} {message}", response.status_code)


def _call(client: httpx.Client, method: str, path: str, what: str, **kwargs: Any) -> httpx.Response:
    with _reaching(client, what):
        return _check(client.request(method, path, **kwargs), what)


def _missing_on_server(client: httpx.Client, digests: list[Digest]) -> list[Digest]:
    lacking: list[Digest] = []
    for start in range(0, len(digests), MISSING_BATCH):
        batch = digests[start : start + MISSING_BATCH]
        response = _call(
            client,
            "POST",
            "/objects/missing",
            "asking which objects the server lacks",
            json={"digests": batch},
        )
        lacking += [Digest(d) for d in response.json()["missing"]]
    return lacking


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def _export_request(body: dict[str, Any], digests: list[str], lacking: list[Digest]) -> dict[str, Any]:
    """Name the objects wanted by the shorter list: those lacking, or those present; if both are
    too long for one request body, ask for every object (correct, only less economical)."""
    if len(lacking) <= MAX_LISTED and len(lacking) <= len(digests) - len(lacking):
        return {**body, "objects": lacking}
    absent = set(lacking)
    present = [d for d in digests if d not in absent]
    if len(present) <= MAX_LISTED:
        return {**body, "exclude": present}
    return {**body, "objects": None}


def _moved_refs(store: Store, http: httpx.Client, url: str, roots: list[str], force: bool) -> dict[str, str]:
    """The roots that are local refs the peer has pointing at another run (name → the local run).

    Without `force` such a ref is refused: a `RemoteError` naming both runs, before anything is sent."""
    local = store.refs()
    named = [r for r in roots if r in local]
    if not named:
        return {}
    response = _call(http, "GET", "/refs", "reading the peer's refs")
    theirs = {str(r["name"]): str(r["run"]) for r in response.json()["refs"]}
    moved = {n: str(local[n]) for n in named if theirs.get(n, local[n]) != local[n]}
    if moved and not force:
        name = sorted(moved)[0]
        more = f" (and {len(moved) - 1} more)" if len(moved) > 1 else ""
        raise RemoteError(
            f"ref {name}{more} on {url} points at run {theirs[name][:12]}, here at {moved[name][:12]}; "
            "nothing was sent (vox push --force moves it)"
        )
    return moved


def push(
    store: Store,
    url: str,
    roots: list[str],
    *,
    token: str | None = None,
    closure: bool = False,
    force: bool = False,
    client: httpx.Client | None = None,
) -> TransferReport:
    """Send the roots' results and the objects the server lacks (see the module docstring).

    A root that is a ref the peer has pointing at another run is refused before anything is
    sent, unless `force`: then the results are sent and the peer's ref is moved to this run."""
    if not roots:
        raise UsageError("nothing to push: name at least one run, ref, node or object")
    with _session(url, token, client) as http:
        moved = _moved_refs(store, http, url, roots, force)
        digests = reachable(store, roots, closure=closure)
        lacking = _missing_on_server(http, digests)
        with exported(store, roots, closure=closure, only=lacking) as path:
            size = path.stat().st_size
            response = _call(
                http,
                "POST",
                "/bundles",
                "uploading the bundle",
                content=_file_chunks(path),
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
            )
        report = response.json()
        for name, run in sorted(moved.items()):
            _call(http, "PUT", f"/refs/{name}", f"moving the peer's ref {name}", json={"run": run})
        return TransferReport(
            "push",
            url,
            tuple(roots),
            len(digests),
            len(lacking),
            size,
            int(report["results_added"]),
            int(report["nodes_added"]),
            int(report["refs_added"]),
            tuple(n for n in report["refs_skipped"] if n not in moved),
            tuple(sorted(moved)),
        )


def pull(
    store: Store,
    url: str,
    roots: list[str],
    *,
    token: str | None = None,
    closure: bool = False,
    client: httpx.Client | None = None,
) -> TransferReport:
    """Fetch the roots' results and the objects this store lacks (see the module docstring)."""
    if not roots:
        raise UsageError("nothing to pull: name at least one run, ref, node or object")
    _sqlite(store)
    with _session(url, token, client) as http:
        path = _temp_bundle()
        try:
            body = {"roots": roots, "closure": closure}
            digests = _call(http, "POST", "/bundles/closure", "listing the roots' objects", json=body).json()[
                "digests"
            ]
            lacking = sorted(store.missing(Digest(d) for d in digests))
            request = _export_request(body, digests, lacking)
            with (
                _reaching(http, "downloading the bundle"),
                http.stream("POST", "/bundles/export", json=request) as response,
            ):
                _check(response, "downloading the bundle")
                with path.open("wb") as out:
                    for chunk in response.iter_bytes(CHUNK):
                        out.write(chunk)
            size = path.stat().st_size
            imported = import_file(store, path)
            return TransferReport(
                "pull",
                url,
                tuple(roots),
                len(digests),
                len(lacking),
                size,
                imported.results_added,
                imported.nodes_added,
                imported.refs_added,
                tuple(imported.refs_skipped),
            )
        finally:
            path.unlink(missing_ok=True)
