"""Language front-end benchmarks: parsing, reduction, deep chains, shared calls, fingerprints.

Each figure stands beside a same-run baseline of comparable work: Python's own `ast.parse` and
`json.loads` of text of the same size for parsing, and the bare cost of node identity (canonical
JSON + SHA-256 per node) for reduction.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import tempfile
import time

from bench.report import Report, best_of


def _program_10k() -> str:
    lines = ["v0 = length(range(2))"]
    lines += [f"v{i} = (v{i - 1} + {i}) * 2 - v{max(0, i - 7)} // declaration {i}" for i in range(1, 10_000)]
    return "\n".join(lines) + "\n"


def _python_like(text: str) -> str:
    return text.replace("//", "#")


def run(report: Report) -> None:
    from voxcas.lang import parse, reduce_source
    from voxcas.plan.fingerprint import MemoryFingerprintCache, file_fingerprint
    from voxcas.plan.identity import node_id
    from voxcas.plan.nodes import Apply, Const

    report.section("language front-end")
    text = _program_10k()
    report.note(f"10,000-line program: {len(text) / 1e6:.2f} MB")
    t_parse = best_of(lambda: parse(text), 5)
    t_ast = best_of(lambda: ast.parse(_python_like(text)), 5)
    data = json.dumps([{"name": f"v{i}", "expr": line} for i, line in enumerate(text.splitlines())])
    t_json = best_of(lambda: json.loads(data), 5)
    report.row(
        "parse 10,000 lines (11 tokens each)",
        t_parse,
        "s",
        baseline=t_ast,
        baseline_name="ast.parse of the same text",
        target="< 2× ast.parse",
        ok=t_parse < 2 * t_ast,
    )
    typical = "\n".join(f"x{i} = f(x{i - 1}, 2)" for i in range(1, 10_001)) + "\n"
    t_typ = best_of(lambda: parse(typical), 5)
    t_typ_ast = best_of(lambda: ast.parse(typical), 5)
    report.row(
        "parse 10,000 short lines (x1 = f(x0, 2))",
        t_typ,
        "s",
        baseline=t_typ_ast,
        baseline_name="ast.parse of the same text",
        target="< 0.25 s",
        ok=t_typ < 0.25,
    )
    report.row(
        "parse 10,000 lines (vs json)", t_parse, "s", baseline=t_json, baseline_name="json.loads, same size"
    )

    t_reduce = best_of(lambda: reduce_source(text), 3)
    wp = reduce_source(text)
    one = node_id(Const("int", 1))

    def identity_only() -> None:
        for i in range(len(wp.nodes)):
            node_id(Apply("default.+", "1", (one, node_id(Const("int", i)))))  # type: ignore[arg-type]

    t_ids = best_of(identity_only, 3) / 2  # two ids per iteration above
    report.note(f"10,000 declarations reduce to {len(wp.nodes)} nodes")
    report.row(
        "reduce 10,000 declarations (parse included)",
        t_reduce,
        "s",
        baseline=t_ids,
        baseline_name="node ids alone (JSON + SHA-256 per node)",
        target="< 2 s",
        ok=t_reduce < 2,
    )

    deep = "s = length(range(3))\ny = " + " + ".join(["s"] * 10_000) + "\n"
    deep += "f(a) = a * s\nz = " + "f(" * 10_000 + "s" + ")" * 10_000 + "\n"
    deep += "w = " + "(" * 10_000 + "s" + ")" * 10_000 + "\n"
    t_deep = best_of(lambda: reduce_source(deep), 3)
    try:
        ast.parse("y = " + " + ".join(["s"] * 10_000))
    except RecursionError:
        report.note("for comparison, ast.parse of the depth-10,000 infix chain raises RecursionError")
    flat = "s = length(range(3))\nv0 = s\n" + "".join(f"v{i} = v{i - 1} + s\n" for i in range(1, 20_000))
    t_flat = best_of(lambda: reduce_source(flat), 3)
    report.row(
        "reduce depth-10,000 chains (infix, calls, parentheses)",
        t_deep,
        "s",
        baseline=t_flat,
        baseline_name="the same 20,000 nodes as flat declarations",
        target="< 2 s",
        ok=t_deep < 2,
    )

    shared = ["k = length(range(3))", "f0(x) = x * k"]
    shared += [f"f{i}(x) = f{i - 1}(x) + f{i - 1}(x)" for i in range(1, 31)]
    shared.append("r = f30(k)")
    shared_text = "\n".join(shared)
    t_shared = best_of(lambda: reduce_source(shared_text), 5)
    n_shared = len(reduce_source(shared_text).nodes)
    report.note(f"f(x) = g(x) + g(x) nested 30 deep: {n_shared} nodes (2^30 calls if inlined naively)")
    report.row("reduce shared calls nested 30 deep", t_shared, "s", target="< 0.1 s", ok=t_shared < 0.1)

    sample = "/work/shared/data/chris_t1.nii.gz"
    with tempfile.TemporaryDirectory() as tmp:
        if not os.path.exists(sample):
            sample = os.path.join(tmp, "blob.bin")
            with open(sample, "wb") as handle:
                handle.write(os.urandom(16 << 20))
        size_mb = os.path.getsize(sample) / 1e6

        def hash_file() -> None:
            with open(sample, "rb") as handle:
                hashlib.sha256(handle.read()).hexdigest()

        t_raw = best_of(hash_file, 3)
        cache = MemoryFingerprintCache()
        t0 = time.perf_counter()
        file_fingerprint(sample, cache)
        t_first = time.perf_counter() - t0
        t_cached = best_of(lambda: file_fingerprint(sample, cache), 5)
        report.note(f"fingerprint input: {os.path.basename(sample)} ({size_mb:.1f} MB)")
        report.row(
            "fingerprint, first time", t_first, "s", baseline=t_raw, baseline_name="sha256 of the bytes"
        )
        report.row(
            "fingerprint, cached (path, size, mtime)",
            t_cached,
            "s",
            baseline=t_raw,
            baseline_name="sha256 of the bytes",
            target="< 1 ms",
            ok=t_cached < 1e-3,
        )
