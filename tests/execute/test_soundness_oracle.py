"""The differential soundness oracle (issue 9): a warm run prints exactly what a fresh run prints.

A hypothesis state machine builds a small project in a temporary directory — tiny NIfTI images
and a MetaImage header with its `.raw` voxel file, written with SimpleITK; text, JSON and CSV
files; symlinks to an image, to a text file, inside a listed folder and to a listed folder; a
program importing a file that imports another — and a generated program over it: top-level
reads, loops over `dir()` listings, loops over literal lists, paths built from loop items,
nested loops, `filter`, `map` over a function of an imported file, the base image (`tt`), paths
only a run can compute, goals run once per item, primitives of a test namespace. Its rules then
edit the project as people do: change voxels at equal size, replace a file by rename, copy one
image over another (`cp b a`), `touch` only, add / remove / rename files in a listed folder,
retarget a symlink, point the run-time paths elsewhere, edit an imported file, change a constant
or add a statement, bump a primitive's version, collect garbage.

After every edit the program runs on the project's own store (a real SQLite store, so the
reduction cache beside it is used too) twice — the first run after the edit, then a fully
cached one — and once on a fresh in-memory store; both warm runs must print exactly what the
fresh run prints (or fail with the same error). The fresh run is the oracle: it cannot reuse
anything, so it computes every answer from the files as they are.

The stat cache is exercised in both of its regimes, drawn per example: *settled* (files count as
settled at once, so unchanged `stat`s are trusted; each edit then moves the edited file's and its
folder's modification time to a new value, as a clock that ticks between edits would — the one
edit the stat rule cannot see by design is documented in docs/run.md, with `vox run --rehash`)
and *racy* (the real two-second rule: every file here was just written, so none is trusted and
everything is re-checked by content).

Runs go through the library (`run_file`), on the `sync` scheduler, so an example costs
milliseconds; `make test` runs 200 examples, `make stress` 1,000 longer ones.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from voxcas.errors import VoxcasError
from voxcas.execute import RunOptions, run_file
from voxcas.plan import filestate
from voxcas.primitives import registry as registry_module
from voxcas.primitives.registry import Namespace, Param, Registry
from voxcas.store.gc import gc
from voxcas.store.memory import MemoryStore
from voxcas.store.sqlite import SqliteStore

SHAPE = (2, 3, 4)  # z, y, x: every image has this shape and dtype, so rewrites keep the size
STEMS = ("c0", "c1", "c2")
NAMED_IMAGES = tuple(f"images/{s}.nii" for s in STEMS)
NAMED_TEXTS = ("texts/t0.txt", "texts/t1.txt")
HEADER = "images/m0.mhd"  # a MetaImage header: SimpleITK writes its voxels to images/m0.raw
# symlink -> the targets it may point to (relative to the link's folder); the first is its start
LINKS = {
    "link.nii": NAMED_IMAGES,
    "ltxt.txt": NAMED_TEXTS,
    "images/lnk.nii": tuple(f"{s}.nii" for s in STEMS),  # a link inside a listed folder
    "imgdir": ("images", "texts"),  # a link to a listed folder
}
OTHER_INPUTS = ("data.json", "table.csv", HEADER)
CONSTANTS = ("k0", "k1")  # constants of the program
LIB_CONSTANTS = {"lib.imgql": "kl", "lib2.imgql": "k2", "oracle.imgql": "kp"}  # oracle's prelude


def oracle_registry(version: int) -> Registry:
    """The built-in namespaces plus `oracle`, a namespace added at run time (as a plugin would
    be) whose primitives answer differently in each version, with a prelude in the project
    (`oracle.imgql`, which the machine edits too)."""
    ns = Namespace("oracle", doc="soundness-oracle test primitives", prelude=os.path.abspath("oracle.imgql"))

    @ns.primitive(params=(Param("x", "int"),), version=str(version))
    def bump(x: int) -> int:
        return x + 1000 * version

    @ns.primitive(params=(Param("x", "int"),), version=str(version), foldable=True)
    def fbump(x: int) -> int:
        return x + 1000 * version

    registry = Registry()
    registry.add_namespace(ns)
    return registry


def image_bytes_writer(path: Path, seed: int) -> None:
    import SimpleITK as sitk

    # a level drawn from the seed plus a little noise: `max`, `volume(... >. k)` and `avg` all
    # see a change of content (the max of uniform noise would hardly ever move)
    values = seed % 97 + np.random.default_rng(seed).integers(0, 3, size=SHAPE)
    values = values.astype(np.int16)
    sitk.WriteImage(sitk.GetImageFromArray(values), str(path))


def text_content(value: int) -> str:
    """Three characters, so rewrites keep the size: a number, or now and then not one (a run
    then fails at `int`, and failures must not be reused either)."""
    return "n/a" if value % 17 == 0 else f"{value % 1000:03d}"


def write_input(path: Path, seed: int) -> None:
    """Write an input file of the kind its name says, with content drawn from `seed`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix in (".nii", ".mhd"):
        image_bytes_writer(path, seed)
    elif path.suffix == ".json":
        path.write_text(f"[{seed % 10}, {seed % 7}, {seed % 5}]")
    elif path.suffix == ".csv":
        path.write_text(f"{seed % 10},{seed % 7}\n{seed % 5},{seed % 3}\n")
    else:
        path.write_text(text_content(seed))


