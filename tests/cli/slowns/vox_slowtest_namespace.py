"""`slowtest.step(x, ms)`: x + 1 after sleeping ms milliseconds (a primitive with a known cost);
`slowtest.read_until(path, flag)`: a file reader that waits for a flag file after reading."""

from __future__ import annotations

import time

from voxcas.primitives.registry import Namespace, Param

NAMESPACE = Namespace("slowtest", doc="test primitives with a controllable cost")


@NAMESPACE.primitive(params=(Param("x", "int"), Param("ms", "int")))
def step(x: int, ms: int) -> int:
    """x + 1, after sleeping ms milliseconds."""
    time.sleep(ms / 1000)
    return x + 1


@NAMESPACE.primitive(params=(Param("path", "str"), Param("flag", "str")), reads_files=True, path_params=(0,))
def read_until(path: str, flag: str) -> str:
    """The text of `path`, returned once the file `flag` exists: it writes `flag + ".reading"`
    after reading, so a test can replace `path` while the primitive is still running."""
    import os

    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    with open(flag + ".reading", "w", encoding="utf-8"):
        pass
    for _ in range(6000):  # at most a minute
        if os.path.exists(flag):
            break
        time.sleep(0.01)
    return text
