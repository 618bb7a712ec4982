"""Commands about a store's space and health: gc, fsck, du (and its alias stats).

Thin shell over `voxcas.store.gc`, `voxcas.store.fsck` and `voxcas.store.stats`: each command is a
module-level function that renders the library's report as text or, with `--json`, as JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from voxcas.cli.common import JsonOption, MinSavingOption, StoreOption, echo_json, open_store, sqlite_only
from voxcas.cli.render import human_size, short, table

if TYPE_CHECKING:
    from voxcas.store.gc import GcReport


def register(app: typer.Typer) -> None:
    app.command("gc")(gc)
    app.command("fsck")(fsck)
    app.command("du")(du)
    app.command("stats")(stats)


def gc(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would be deleted.")] = False,
    keep_runs: Annotated[int, typer.Option("--keep-runs", help="Keep the results of the newest N runs.")] = 5,
    keep: Annotated[
        str,
        typer.Option(
            "--keep",
            metavar="all|goals",
            help="What to keep of a kept run: all its results, or its goals and the results saving "
            "at least --min-saving (drops large results cheap to recompute).",
        ),
    ] = "all",
    min_saving: MinSavingOption = "60s/G",
    older_than: Annotated[
        str | None, typer.Option("--older-than", help="Only delete results older than this (30d, 12h).")
    ] = None,
    max_size: Annotated[
        str | None,
        typer.Option(
            "--max-size",
            help="Evict the results saving the fewest seconds per byte until the store fits (10G); "
            "never the goals of kept runs unless --force.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Let --max-size evict the goals of kept runs (and ref'd runs).")
    ] = False,
    grace: Annotated[
        str, typer.Option("--grace", help="Never touch anything younger than this (runs in flight).")
    ] = "1h",
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Delete results no ref or kept run needs, and the objects nothing kept reaches.

    Examples: vox gc --dry-run; vox gc --keep goals; vox gc --max-size 10G
    """
    from voxcas.store.gc import gc as collect
    from voxcas.store.gc import parse_duration, parse_size
    from voxcas.store.retention import Retention, check_keep, parse_saving

    policy = Retention(check_keep(keep), parse_saving(min_saving), force)
    older = parse_duration(older_than) if older_than else None
    cap = parse_size(max_size) if max_size is not None else None
    with open_store(store) as s:
        report = collect(
            sqlite_only(s, "gc"),
            keep_runs=keep_runs,
            older_than=older,
            max_size=cap,
            grace=parse_duration(grace),
            dry_run=dry_run,
            retention=policy,
        )
    if json_out:
        echo_json(report.to_json())
        return
    print_gc_report(report, cap)


SHOWN_DROPPED = 10  # results listed by name in the text report (--json lists all)


def print_gc_report(report: GcReport, cap: int | None = None) -> None:
    """The text of a gc report: what was (or would be) freed and kept, the largest results the
    policy let go, and whether a size cap was met."""
    verb = "would delete" if report.dry_run else "deleted"
    typer.echo(
        f"{verb} {report.results_deleted} results, {report.objects_deleted} objects, "
        f"{report.nodes_deleted} node records: {human_size(report.bytes_freed)} freed"
    )
    if report.dropped:
        go = "would go" if report.dry_run else "went"
        typer.echo(f"{len(report.dropped)} results of kept runs {go} (largest first):")
        for d in report.dropped[:SHOWN_DROPPED]:
            what = d.label or d.op or "?"
            typer.echo(f"  {short(d.node)}  {human_size(d.bytes):>7}  {d.seconds:.3f}s  {what}")
        if len(report.dropped) > SHOWN_DROPPED:
            typer.echo(f"  ... and {len(report.dropped) - SHOWN_DROPPED} more (--json lists them all)")
    typer.echo(
        f"kept {report.results_kept} results and {report.objects_kept} objects "
        f"({human_size(report.bytes_kept)}) for {report.kept_runs} runs"
    )
    if report.fits is False and cap is not None:
        typer.echo(
            f"the store is still over {human_size(cap)}: what is left is the goals of kept runs, "
            "their refs and the last --grace; --force evicts goals too"
        )


def fsck(store: StoreOption = None, json_out: JsonOption = False) -> None:
    """Verify every object, result, item and node id; exit 1 if anything is wrong."""
    from voxcas.store.fsck import fsck as check

    with open_store(store) as s:
        report = check(sqlite_only(s, "fsck"))
    if json_out:
        echo_json(report.to_json())
    else:
        typer.echo(
            f"checked {report.objects} objects, {report.items} items, {report.results} results, "
            f"{report.nodes} nodes"
        )
        for problem in report.problems:
            typer.echo(f"problem: {problem}")
    if not report.ok:
        from voxcas.errors import StoreError

        count = len(report.problems) + report.unlisted
        raise StoreError(f"fsck found {count} problem{'s' if count != 1 else ''}")
    if not json_out:
        typer.echo("ok")


def _du(store: Path | None, json_out: bool) -> None:
    from voxcas.store.stats import store_stats

    with open_store(store) as s:
        stats = store_stats(sqlite_only(s, "du"))
    if json_out:
        echo_json(stats.to_json())
        return
    rows = [["kind", "objects", "size", "stored", "ratio"]]
    rows += [
        [k.kind, str(k.count), human_size(k.size), human_size(k.stored_size), f"{k.ratio:.2f}"]
        for k in stats.kinds
    ]
    total_ratio = stats.stored_size / stats.size if stats.size else 1.0
    rows.append(
        [
            "total",
            str(stats.objects),
            human_size(stats.size),
            human_size(stats.stored_size),
            f"{total_ratio:.2f}",
        ]
    )
    table(rows)
    typer.echo(
        f"{stats.results} results ({stats.distinct_result_objects} distinct values), "
        f"{stats.nodes} nodes, "
        f"{stats.runs} runs, {stats.refs} refs; files on disk {human_size(stats.file_bytes)}"
    )
    typer.echo(f"reuse rate {stats.reuse_rate:.1%} ({stats.reused} reused / {stats.computed} computed)")


def du(store: StoreOption = None, json_out: JsonOption = False) -> None:
    """Space by kind, compression ratio and reuse rate."""
    _du(store, json_out)


def stats(store: StoreOption = None, json_out: JsonOption = False) -> None:
    """Same as du."""
    _du(store, json_out)