# One statement of a generated program: a template over the dataset; `{k}` is a constant's name,
# `{img}` / `{txt}` a file read at a literal path, `{stems}` / `{imgs}` literal lists.
STATEMENTS = (
    'max(load("{img}"))',
    f'max(load("{HEADER}")) + {{k}}',
    f'for p in ["{HEADER}", "{{img}}"] do max(load(p))',
    'volume(load("{img}") >. {k})',
    'int(load("{txt}")) + {k}',
    'sum(load("data.json")) * {k}',
    'for r in load("table.csv") do sum(r) + {k}',
    'max(load(concat($dir, "/{img}")))',
    'for p in dir("images", "*.nii") do max(load(p))',
    'for p in dir("images", "*.nii") do volume(load(p) >. {k})',
    'for p in dir("images", "*.nii") do max(load(concat("images/", stem(p), ".nii")))',
    'for p in dir("imgdir", "*.nii") do max(load(p))',
    'for d in ["images", "imgdir", "texts"] do length(dir(d))',
    'for d in ["imgdir", "images"] do for p in dir(d, "*.nii") do max(load(p))',
    'for i in [0, 2] do max(load(concat("images/c", i, ".nii")))',
    'for n in [1, 2] do max(load("{img}")) + n',
    'filter p in dir("images", "*.nii") do max(load(p)) > 50 + {k}',
    'for p in (filter p in dir("images", "*.nii") do max(load(p)) > 50 + {k}) do stem(p)',
    'max(simpleitk.ReadImage("{img}"))',
    'avg(intensity(load("{img}")), tt)',
    "for p in [{imgs}] do avg(intensity(load(p)), tt)",
    'for im in [load("{img}"), load("images/c2.nii")] do max(im) + {k}',
    'for i in [oracle.bump(0) - oracle.bump(0)] do max(load(concat("images/c", i, ".nii")))',
    # whole commands ("!"; "@" is the label's prefix): goals run once per item of a dataset
    '!for p in dir("images", "*.nii") do print concat("@", stem(p)) max(load(p))',
    '!for t in dir("texts", "*.txt") do print concat("@", stem(t)) int(load(t)) + {k}',
    'for c in [{stems}] do max(load(concat("images/", c, ".nii")))',
    "for p in [{imgs}] do max(load(p)) + {k}",
    'for t in dir("texts", "*.txt") do rd(t) + {k}',
    'for t in dir("texts", "*.txt") do load(t)',
    "g({k})",
    "for n in [1, 2] do g(n + {k})",
    "oracle.bump({k})",
    "oracle.fbump({k})",
    "oracle.pr({k})",
    'for t in dir("texts", "*.txt") do oracle.bump(int(load(t)))',
    'for t in dir("texts", "*.txt") do '
    'for c in [{stems}] do int(load(t)) + max(load(concat("images/", c, ".nii")))',
    'length(dir("images", "*.nii"))',
    'for p in dir("images", "*.nii") do stem(p)',
    'map(h, dir("images", "*.nii"))',
    "kt + {k}",
    'fold + (for p in dir("images", "*.nii") do max(load(p)))',
    'for p in dir("images", "*.nii") do fold + (for t in [{txts}] do int(load(t)) + max(load(p)))',
    # paths only a run can compute: recomputed on every run (with a warning), never reused stale
    'max(load(load("which.txt")))',
    'for w in ["which.txt"] do max(load(load(w))) + {k}',
    'for p in split(load("list.txt")) do max(load(p))',
)

