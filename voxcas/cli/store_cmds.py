"""Git-style commands that read and name what a store holds: init, ls, cat, show, log, tag, untag, refs.

Thin shell: each command is a module-level function that parses its input, calls one function of
`voxcas.store` (`locate`, `inspect`), and renders the answer as text or, with `--json`, as JSON.
An empty listing says what to do next instead of printing nothing. Errors are `VoxcasError`s,
printed on one line by `voxcas.cli.app.main`. Space commands (gc, fsck, du) are in `space_cmds`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from voxcas.cli.common import JsonOption, StoreOption, echo_json, open_store
from voxcas.cli.render import human_size, short, table, when

# what an empty listing prints, by listing: what is missing and the command that makes some
EMPTY = {
    "runs": "no runs yet; try: vox run PROG",
    "results": "no results yet; try: vox run PROG",
    "objects": "no objects yet; try: vox run PROG",
    "refs": "no refs yet; try: vox tag NAME RUN",
}


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("ls")(ls)
    app.command("cat")(cat)
    app.command("show")(show)
    app.command("log")(log)
    app.command("tag")(tag)
    app.command("untag")(untag)
    app.command("refs")(refs)


def _render_listing(what: str, items: list[dict[str, Any]]) -> None:
    if not items:
        typer.echo(EMPTY[what])
        return
    if what == "runs":
        rows = [
            [
                short(r["id"]),
                when(r["started"]),
                r["status"],
                f"{r['computed']} computed, {r['reused']} reused, {r['failed']} failed",
                r["program"] + (f"  ({', '.join(r['refs'])})" if r["refs"] else ""),
            ]
            for r in items
        ]
    elif what == "results":
        rows = [
            [
                short(r["node"]),
                short(r["digest"]),
                human_size(r["size"]),
                r["kind"] or "?",
                r["op"] or "?",
                r["label"] or "",
                when(r["created"]),
            ]
            for r in items
        ]
    elif what == "objects":
        rows = [
            [
                short(o["digest"]),
                o["kind"],
                human_size(o["size"]),
                human_size(o["stored_size"]),
                when(o["created"]),
            ]
            for o in items
        ]
    else:
        rows = [[r["name"], short(r["run"]), when(r["started"]), r["program"]] for r in items]
    table(rows)


def _render_node(d: dict[str, Any]) -> None:
    typer.echo(f"node      {d['id']}")
    op = d["op"] + (f" (version {d['version']})" if d["version"] else "")
    typer.echo(f"operator  {op}")
    if d["constant"] is not None:
        typer.echo(f"constant  {d['constant'][0]} {d['constant'][1]!r}")
    if d["label"]:
        typer.echo(f"label     {d['label']}")
    typer.echo(f"source    {d['span'] or '-'}")
    for r in d.get("reads", []):
        typer.echo(f"reads     {r['path'] if r['path'] is not None else '?'}  {r['fingerprint']}")
    for i, arg in enumerate(d["arguments"]):
        what = arg["label"] or arg["op"] or "?"
        typer.echo(f"arg {i:<5} {short(arg['node'])}  {what}  -> {short(arg['result'])}")
    r = d["result"]
    if r is None:
        typer.echo("result    none")
    else:
        missing = "" if r["present"] else "  (object missing)"
        typer.echo(f"result    {r['digest']}{missing}")
        typer.echo(f"computed  {when(r['created'])} in {r['seconds']:.3f}s by run {short(r['run'])}")
        typer.echo(f"holds     {human_size(r['bytes'])} stored")
        typer.echo(f"origin    {r['provenance']}")
    for f in d["failures"]:
        typer.echo(f"failed    in run {short(f['run'])}: {f['message']}")


def _render_run(d: dict[str, Any]) -> None:
    typer.echo(f"run       {d['id']}" + (f"  ({', '.join(d['refs'])})" if d["refs"] else ""))
    typer.echo(f"program   {d['program']}")
    typer.echo(f"status    {d['status']}")
    typer.echo(f"started   {when(d['started'])}")
    typer.echo(f"finished  {when(d['finished'])}")
    typer.echo(f"nodes     {d['computed']} computed, {d['reused']} reused, {d['failed']} failed")
    for name, value in (d["options"].get("params") or {}).items():
        typer.echo(f"param     {name} = {value!r}")
    for i, src in enumerate(d["sources"]):
        typer.echo(f"{'code' if i == 0 else 'imports':<9} {src['path']}  {short(src['digest'], 19)}")
    for g in d["goals"]:
        typer.echo(f"goal      {g.get('kind')} {g.get('target')!r} -> {short(g.get('node'))}")
    if d["names"]:
        typer.echo(f"names     {', '.join(sorted(d['names']))}")
    for n in d["nodes"]:
        what = n["label"] or n["op"] or "?"
        err = f"  error: {n['error']}" if n["error"] else ""
        typer.echo(f"  {n['status']:<9} {short(n['node'])}  {what}  {n['span'] or ''}{err}".rstrip())


def _print_program(files: list[dict[str, Any]]) -> None:
    """The program exactly as it ran; with imports, each file after a `==> path <==` header (as
    `head` prints several files)."""
    import sys

    several = len(files) > 1
    for i, f in enumerate(files):
        if several:
            what = "" if i == 0 else "imported "
            gap = "\n" if i else ""
            sys.stdout.write(f"{gap}==> {what}{f['path']} <==\n")
        sys.stdout.write(f["text"])
        if several and not f["text"].endswith("\n"):
            sys.stdout.write("\n")
    sys.stdout.flush()


def _render_object(d: dict[str, Any]) -> None:
    typer.echo(f"object    {d['digest']}")
    typer.echo(f"kind      {d['kind']}")
    typer.echo(f"size      {human_size(d['size'])} ({human_size(d['stored_size'])} stored)")
    typer.echo(f"created   {when(d['created'])}")
    typer.echo(f"value     {d['summary']}")


def init(
    directory: Annotated[
        Path | None, typer.Argument(help="Directory to hold the store's .vox/ (default: here).")
    ] = None,
    store: StoreOption = None,
    blobs: Annotated[
        str | None,
        typer.Option(
            "--blobs",
            metavar="DIR|URL",
            help="Keep the bytes of large objects (1 MiB and more) as files in DIR, e.g. a "
            "directory every cluster worker can reach, or under an fsspec URL (s3://bucket/prefix; "
            "needs the fsspec extra); the default keeps them in the store's own blobs/.",
        ),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Create a store (DIRECTORY/.vox, or exactly --store); harmless if it exists."""
    from voxcas.store.locate import init_store

    opened, created = init_store(store, directory, blobs=blobs)
    with opened as s:
        where = str(getattr(s, "directory", "?"))
        tiers = getattr(s, "blobs", None)  # only a directory given to the store is named
        tier = str(getattr(tiers, "location", "") or "") if getattr(tiers, "shared", False) else ""
    if json_out:
        echo_json({"store": where, "created": created, "blobs": tier or None})
        return
    typer.echo(f"{'initialised empty' if created else 'reinitialised existing'} voxcas store in {where}")
    if tier:
        typer.echo(f"large objects are kept in {tier}")


