"""Turning program text received over HTTP into a workplan that is allowed to run.

`prepare_program(text, name, settings)` parses and reduces the program exactly as `vox run`
would (`voxcas.lang.reduce_source`), so syntax and resolution errors come back at once as a 400
with the position. It is reduced under the server's read policy (`voxcas.access`: file imports
at any depth, folded listings and fingerprints only inside the data roots; namespace imports such
as `import "vox1"` are always allowed); after reduction, `voxcas.server.guard.check_plan` proves
every file read and save target is allowed before anything runs (403 otherwise), and the run
itself reads and writes under `run_policy`.
Reduction runs under the run's `Budget` (its cancel event and the server's node limit), in the
run manager's reducer threads, never on the event loop (`voxcas.server.runner.submit_program`).
The program's name is a bare file name: it appears in error positions and the run record, and
relative paths in the program resolve against the server's working directory, as in `vox run`.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from voxcas.errors import AccessDeniedError, SourceError, UsageError
from voxcas.plan.nodes import Workplan
from voxcas.primitives.registry import Registry, default_registry
from voxcas.server.guard import PathPolicy, check_plan, read_policy
from voxcas.server.settings import ServerSettings

if TYPE_CHECKING:
    from voxcas.lang.budget import Budget
    from voxcas.plan.fingerprint import FingerprintCache


def check_program_name(name: str) -> str:
    pure = PurePath(name)
    if not name or len(pure.parts) != 1 or name in (".", "..") or "\\" in name:
        raise UsageError(f"invalid program name {name!r}: expected a bare file name such as 'prog.imgql'")
    return name


_MISSING = re.compile(r"^'(?P<name>[^']+)' cannot read '(?P<path>.*)': no such file")


def _hide_existence(exc: SourceError, settings: ServerSettings, registry: Registry) -> None:
    """The reducer reports a missing input file before the guard sees the path; for a path outside
    the data roots, answer exactly as for an existing one, so a client cannot probe which exist."""
    match = _MISSING.match(exc.bare_message)
    if match is None:
        return
    name, path = match.group("name"), match.group("path")
    readers = [
        p.qualified
        for ns in registry.names()
        if _loaded(registry, ns)
        for p in registry.namespace(ns).primitives.values()
        if p.reads_files and p.name == name
    ]
    op = readers[0] if len(readers) == 1 else f"'{name}'"
    PathPolicy.of(settings.data_roots).check_path(op, path, exc.span)  # the policy's 403 when outside


def _loaded(registry: Registry, namespace: str) -> bool:
    try:
        registry.namespace(namespace)
    except ModuleNotFoundError:
        return False
    return True


def prepare_program(
    text: str,
    name: str,
    settings: ServerSettings,
    registry: Registry | None = None,
    fingerprints: FingerprintCache | None = None,
    budget: Budget | None = None,
) -> Workplan:
    """The checked workplan of a program submitted over HTTP (400 on bad source, 403 on forbidden reads,
    422 over the node limit of `budget`, `RunCancelled` once its cancel event is set).

    The program is reduced under `read_policy` (`voxcas.access`): imports at any depth, folded
    listings and fingerprints read only inside the data roots, and a read the policy refuses comes
    back as its 403 with the position of the expression, not as the reducer's 400."""
    from voxcas.access import using
    from voxcas.lang import reduce_source

    registry = registry or default_registry()
    check_program_name(name)
    try:
        with using(read_policy(settings.data_roots)):
            plan = reduce_source(text, name, registry=registry, fingerprints=fingerprints, budget=budget)
    except SourceError as exc:
        where = f"{exc.span}: " if exc.span is not None else ""
        denied = exc.__context__
        if isinstance(denied, AccessDeniedError):
            raise AccessDeniedError(f"{where}{denied}") from None
        _hide_existence(exc, settings, registry)
        raise
    check_plan(
        plan, settings.data_roots, registry=registry, cwd=Path.cwd(), writable=settings.out_root is not None
    )
    if settings.out_root is None and any(goal.kind == "save" for goal in plan.goals):
        goal = next(g for g in plan.goals if g.kind == "save")
        where = f"{goal.span}: " if goal.span is not None else ""
        raise AccessDeniedError(
            f"{where}save {goal.target!r} is not allowed: this server has no output directory (--out-root)"
        )
    return plan
