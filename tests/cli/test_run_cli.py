"""`vox run` end to end, through the real CLI in a subprocess, on a real SQLite store."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SLOWNS = Path(__file__).resolve().parent / "slowns"


def vox(*args: str, cwd: Path, slow: bool = False, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    paths = [str(REPO)] + ([str(SLOWNS)] if slow else [])
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")])
    env.pop("VOX_STORE", None)
    done = subprocess.run(
        [sys.executable, "-m", "voxcas.cli.app", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    if check is not None:
        assert done.returncode == check, done.stderr
    return done


@pytest.fixture(autouse=True)
def existing_store(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """These tests run inside an existing store, as after `vox init` (the first run in a fresh
    directory also says where it created one: tested on its own, with the `fresh_directory` mark)."""
    if request.node.get_closest_marker("fresh_directory") is None:
        from voxcas.store.sqlite import SqliteStore

        SqliteStore(tmp_path / ".vox", create=True).close()


def run_json(tmp_path: Path, *args: str) -> dict[str, Any]:
    done = vox("run", *args, "--json", cwd=tmp_path)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


PROGRAM = """
n = length(range(0, 3))
a = n * 10
b = a + 1
c = n + 100
print "b" b
print "c" c
"""


def test_a_second_run_computes_nothing_and_prints_the_same(tmp_path: Path) -> None:
    (tmp_path / "prog.imgql").write_text(PROGRAM)
    first = vox("run", "prog.imgql", cwd=tmp_path)
    second = vox("run", "prog.imgql", cwd=tmp_path)
    assert first.stdout == second.stdout == "b=31\nc=103\n"
    assert (tmp_path / ".vox" / "store.db").exists()
    assert "0 computed, 2 reused" in second.stderr
    summary = run_json(tmp_path, "prog.imgql")
    assert (summary["computed"], summary["reused"], summary["outputs"]) == (0, 2, ["b=31", "c=103"])


def test_editing_one_constant_recomputes_only_its_dependents(tmp_path: Path) -> None:
    (tmp_path / "prog.imgql").write_text(PROGRAM)
    run_json(tmp_path, "prog.imgql")
    (tmp_path / "prog.imgql").write_text(PROGRAM.replace("n * 10", "n * 20"))
    summary = run_json(tmp_path, "prog.imgql")
    # a and b are new; c (and n beneath it) are reused
    assert (summary["computed"], summary["reused"], summary["outputs"]) == (2, 2, ["b=61", "c=103"])


def test_editing_one_input_file_recomputes_only_what_reads_it(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha")
    (tmp_path / "b.txt").write_text("beta")
    (tmp_path / "prog.imgql").write_text(
        'x = length(load("a.txt"))\ny = length(load("b.txt"))\nprint "x" x\nprint "y" y\n'
    )
    first = run_json(tmp_path, "prog.imgql")
    assert (first["computed"], first["outputs"]) == (4, ["x=5", "y=4"])
    (tmp_path / "a.txt").write_text("alphabet")
    summary = run_json(tmp_path, "prog.imgql")
    assert (summary["computed"], summary["reused"], summary["outputs"]) == (2, 1, ["x=8", "y=4"])


def test_adding_one_item_to_a_dataset_computes_one_more_item(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for i in range(4):
        (data / f"case{i}.txt").write_text("x" * (i + 1))
    (tmp_path / "prog.imgql").write_text(
        'sizes = for f in dir("data", "*.txt") do length(load(f)) * 2\nprint "sizes" sizes\n'
    )
    first = run_json(tmp_path, "prog.imgql")
    assert first["outputs"] == ["sizes=[2, 4, 6, 8]"]
    (data / "case4.txt").write_text("xxxxx")
    summary = run_json(tmp_path, "prog.imgql")
    assert summary["outputs"] == ["sizes=[2, 4, 6, 8, 10]"]
    # the new item's load, length and product, and the loop node; the four old items are reused
    assert (summary["computed"], summary["reused"]) == (4, 4)


def test_a_failing_node_exits_1_names_its_position_and_keeps_the_rest(tmp_path: Path) -> None:
    (tmp_path / "prog.imgql").write_text(
        'n = length(range(0, 3))\nbad = index([1, 2], n)\nprint "bad" bad + 1\nprint "ok" n + 1\n'
    )
    done = vox("run", "prog.imgql", cwd=tmp_path, check=1)
    assert done.stdout == "ok=4\n"
    lines = done.stderr.splitlines()
    assert lines[0] == (
        "prog.imgql:2:7: error: default.index: argument 'i': index 3 out of range for a sequence of length 2"
    )
    assert re.fullmatch(
        r"error: run [0-9a-f]{12} failed with 1 error \(details: vox show [0-9a-f]{12}\)", lines[-1]
    )
    again = run_json_status(tmp_path)
    assert (again["status"], again["computed"], again["reused"], again["failed"]) == ("failed", 0, 2, 1)


def run_json_status(tmp_path: Path) -> dict[str, Any]:
    done = vox("run", "prog.imgql", "--json", cwd=tmp_path, check=1)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_show_prints_a_declared_name_of_a_program_without_goals(tmp_path: Path) -> None:
    (tmp_path / "prog.imgql").write_text("n = length(range(0, 3))\nm = n * 7\n")
    assert vox("run", "prog.imgql", cwd=tmp_path).stdout == ""
    done = vox("run", "prog.imgql", "--show", "m", "--show", "n", "--quiet", cwd=tmp_path)
    assert (done.stdout, done.stderr) == ("m=21\nn=3\n", "")


def test_bad_options_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "prog.imgql").write_text('print "x" 1\n')
    done = vox("run", "prog.imgql", "--scheduler", "gpu", cwd=tmp_path, check=2)
    assert done.stderr == (
        "error: unknown scheduler 'gpu': expected threads, sync, processes or the address "
        "of a dask.distributed scheduler such as tcp://127.0.0.1:8786\n"
    )
    done = vox("run", "prog.imgql", "--show", "nope", cwd=tmp_path, check=2)
    assert done.stderr == "error: --show nope: no top-level declaration named 'nope' (declared: none)\n"


def test_the_store_can_be_chosen_and_save_goals_write_under_out(tmp_path: Path) -> None:
    (tmp_path / "prog.imgql").write_text('save "res/n.json" length(range(0, 4))\n')
    vox("run", "prog.imgql", "--store", "elsewhere", "--out", "outdir", "-q", cwd=tmp_path)
    assert (tmp_path / "elsewhere" / "store.db").exists()
    assert json.loads((tmp_path / "outdir" / "res" / "n.json").read_text()) == 4


def _kill_program(path: Path, nodes: int) -> None:
    """Two interleaved chains of `nodes` slow steps (so both pool threads work), summed at the end."""
    lines = ['import "slowtest"', "x0 = slowtest.step(0, 40)", "x1 = slowtest.step(0, 41)"]
    for i in range(2, nodes):
        lines.append(f"x{i} = slowtest.step(x{i - 2}, {40 + i % 20})")
    lines.append(f'print "last" x{nodes - 2} + x{nodes - 1}')
    path.write_text("\n".join(lines) + "\n")


def _stored_nodes(store_dir: Path) -> set[str]:
    from voxcas.store.sqlite import SqliteStore

    if not (store_dir / "store.db").exists():
        return set()
    with SqliteStore(store_dir) as store:
        return {r.node for r in store.results()}


def _start_run(tmp_path: Path, *args: str, quiet: bool = False) -> subprocess.Popen[str]:
    """`vox run prog.imgql` in the background with the slow test namespace importable; SIGINT
    keeps its default action (a background child would otherwise ignore Ctrl-C). With `quiet`,
    its output is discarded, else piped."""
    import signal

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(SLOWNS), env.get("PYTHONPATH", "")])
    out = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-m", "voxcas.cli.app", "run", "prog.imgql", *args],
        cwd=tmp_path,
        env=env,
        stdout=out,
        stderr=out,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _kill_mid_run_repeatedly(tmp_path: Path, kills: int, seed: int, max_pause: float) -> list[int]:
    """Start `vox run prog.imgql` `kills` times, each SIGKILLed a random moment after it stored
    something new; the numbers of stored results after each kill (starting from 0)."""
    import random
    import signal
    import time

    rng = random.Random(seed)
    counts = [0]
    for _ in range(kills):
        proc = _start_run(tmp_path, "-q", quiet=True)
        deadline = time.monotonic() + 30
        while len(_stored_nodes(tmp_path / ".vox")) <= counts[-1] and time.monotonic() < deadline:
            time.sleep(0.02)  # wait until this run has stored something: the kill lands mid-run
        time.sleep(rng.uniform(0.0, max_pause))
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
        counts.append(len(_stored_nodes(tmp_path / ".vox")))
    return counts


def _computed_by(tmp_path: Path, run: str) -> set[str]:
    from voxcas.store.sqlite import SqliteStore

    with SqliteStore(tmp_path / ".vox") as store:
        return {n for n, what in store.run_nodes(run) if what == "computed"}


@pytest.mark.parametrize(
    ("kills", "nodes"),
    [
        pytest.param(10, 200, marks=pytest.mark.slow, id="10-kills"),
        pytest.param(60, 600, marks=pytest.mark.stress, id="60-kills"),
    ],
)
def test_sigkill_in_the_middle_then_a_rerun_reuses_everything_stored_before(
    tmp_path: Path, kills: int, nodes: int
) -> None:
    _kill_program(tmp_path / "prog.imgql", nodes)
    counts = _kill_mid_run_repeatedly(tmp_path, kills, seed=7, max_pause=0.15)
    before = _stored_nodes(tmp_path / ".vox")
    assert counts == sorted(counts) and len(set(counts)) == kills + 1 and len(before) < nodes
    vox("fsck", cwd=tmp_path)  # the killed runs left a consistent store
    done = vox("run", "prog.imgql", "--json", cwd=tmp_path, slow=True)
    summary = json.loads(done.stdout)
    assert summary["outputs"] == [f"last={nodes}"]
    assert summary["computed"] == nodes + 1 - len(before)
    computed = _computed_by(tmp_path, summary["run"])
    assert len(computed) == nodes + 1 - len(before) and computed.isdisjoint(before)


@pytest.mark.slow
def test_sigkill_inside_a_loop_then_a_rerun_reuses_every_item_node_stored_before(tmp_path: Path) -> None:
    # 16 items of two slow steps each: the loop runs as a dask.bag, a few items at a time
    (tmp_path / "prog.imgql").write_text(
        'import "slowtest"\n'
        'print "s" fold + (for i in range(0, 16) do slowtest.step(slowtest.step(i, 60), 60))\n'
    )
    total = 1 + 16 * 2 + 1 + 1  # range, the steps, the loop, the fold
    counts = _kill_mid_run_repeatedly(tmp_path, 5, seed=11, max_pause=0.05)
    before = _stored_nodes(tmp_path / ".vox")
    assert counts == sorted(counts) and len(before) < total
    vox("fsck", cwd=tmp_path)
    summary = json.loads(vox("run", "prog.imgql", "--json", cwd=tmp_path, slow=True).stdout)
    assert summary["outputs"] == [f"s={sum(i + 2 for i in range(16))}"]
    computed = _computed_by(tmp_path, summary["run"])
    assert computed.isdisjoint(before) and len(computed) + len(before) == total


@pytest.mark.slow
def test_ctrl_c_stops_promptly_marks_the_run_cancelled_and_keeps_finished_results(tmp_path: Path) -> None:
    import signal
    import time

    from voxcas.store.sqlite import SqliteStore

    _kill_program(tmp_path / "prog.imgql", 40)
    proc = _start_run(tmp_path)
    deadline = time.monotonic() + 30
    while len(_stored_nodes(tmp_path / ".vox")) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 130 and out == ""
    kept = _stored_nodes(tmp_path / ".vox")
    run_id = err.split()[1].rstrip(":")
    assert err.splitlines()[-1] == f"error: run {run_id} interrupted; {len(kept)} finished results were kept"
    with SqliteStore(tmp_path / ".vox") as store:
        [info] = store.runs()
    assert (info.status, info.computed) == ("cancelled", len(kept))
    summary = json.loads(vox("run", "prog.imgql", "--json", cwd=tmp_path, slow=True).stdout)
    assert (summary["outputs"], summary["computed"]) == (["last=40"], 41 - len(kept))


def test_a_file_whose_path_is_computed_at_run_time_is_read_again_on_every_run(tmp_path: Path) -> None:
    (tmp_path / "which.txt").write_text("a.txt")
    (tmp_path / "a.txt").write_text("hello")
    (tmp_path / "prog.imgql").write_text('which = load("which.txt")\nprint "n" length(load(which))\n')
    first = vox("run", "prog.imgql", cwd=tmp_path)
    assert first.stdout == "n=5\n"
    assert first.stderr.splitlines()[0] == (
        "prog.imgql:2:18: warning: 'load' reads a path computed while the program runs; "
        "it and everything that depends on it are recomputed on every run"
    )
    (tmp_path / "a.txt").write_text("hello world")  # which.txt, and so the program's ids, unchanged
    second = run_json(tmp_path, "prog.imgql")
    assert second["outputs"] == ["n=11"]
    assert (second["computed"], second["reused"]) == (2, 1)  # load(which) and length; which is reused


def test_a_loop_reading_paths_it_computes_is_rerun_and_other_loops_are_reused(tmp_path: Path) -> None:
    (tmp_path / "which.txt").write_text("a.txt")
    (tmp_path / "a.txt").write_text("hello")
    (tmp_path / "prog.imgql").write_text(
        'print "n" for f in ["which.txt"] do length(load(load(f)))\n'
        'print "m" for f in ["which.txt"] do length(load(f))\n'
    )
    first = vox("run", "prog.imgql", cwd=tmp_path)
    assert first.stdout == "n=[5]\nm=[5]\n"
    assert first.stderr.startswith("prog.imgql:1:11: warning: this loop body reads a file at a path computed")
    (tmp_path / "a.txt").write_text("hello world")
    second = run_json(tmp_path, "prog.imgql")
    assert second["outputs"] == ["n=[11]", "m=[5]"]
    assert (second["computed"], second["reused"]) == (3, 2)  # the read, length, loop; m and load(f)


def test_ctrl_c_during_a_long_primitive_exits_at_once_keeping_what_finished(tmp_path: Path) -> None:
    import signal
    import time

    (tmp_path / "prog.imgql").write_text(
        'import "slowtest"\nx = slowtest.step(0, 10)\n'
        "y = slowtest.step(x, 120000)\nz = slowtest.step(x, 120001)\n"  # two: on pool threads
        'print "s" y + z\n'
    )
    proc = _start_run(tmp_path)
    deadline = time.monotonic() + 30
    while not _stored_nodes(tmp_path / ".vox") and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # y and z are now sleeping inside their primitive, for two minutes
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=20)  # not the two minutes the primitive would take
    assert proc.returncode == 130
    assert err.splitlines()[-1].endswith("interrupted; 1 finished results were kept")
    assert len(_stored_nodes(tmp_path / ".vox")) == 1


def test_progress_when_piped_is_json_events_on_stderr(tmp_path: Path) -> None:
    (tmp_path / "prog.imgql").write_text(PROGRAM)
    done = vox("run", "prog.imgql", "--progress", "--quiet", cwd=tmp_path)
    events = [json.loads(line) for line in done.stderr.splitlines()]
    assert events[0]["event"] == "start" and events[-1] == {**events[-1], "event": "finish", "status": "ok"}
    assert (events[-1]["total"], events[-1]["done"]) == (5, 5)
    assert done.stdout == "b=31\nc=103\n"
    assert vox("run", "prog.imgql", cwd=tmp_path).stderr.startswith("run ")  # no bar when piped


def test_a_fully_cached_run_imports_neither_dask_nor_numpy(tmp_path: Path) -> None:
    (tmp_path / "prog.imgql").write_text(PROGRAM)
    vox("run", "prog.imgql", cwd=tmp_path)
    probe = (
        "import sys\n"
        "from voxcas.cli.app import main\n"
        "try:\n"
        "    main(['run', 'prog.imgql', '--quiet'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "print(sorted(m for m in ('dask', 'distributed', 'numpy', 'pyarrow') if m in sys.modules))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout == "b=31\nc=103\n[]\n"


def test_a_save_that_cannot_be_written_is_an_error_at_the_goal_and_the_other_goals_still_run(
    tmp_path: Path,
) -> None:
    # a computed path: a literal one with an unknown extension is refused before running
    (tmp_path / "prog.imgql").write_text(
        'n = length(range(0, 3))\nsave concat("out/x", ".foo") n\nsave "out/y.json" n\n'
    )
    done = vox("run", "prog.imgql", cwd=tmp_path, check=1)
    assert done.stderr.splitlines()[0] == (
        "prog.imgql:2:1: error: save: cannot write an int to 'out/x.foo': unknown extension '.foo' "
        "(use .json, .csv or .txt)"
    )
    assert json.loads((tmp_path / "out" / "y.json").read_text()) == 3


def test_reducer_warnings_go_to_stderr_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "prog.imgql").write_text('print "x" step(1, 1)\n')
    done = vox("run", "prog.imgql", cwd=tmp_path, slow=True)
    assert done.stdout == "x=2\n"
    assert done.stderr.splitlines()[0] == (
        "name 'step' resolved in namespace 'slowtest'; add `import \"slowtest\"`"
    )
    assert "1 computed" in done.stderr.splitlines()[1]


@pytest.mark.fresh_directory
def test_a_run_outside_any_store_says_where_it_created_one(tmp_path: Path) -> None:
    (tmp_path / "prog.imgql").write_text('print "x" 1\n')
    first = vox("run", "prog.imgql", cwd=tmp_path)
    assert first.stderr.splitlines()[0] == (
        f"vox: created a new store in {tmp_path / '.vox'} "
        "(choose another with --store DIR, or create one with 'vox init')"
    )
    second = vox("run", "prog.imgql", cwd=tmp_path)
    assert "created a new store" not in second.stderr


@pytest.mark.fresh_directory
def test_a_run_of_a_missing_program_exits_2_and_creates_no_store(tmp_path: Path) -> None:
    done = vox("run", "missing.imgql", cwd=tmp_path, check=2)
    assert done.stderr == "error: no such program file 'missing.imgql'\n"
    assert not (tmp_path / ".vox").exists()


def test_a_literal_save_path_with_an_unknown_extension_is_refused_before_any_node_runs(
    tmp_path: Path,
) -> None:
    (tmp_path / "prog.imgql").write_text('n = length(range(0, 3))\nprint "n" n\nsave "out/x.foo" n\n')
    done = vox("run", "prog.imgql", cwd=tmp_path, check=2)
    assert done.stdout == ""
    assert done.stderr.splitlines()[0] == (
        "prog.imgql:3:1: error: cannot save to 'out/x.foo': unknown extension '.foo' "
        "(use .json, .csv or .txt for values; .nii.gz, .mha, .nrrd, .png, ... for images)"
    )
    assert json.loads(vox("log", "--json", cwd=tmp_path).stdout) == []  # no run was started


def test_a_plan_over_max_nodes_is_refused_with_exit_2_naming_the_count_and_the_limit(tmp_path: Path) -> None:
    (tmp_path / "prog.imgql").write_text('print "n" length(range(3)) + 1\n', encoding="utf-8")
    done = vox("run", "prog.imgql", "--max-nodes", "2", cwd=tmp_path, check=2)
    expected = "prog.imgql: the plan has 5 nodes, over the limit of 2 nodes (--max-nodes); nothing was run"
    assert done.stderr.strip() == f"error: {expected}"
    assert f"`error: {expected}`" in (REPO / "docs" / "run.md").read_text(encoding="utf-8")
    assert vox("run", "prog.imgql", "--max-nodes", "5", cwd=tmp_path).stdout == "n=4\n"
    # the plan now comes from the reduction cache: the limit still holds
    vox("run", "prog.imgql", "--max-nodes", "2", cwd=tmp_path, check=2)


def test_a_plan_growing_past_max_nodes_stops_the_reduction_at_a_position(tmp_path: Path) -> None:
    lines = ["f0(x) = x"] + [f"f{i}(x) = f{i - 1}(x * 2) + f{i - 1}(x * 2 + 1)" for i in range(1, 41)]
    program = "\n".join([*lines, 'print "r" f40(length(range(3)))']) + "\n"
    (tmp_path / "prog.imgql").write_text(program, encoding="utf-8")
    done = vox("run", "prog.imgql", "--max-nodes", "1000", cwd=tmp_path, check=2)
    assert re.fullmatch(
        r"error: prog\.imgql:\d+:\d+: the plan grew to [\d,]+ nodes while this was reduced, "
        r"over the limit of 1,000 nodes \(--max-nodes\); nothing was run\n",
        done.stderr,
    )


def test_a_hundred_thousand_nested_parentheses_are_exit_2_with_the_position(tmp_path: Path) -> None:
    n = 100_000
    (tmp_path / "deep.imgql").write_text('print "x" ' + "(" * n + "1" + ")" * n + "\n", encoding="utf-8")
    done = vox("run", "deep.imgql", cwd=tmp_path, check=2)
    headline = done.stderr.splitlines()[0]
    assert headline == "deep.imgql:1:20011: error: expressions nested deeper than 20000 levels"
    assert "Traceback" not in done.stderr
