"""Addresses: the one place that turns what a user types into a run, a node or an object.

    latest            the newest run (by start time), as git's HEAD
    latest~N          the run N before the newest (latest~0 is latest)
    REF               a ref name (`vox tag`), the run it points at
    RUNPREFIX         a unique prefix of a run id (or of a node id or digest: `Store.resolve`)
    RUN:NAME          the value a run's top-level declaration NAME had (RUN any of the above)
    sha256:HEX        an object digest (the colon after `sha256` is not an address)

A ref named `latest` (or `latest~1`) would win over the newest run, as refs win over prefixes.
Bad addresses raise `AddressError` (exit 2): malformed text, a run that does not exist, a name
the run did not declare, or a run recorded before runs kept their names.
"""

from __future__ import annotations

import difflib
import re

from voxcas.errors import AddressError, AmbiguousPrefixError, ObjectNotFoundError
from voxcas.ids import DIGEST_PREFIX, NodeId, RunId
from voxcas.store.base import Resolved, Store

LATEST = "latest"
_LATEST = re.compile(r"latest(?:~(\d*))?")
FORMS = "RUN:NAME, latest, latest~N, a ref, or an id prefix"


def is_run_address(text: str) -> bool:
    """Whether `text` has the form of `latest` / `latest~N` (well formed or not)."""
    return text == LATEST or text.startswith(LATEST + "~")


def _malformed(text: str, why: str) -> AddressError:
    return AddressError(f"malformed address '{text}': {why} (write {FORMS})")


def _latest(store: Store, text: str) -> RunId:
    match = _LATEST.fullmatch(text)
    if match is None or (match.group(1) is not None and not match.group(1)):
        raise _malformed(text, "after 'latest~' comes the number of runs to go back")
    back = int(match.group(1) or 0)
    runs = store.runs()
    if not runs:
        raise AddressError(f"'{text}': the store has no runs yet")
    if back >= len(runs):
        have = f"{len(runs)} run" + ("s" if len(runs) != 1 else "")
        raise AddressError(f"'{text}': the store has only {have} (latest~{len(runs) - 1} is the oldest)")
    return runs[back].id


def resolve_run(store: Store, text: str) -> RunId:
    """The run `text` names: a ref, `latest`, `latest~N`, or a unique run id prefix."""
    if not text:
        raise _malformed(text, "no run before the colon")
    refs = store.refs()
    if text in refs:
        return refs[text]
    if is_run_address(text):
        return _latest(store, text)
    if split(text) is not None:
        raise AddressError(f"'{text}' names a value, not a run (the run is '{text.partition(':')[0]}')")
    try:
        kind, ident = store.resolve(text)
    except AmbiguousPrefixError as exc:
        raise AddressError(str(exc)) from None
    except ObjectNotFoundError:
        raise AddressError(f"no run, ref or 'latest' matches '{text}'") from None
    if kind != "run":
        raise AddressError(f"'{text}' is a {kind}, not a run")
    return RunId(ident)


def resolve_name(store: Store, run: RunId, name: str, *, shown: str | None = None) -> NodeId:
    """The node of top-level name `name` in `run`."""
    names = store.run_names(run)
    if name in names:
        return names[name]
    where = run[:12] if shown is None or run.startswith(shown) else f"{shown} ({run[:12]})"
    if not names:
        raise AddressError(
            f"run {where} recorded no top-level names (it ran before voxcas kept them, or declared none)"
        )
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else f" (it declared {_some(sorted(names))})"
    raise AddressError(f"run {where} has no top-level name '{name}'{hint}")


def _some(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def split(text: str) -> tuple[str, str] | None:
    """(RUN, NAME) if `text` is a `RUN:NAME` address, else None (digests are not addresses)."""
    if text.startswith(DIGEST_PREFIX) or ":" not in text:
        return None
    run, _, name = text.partition(":")
    if not name:
        raise _malformed(text, "no name after the colon")
    if ":" in name:
        raise _malformed(text, "more than one colon")
    if not run:
        raise _malformed(text, "no run before the colon")
    return run, name


def resolve(store: Store, text: str) -> Resolved:
    """What `text` names: ("node", id) for RUN:NAME, ("run", id) for latest/latest~N, else as
    `Store.resolve` (refs, id prefixes, digests)."""
    parts = split(text)
    if parts is not None:
        run = resolve_run(store, parts[0])
        return ("node", resolve_name(store, run, parts[1], shown=parts[0]))
    if is_run_address(text) and text not in store.refs():
        return ("run", _latest(store, text))
    return store.resolve(text)