statements = st.tuples(
    st.integers(0, len(STATEMENTS) - 1),
    st.sampled_from((*CONSTANTS, "kl", "k2")),
    st.sampled_from((*NAMED_IMAGES, "link.nii", HEADER)),
    st.sampled_from((*NAMED_TEXTS, "ltxt.txt")),
    st.lists(st.sampled_from(STEMS), min_size=1, max_size=3),
    st.lists(st.sampled_from((*NAMED_IMAGES, "link.nii")), min_size=1, max_size=3),
    st.lists(st.sampled_from((*NAMED_TEXTS, "ltxt.txt")), min_size=1, max_size=2),
)


def statement_text(drawn: tuple[Any, ...]) -> str:
    index, k, img, txt, stems, imgs, txts = drawn
    return STATEMENTS[index].format(
        k=k,
        img=img,
        txt=txt,
        stems=", ".join(f'"{s}"' for s in stems),
        imgs=", ".join(f'"{p}"' for p in imgs),
        txts=", ".join(f'"{t}"' for t in txts),
    )


Outcome = tuple[str, tuple[str, ...], tuple[str, ...]]  # status, printed lines, failure messages


class SoundnessOracle(RuleBasedStateMachine):
    """A project, its own store, and edits; every step compares warm runs with a fresh one."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="vox-oracle-"))
        self.old_cwd = os.getcwd()
        self.old_registry = registry_module._DEFAULT
        self.old_racy = filestate.RACY_NS
        os.chdir(self.root)
        self.settled = False
        self.clock = 1_600_000_000 * 10**9  # the mtimes edits stamp in the settled regime
        self.constants: dict[str, int] = {}
        self.lib: dict[str, int] = {}
        self.version = 1
        self.extras: dict[str, list[str]] = {"images": [], "texts": []}
        self.serial = 0
        self.body: list[str] = []

    def teardown(self) -> None:
        os.chdir(self.old_cwd)
        registry_module._DEFAULT = self.old_registry
        filestate.RACY_NS = self.old_racy
        shutil.rmtree(self.root, ignore_errors=True)

    # ----- the project

    def tick(self, *paths: str) -> None:
        """In the settled regime, give each path a modification time no earlier state had."""
        if not self.settled:
            return
        for path in paths:
            for written in (path, path[: -len(".mhd")] + ".raw") if path.endswith(".mhd") else (path,):
                self.clock += 10**9
                os.utime(written, ns=(self.clock, self.clock), follow_symlinks=False)

    def write_program(self) -> None:
        head = ['import "vox1"', 'import "oracle"', 'import "lib.imgql"']
        head += [f"{name} = {value}" for name, value in self.constants.items()]
        lines = head + [
            text[1:].replace("@", f"g{i}_") if text.startswith("!") else f'print "s{i}" {text}'
            for i, text in enumerate(self.body)
        ]
        Path("prog.imgql").write_text("\n".join(lines) + "\n")
        self.tick("prog.imgql")

    def write_libs(self, only: str | None = None) -> None:
        """Write the imported files and the plugin's prelude (`only` one of them, if given)."""
        texts = {
            "lib.imgql": 'import "lib2.imgql"\n'
            f"kl = {self.lib['kl']} + k2\n"
            "g(x) = x * kl\n"
            "h(p) = max(load(p)) + kl\n"
            'kt = int(load("texts/t1.txt"))\n'
            'print "lib" kl + kt\n',
            "lib2.imgql": f"k2 = {self.lib['k2']}\nrd(t) = int(load(t)) * k2\n",
            "oracle.imgql": f"kp = {self.lib['kp']}\npr(x) = bump(x) + kp\n",
        }
        for name, text in texts.items():
            if only in (None, name):
                Path(name).write_text(text)
                self.tick(name)

    def run(self, store: Any, rehash: bool = False) -> Outcome:
        options = RunOptions(scheduler="sync", out_dir=self.root, rehash=rehash)
        try:
            summary = run_file("prog.imgql", store, options)
        except VoxcasError as error:
            return ("error", (type(error).__name__, str(error)), ())
        return (summary.status, tuple(summary.outputs), tuple(f.message for f in summary.failures))

    def check(self) -> None:
        """A run on a fresh store is the oracle; two runs on the project's store must agree."""
        with MemoryStore() as fresh:
            expected = self.run(fresh, rehash=True)  # not even the process's fingerprint cache
        for attempt in ("the first warm run", "the fully cached run"):
            with SqliteStore(self.root / ".vox", create=not (self.root / ".vox").exists()) as store:
                got = self.run(store)
            assert got == expected, (
                f"stale answer: {attempt} after the edits differs from a run on a fresh store\n"
                f"program:\n{Path('prog.imgql').read_text()}warm:  {got}\nfresh: {expected}"
            )

    @initialize(
        settled=st.booleans(),
        seeds=st.lists(st.integers(0, 10**6), min_size=8, max_size=8),
        pointers=st.lists(st.sampled_from(NAMED_IMAGES), min_size=1, max_size=3),
        constants=st.lists(st.integers(0, 90), min_size=2, max_size=2),
        lib=st.lists(st.integers(0, 9), min_size=3, max_size=3),
        body=st.lists(statements, min_size=2, max_size=6),
    )
    def project(
        self,
        settled: bool,
        seeds: list[int],
        pointers: list[str],
        constants: list[int],
        lib: list[int],
        body: list[Any],
    ) -> None:
        self.settled = settled
        if settled:
            filestate.RACY_NS = -(10**19)
        for path, seed in zip((*NAMED_IMAGES, *NAMED_TEXTS, *OTHER_INPUTS), seeds, strict=True):
            write_input(Path(path), seed)
            self.tick(path)
        for link, targets in LINKS.items():
            os.symlink(targets[0], link)
        self.write_pointers(pointers)
        self.constants = dict(zip(CONSTANTS, constants, strict=True))
        self.lib = dict(zip(LIB_CONSTANTS.values(), lib, strict=True))
        self.body = [statement_text(drawn) for drawn in body]
        self.write_libs()
        registry_module._DEFAULT = oracle_registry(self.version)
        self.write_program()
        self.tick("images", "texts", ".")
        self.check()

    # ----- edits of inputs

    def inputs(self) -> list[str]:
        return [*NAMED_IMAGES, *NAMED_TEXTS, *OTHER_INPUTS] + [
            f"{folder}/{name}" for folder, names in self.extras.items() for name in names
        ]

    @rule(pick=st.integers(0, 10**6), seed=st.integers(0, 10**6))
    def change_in_place_at_equal_size(self, pick: int, seed: int) -> None:
        inputs = self.inputs()
        path = inputs[pick % len(inputs)]
        size, inode = os.stat(path).st_size, os.stat(path).st_ino
        write_input(Path(path), seed)
        assert (os.stat(path).st_size, os.stat(path).st_ino) == (size, inode)
        self.tick(path)
        self.check()

    @rule(pick=st.integers(0, 10**6), seed=st.integers(0, 10**6))
    def replace_by_rename(self, pick: int, seed: int) -> None:
        inputs = self.inputs()
        path = Path(inputs[pick % len(inputs)])
        new = path.with_name(f".new-{path.name}")
        write_input(new, seed)
        os.replace(new, path)
        self.tick(str(path), str(path.parent))
        self.check()

    @rule(src=st.sampled_from(NAMED_IMAGES), shift=st.integers(1, len(NAMED_IMAGES) - 1))
    def copy_one_image_over_another(self, src: str, shift: int) -> None:
        dst = NAMED_IMAGES[(NAMED_IMAGES.index(src) + shift) % len(NAMED_IMAGES)]
        shutil.copyfile(src, dst)  # `cp b.nii a.nii`: same inode, same size, the other's bytes
        self.tick(dst)
        self.check()

    @rule(pick=st.integers(0, 10**6))
    def touch_only(self, pick: int) -> None:
        inputs = self.inputs()
        path = inputs[pick % len(inputs)]
        os.utime(path)
        self.tick(path)
        self.check()

    @rule(folder=st.sampled_from(("images", "texts")), seed=st.integers(0, 10**6))
    def add_a_file_to_a_listed_folder(self, folder: str, seed: int) -> None:
        self.serial += 1
        name = f"x{self.serial}" + (".nii" if folder == "images" else ".txt")
        write_input(Path(folder, name), seed)
        self.extras[folder].append(name)
        self.tick(f"{folder}/{name}", folder)
        self.check()

    @precondition(lambda self: any(self.extras.values()))
    @rule(pick=st.integers(0, 10**6))
    def remove_a_file_from_a_listed_folder(self, pick: int) -> None:
        folder, name = self.pick_extra(pick)
        os.remove(Path(folder, name))
        self.extras[folder].remove(name)
        self.tick(folder)
        self.check()

    @precondition(lambda self: any(self.extras.values()))
    @rule(pick=st.integers(0, 10**6), first=st.booleans())
    def rename_a_file_in_a_listed_folder(self, pick: int, first: bool) -> None:
        folder, name = self.pick_extra(pick)
        self.serial += 1
        # "a…" sorts before every other name, "z…" after: the listing's order changes too
        renamed = f"{'a' if first else 'z'}{self.serial}{Path(name).suffix}"
        os.rename(Path(folder, name), Path(folder, renamed))
        self.extras[folder][self.extras[folder].index(name)] = renamed
        self.tick(folder)
        self.check()

    def pick_extra(self, pick: int) -> tuple[str, str]:
        extras = [(folder, name) for folder, names in self.extras.items() for name in names]
        return extras[pick % len(extras)]

    @rule(link=st.sampled_from(sorted(LINKS)), pick=st.integers(0, 10))
    def retarget_a_symlink(self, link: str, pick: int) -> None:
        targets = LINKS[link]
        os.remove(link)
        os.symlink(targets[pick % len(targets)], link)
        self.tick(str(Path(link).parent))
        self.check()

    def write_pointers(self, images: list[str], by_rename: bool = False) -> None:
        """which.txt names one image, list.txt several: paths the program reads at run time."""
        for name, text in (("which.txt", images[0]), ("list.txt", " ".join(images))):
            target = Path(f".new-{name}") if by_rename else Path(name)
            target.write_text(text)
            if by_rename:
                os.replace(target, name)
            self.tick(name)

    @rule(images=st.lists(st.sampled_from(NAMED_IMAGES), min_size=1, max_size=3), by_rename=st.booleans())
    def point_the_run_time_paths_elsewhere(self, images: list[str], by_rename: bool) -> None:
        self.write_pointers(images, by_rename)
        self.tick(".")
        self.check()

    # ----- edits of code

    @rule(file=st.sampled_from(sorted(LIB_CONSTANTS)), value=st.integers(0, 9))
    def edit_an_imported_file(self, file: str, value: int) -> None:
        self.lib[LIB_CONSTANTS[file]] = value
        self.write_libs(only=file)
        self.check()

    @rule(name=st.sampled_from(CONSTANTS), value=st.integers(0, 90))
    def change_a_constant(self, name: str, value: int) -> None:
        self.constants[name] = value
        self.write_program()
        self.check()

    @rule(drawn=statements)
    def add_a_statement(self, drawn: tuple[Any, ...]) -> None:
        self.body.append(statement_text(drawn))
        self.write_program()
        self.check()

    @rule(keep_runs=st.integers(0, 2), max_size=st.sampled_from((None, 0, 2000)))
    def collect_garbage(self, keep_runs: int, max_size: int | None) -> None:
        with SqliteStore(self.root / ".vox") as store:
            gc(store, keep_runs=keep_runs, max_size=max_size, grace=0)
        self.check()

    @rule()
    def bump_a_primitive_version(self) -> None:
        self.version += 1
        registry_module._DEFAULT = oracle_registry(self.version)
        self.check()


SoundnessOracle.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=5,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
test_a_warm_run_prints_what_a_fresh_run_prints_after_any_edit = SoundnessOracle.TestCase


class StressedSoundnessOracle(SoundnessOracle):
    pass


StressedSoundnessOracle.TestCase.settings = settings(
    max_examples=1000,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
test_a_warm_run_prints_what_a_fresh_run_prints_after_long_edit_sequences = pytest.mark.timeout(7200)(
    pytest.mark.stress(StressedSoundnessOracle.TestCase)
)