def ls(
    what: Annotated[str, typer.Argument(help="runs, results, objects or refs.")] = "results",
    limit: Annotated[int | None, typer.Option("--limit", "-n", help="Show at most N entries.")] = None,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """List runs, results, objects or refs, newest first, with sizes and short ids."""
    from voxcas.store.inspect import listing

    with open_store(store) as s:
        items = listing(s, what)[:limit]
    if json_out:
        echo_json(items)
    else:
        _render_listing(what, items)


def cat(
    ident: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="A digest, node id (its result) or prefix, or RUN:NAME (latest:brain)."
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the value to a file (.nii.gz, .png, .json, ...)."),
    ] = None,
    view: Annotated[
        str | None,
        typer.Option(
            "--view",
            help="How to draw a picture: 'axis=coronal slice=90 window=0:600 mosaic=12 "
            "style=outline ...' (docs/images.md).",
        ),
    ] = None,
    overlay: Annotated[
        list[str] | None,
        typer.Option("--overlay", help="A mask (id or prefix) to draw over the picture (repeatable)."),
    ] = None,
    labels: Annotated[
        str | None, typer.Option("--labels", help="A label map (id or prefix) to draw, with a legend.")
    ] = None,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Show a value (verified): scalars and sequences printed, arrays and images summarised.

    With -o, write it to a file; pictures (.png) of a volume show its middle axial slice in
    radiological orientation unless --view says otherwise.
    Example: vox cat 4efd -o t1.png --view "axis=coronal window=0:600" --overlay 9c2e
    Example: vox cat latest:brain -o brain.nii.gz (the value of `brain` in the newest run)
    """
    from voxcas.store.inspect import summarize, value_of
    from voxcas.values import kind_of

    picture = view is not None or bool(overlay) or labels is not None
    if picture and output is None:
        from voxcas.errors import UsageError

        raise UsageError("--view, --overlay and --labels draw a picture: give the file with -o x.png")
    with open_store(store) as s:
        digest, value = value_of(s, ident)
        if output is not None and picture:
            from voxcas.output import write_picture

            masks = [value_of(s, m)[1] for m in overlay or ()]
            label_map = value_of(s, labels)[1] if labels is not None else None
            write_picture(value, output, view or "", masks, label_map)
        elif output is not None:
            from voxcas.output import write_value

            write_value(value, output)
        # with the store open: a sequence's items are read lazily
        summary = summarize(value) if json_out or output is None else ""
    if json_out:
        written = None if output is None else str(output)
        echo_json({"digest": digest, "kind": kind_of(value), "summary": summary, "output": written})
    elif output is not None:
        typer.echo(f"wrote {digest} to {output}", err=True)
    else:
        typer.echo(summary)


def show(
    ident: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="A node, run, digest (or prefix), ref, latest, latest~N, or RUN:NAME.",
        ),
    ],
    program: Annotated[
        bool,
        typer.Option(
            "--program",
            help="Print the code the run ran: its program and every imported file (with paths).",
        ),
    ] = False,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Explain a node (operator, arguments, source, files read, result, timing, provenance) or
    a run (program, imports, goals, names, nodes).

    Examples: vox show latest --program; vox show latest~1:brain; vox show 3f2a
    """
    from voxcas.store.inspect import show as describe

    if program:
        from voxcas.store.inspect import program_of

        with open_store(store) as s:
            files = program_of(s, ident)
        if json_out:
            echo_json(files)
        else:
            _print_program(files)
        return
    with open_store(store) as s:
        data = describe(s, ident)
    if json_out:
        echo_json(data)
    elif data["type"] == "node":
        _render_node(data)
    elif data["type"] == "run":
        _render_run(data)
    else:
        _render_object(data)


def log(
    limit: Annotated[int | None, typer.Option("--limit", "-n", help="Show at most N runs.")] = None,
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Run history, newest first."""
    from voxcas.store.inspect import list_runs

    with open_store(store) as s:
        runs = list_runs(s)[:limit]
    if json_out:
        echo_json(runs)
        return
    if not runs:
        typer.echo(EMPTY["runs"])
    for r in runs:
        refs = f" ({', '.join(r['refs'])})" if r["refs"] else ""
        typer.echo(f"run {r['id']}{refs}")
        typer.echo(f"  {when(r['started'])}  {r['status']}  {r['program']}")
        typer.echo(f"  {r['computed']} computed, {r['reused']} reused, {r['failed']} failed")


def tag(
    name: Annotated[str, typer.Argument(help="The ref name.")],
    run: Annotated[str, typer.Argument(help="A run id (or unique prefix), another ref, latest, latest~N.")],
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Point a ref at a run: its results survive gc."""
    from voxcas.store.inspect import tag_run

    with open_store(store) as s:
        target = tag_run(s, name, run)
    if json_out:
        echo_json({"name": name, "run": target})
    else:
        typer.echo(f"{name} -> {target}")


def untag(
    name: Annotated[str, typer.Argument(help="The ref to delete.")],
    store: StoreOption = None,
    json_out: JsonOption = False,
) -> None:
    """Delete a ref (its run's results become collectable)."""
    with open_store(store) as s:
        run = s.refs().get(name)
        s.untag(name)
    if json_out:
        echo_json({"name": name, "run": run})
    else:
        typer.echo(f"deleted ref {name}")


def refs(store: StoreOption = None, json_out: JsonOption = False) -> None:
    """List refs: names that keep runs alive."""
    from voxcas.store.inspect import list_refs

    with open_store(store) as s:
        items = list_refs(s)
    if json_out:
        echo_json(items)
    else:
        _render_listing("refs", items)
