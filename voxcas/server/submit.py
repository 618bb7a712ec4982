"""Turning program text received over HTTP into a workplan that is allowed to run.

`prepare_program(text, name, settings)` parses and reduces the program exactly as `vox run`
would (`voxcas.lang.reduce_source`), so syntax and resolution errors come back at once as a 400
with the position. Before reduction, file imports (`import "lib.imgql"`) must lie inside a data
root (namespace imports such as `import "vox1"` are always allowed); after reduction,
`voxcas.server.guard.check_plan` proves every file read and save target is allowed (403 otherwise).
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
from voxcas.server.guard import PathPolicy, check_plan, inside
from voxcas.server.settings import ServerSettings

if TYPE_CHECKING:
    from voxcas.lang.budget import Budget
    from voxcas.plan.fingerprint import FingerprintCache


def check_program_name(name: str) -> str:
    pure = PurePath(name)
    if not name or len(pure.parts) != 1 or name in (".", "..") or "\\" in name:
        raise UsageError(f"invalid program name {name!r}: expected a bare file name such as 'prog.imgql'")
    return name


def check_imports(text: str, name: str, settings: ServerSettings, registry: Registry) -> None:
    """File imports must lie inside a data root; namespace imports are always fine."""
    from voxcas.lang import ast as A
    from voxcas.lang import parse

    program = parse(text, name)  # deep nesting is a syntax error with its position, never a crash
    for command in program.commands:
        if not isinstance(command, A.Import) or registry.has_namespace(command.target):
            continue
        if not settings.data_roots:
            raise AccessDeniedError(
                f"{command.span}: importing {command.target!r} is not allowed: this server has no data roots"
            )
        if not inside(command.target, settings.data_roots):
            raise AccessDeniedError(
                f"{command.span}: import {command.target!r} is outside the data roots "
                f"({', '.join(str(r) for r in settings.resolved_roots)})"
            )


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
    PathPolicy.of(settings.data_roots).check_path(op, path, exc.span)  # the guard's 403 when outside


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

    `registry` should be the guarded registry of `guarded_registry` (the one the run will use);
    a read the guard refuses during reduction (a folded listing, a fingerprint) comes back as the
    guard's 403 with the position of the expression, not as the reducer's 400."""
    from voxcas.lang import reduce_source

    registry = registry or default_registry()
    check_program_name(name)
    check_imports(text, name, settings, registry)
    try:
        plan = reduce_source(text, name, registry=registry, fingerprints=fingerprints, budget=budget)
    except SourceError as exc:
        where = f"{exc.span}: " if exc.span is not None else ""
        denied = exc.__context__
        if isinstance(denied, AccessDeniedError):
            raise AccessDeniedError(f"{where}{denied}") from None
        _hide_existence(exc, settings, registry)
        raise
    check_plan(plan, settings.data_roots, registry=registry, cwd=Path.cwd())
    if settings.out_root is None and any(goal.kind == "save" for goal in plan.goals):
        goal = next(g for g in plan.goals if g.kind == "save")
        where = f"{goal.span}: " if goal.span is not None else ""
        raise AccessDeniedError(
            f"{where}save {goal.target!r} is not allowed: this server has no output directory (--out-root)"
        )
    return plan
