"""The execution engine: run workplans on Dask with persistent memoisation.

Public API (no Dask or numpy is imported until something has to be computed):

- `run_workplan(plan, store, options, progress=None) -> RunSummary`
- `run_file(path, store, options, progress=None) -> RunSummary`
- `RunOptions`, `RunSummary`, `Failure`, and the progress callbacks in `voxcas.execute.progress`.

See `voxcas.execute.engine` for the design (what is looked up, written and cached, and when).
"""

from __future__ import annotations

from voxcas.execute.engine import run_file, run_workplan
from voxcas.execute.options import Failure, RunOptions, RunSummary

__all__ = ["Failure", "RunOptions", "RunSummary", "run_file", "run_workplan"]
