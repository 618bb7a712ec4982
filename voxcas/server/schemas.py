"""Request and response bodies of the HTTP API (pydantic), in families per resource.

`XCreate` is what a client sends to make an X, `XPublic` what the API returns about one. These
shapes are the public contract: `api/openapi.json` is generated from them and a test keeps it
current, so a change here is a visible API change.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RunStatus = Literal["reducing", "queued", "running", "ok", "failed", "cancelled", "timeout"]


class ErrorPublic(BaseModel):
    error: str = Field(description="One line: what is wrong, the offending value, and where.")


# --- runs -------------------------------------------------------------------------------------------
class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    program: str = Field(description="The program text (VoxLogicA-2 `.imgql` source).")
    name: str = Field(
        default="program.imgql",
        description="A file name for the program, used in error positions and run records.",
        max_length=200,
    )
    workers: int | None = Field(
        default=None, ge=1, le=256, strict=True, description="Executor threads for this run."
    )
    max_seconds: float | None = Field(
        default=None,
        gt=0,
        strict=True,  # a number, never a boolean or a string
        allow_inf_nan=False,
        description="A time limit for this run (at most the server's limit).",
    )


class RunProgress(BaseModel):
    total: int = Field(default=0, description="Nodes the run needs (known once it has started).")
    done: int = 0
    computed: int = 0
    reused: int = 0
    failed: int = 0


class RunPublic(BaseModel):
    id: str
    name: str
    status: RunStatus
    submitted: float
    started: float | None = None
    finished: float | None = None
    progress: RunProgress
    error: str | None = Field(default=None, description="Why the run failed, was cancelled or timed out.")
    store_run: str | None = Field(default=None, description="The run record in the store (`vox show`).")


class RunsPublic(BaseModel):
    runs: list[RunPublic]


class GoalPublic(BaseModel):
    kind: Literal["print", "save"]
    target: str = Field(description="The print label, or the save path (relative to the run's output).")
    node: str
    digest: str | None = Field(default=None, description="The value's object digest, when computed.")
    text: str | None = Field(default=None, description="The value as `print` shows it, when computed.")
    error: str | None = None


class GoalsPublic(BaseModel):
    run: str
    status: RunStatus
    goals: list[GoalPublic]
    outputs: list[str] = Field(description="The printed lines (`label=value`), as `vox run` shows them.")
    saved: list[str] = Field(description="Files written by save goals, under the run's output directory.")
    failures: list[str] = Field(description="One line per failed node: position, primitive, cause.")


# --- objects ----------------------------------------------------------------------------------------
class MissingRequest(BaseModel):
    digests: list[str] = Field(description="Object digests (`sha256:` + 64 hex digits).")


class MissingPublic(BaseModel):
    missing: list[str] = Field(description="The requested digests this store does not hold, in order.")


class ClosureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roots: list[str] = Field(
        min_length=1, description="Refs, run ids, node ids or digests (unique prefixes allowed)."
    )
    closure: bool = Field(default=False, description="Also the results of every node the roots depend on.")


class ClosurePublic(BaseModel):
    digests: list[str] = Field(description="Every object a bundle of the roots holds, sorted.")


class BundleExportRequest(ClosureRequest):
    objects: list[str] | None = Field(
        default=None, description="Put only these objects in the bundle (the ones the caller lacks)."
    )
    exclude: list[str] | None = Field(
        default=None, description="Or: leave these objects out (the ones the caller has), when shorter."
    )


class ImportPublic(BaseModel):
    """What importing a bundle added (`voxcas.store.bundle.ImportReport`)."""

    digest: str = Field(description="The bundle's digest, recorded as the imported results' provenance.")
    objects_added: int
    objects_present: int = Field(description="Objects in the bundle the store already had.")
    nodes_added: int
    results_added: int
    results_present: int = Field(description="Results the store already had (local results are kept).")
    runs_added: int
    refs_added: int
    refs_skipped: list[str] = Field(description="Refs not added because the name exists here.")


# --- refs, gc, primitives, health ---------------------------------------------------------------------
class RefUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run: str = Field(description="A run id (or unique prefix, or another ref name).")


class RefPublic(BaseModel):
    name: str
    run: str


class RefsPublic(BaseModel):
    refs: list[RefPublic]


class GcRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dry_run: bool = Field(default=True, description="Only report what would be deleted (the default).")
    keep_runs: int | None = Field(
        default=None, ge=0, strict=True, description="Keep the results of the newest N runs."
    )
    older_than: str | None = Field(
        default=None, description="Only delete what is older than this (`30d`, `12h`)."
    )
    max_size: str | None = Field(
        default=None,
        description="Evict the results saving the fewest seconds per byte until the store is under "
        "this (`5G`); never the goals of kept runs unless `force`.",
    )
    keep: str = Field(
        default="all",
        description="What to keep of a kept run: `all` its results, or its `goals` and the results "
        "saving at least `min_saving` (docs/store.md).",
    )
    min_saving: str = Field(default="60s/G", description="Seconds saved per stored size (`60s/G`).")
    force: bool = Field(default=False, description="Let `max_size` evict the goals of kept runs.")


class GcPublic(BaseModel):
    dry_run: bool
    report: dict[str, Any] = Field(description="What gc deleted (or would delete), as the store reports it.")


class ParamPublic(BaseModel):
    name: str
    kind: str
    optional: bool


class PrimitivePublic(BaseModel):
    name: str = Field(description="Qualified name, e.g. `vox1.near`.")
    signature: str
    version: str
    result: str
    doc: str
    params: list[ParamPublic]
    reads_files: bool


class PrimitivesPublic(BaseModel):
    primitives: list[PrimitivePublic]


class HealthPublic(BaseModel):
    status: Literal["ok"]
    version: str
    auth: bool = Field(description="Whether requests need a bearer token.")
    data_roots: int = Field(description="How many data roots programs may read from.")
