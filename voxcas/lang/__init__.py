"""The VoxLogicA language front-end: parse programs, pretty-print them, reduce them to workplans.

    parse(text, path) -> Program            the AST (every node with its source span)
    pretty(program) -> str                  text that parses back to an equal AST
    reduce_source(text, path) -> Workplan   parse and reduce program text
    load_workplan(path) -> Workplan         read, parse and reduce a program file

Errors are `VoxSyntaxError` / `ResolutionError` (with span and source line). Parsing and
reduction run through `voxcas.lang.deep.run_deep`, so nesting depth is not limited by Python's
default recursion limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voxcas.lang.ast import Program
    from voxcas.lang.budget import Budget
    from voxcas.plan.fingerprint import FingerprintCache
    from voxcas.plan.nodes import Workplan
    from voxcas.primitives.registry import Registry

__all__ = ["load_workplan", "parse", "pretty", "reduce_program", "reduce_source"]


def parse(text: str, path: str = "<string>", dialect: str | None = "voxlogica2") -> Program:
    """The AST of program text (`VoxSyntaxError` if it does not follow the grammar), read in
    `dialect` (`voxlogica1` or `voxlogica2`: `voxcas.lang.dialect`), or in the one detected when
    it is None (as `reduce_source` and `load_workplan` do by default)."""
    from voxcas.lang.deep import run_deep
    from voxcas.lang.dialect import check_dialect, parse_dialect

    chosen = check_dialect(dialect)
    return run_deep(lambda: parse_dialect(text, path, chosen))


def pretty(program: Program) -> str:
    """Program text for an AST; `parse(pretty(p))` equals `p` (spans aside)."""
    from voxcas.lang.deep import run_deep
    from voxcas.lang.pretty import pretty_program

    return run_deep(lambda: pretty_program(program))


def reduce_program(
    program: Program,
    *,
    registry: Registry | None = None,
    fingerprints: FingerprintCache | None = None,
    params: Mapping[str, Any] | None = None,
    budget: Budget | None = None,
) -> Workplan:
    """The workplan of a parsed program (`ResolutionError` if a name, arity, file... is wrong).

    `params` replace top-level values of the program (`vox run -p NAME=VALUE`, `voxcas.lang.params`).
    `budget` bounds the reduction (`voxcas.lang.budget`): a cancel event and a node limit
    (`RunCancelled`, `PlanTooLargeError`)."""
    from voxcas.lang.budget import check_plan_size
    from voxcas.lang.deep import run_deep
    from voxcas.lang.files import FileCtx
    from voxcas.lang.params import param_consts
    from voxcas.lang.reducer import Reducer
    from voxcas.primitives.registry import default_registry

    consts = param_consts(params or {})

    def work() -> Workplan:
        reducer = Reducer(registry or default_registry(), fingerprints, consts, budget)
        reducer.program(program, FileCtx.of_text(program.path))
        reducer.check_params_used(program.path)
        reducer.warn_loops_reading_at_run_time()
        if budget is not None:
            check_plan_size(reducer.workplan, budget.max_nodes, program.path)
            reducer.check_budget(None)
        return reducer.workplan

    return run_deep(work)


def reduce_source(
    text: str,
    path: str = "<string>",
    *,
    registry: Registry | None = None,
    fingerprints: FingerprintCache | None = None,
    params: Mapping[str, Any] | None = None,
    budget: Budget | None = None,
    dialect: str | None = None,
) -> Workplan:
    """Parse and reduce program text; `path` names it in errors and sets `$file`/`$dir`/`$stem`."""
    return reduce_program(
        parse(text, path, dialect), registry=registry, fingerprints=fingerprints, params=params, budget=budget
    )


def load_workplan(
    path: str | Path,
    *,
    registry: Registry | None = None,
    fingerprints: FingerprintCache | None = None,
    params: Mapping[str, Any] | None = None,
    budget: Budget | None = None,
    dialect: str | None = None,
) -> Workplan:
    """Read, parse and reduce a program file (`InputFileError` if it cannot be read)."""
    from voxcas.lang.files import read_source

    text = read_source(str(path))
    return reduce_source(
        text,
        str(path),
        registry=registry,
        fingerprints=fingerprints,
        params=params,
        budget=budget,
        dialect=dialect,
    )
