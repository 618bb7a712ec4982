"""Test-only: make the `slowtest` namespace importable by `vox` subprocesses.

Tests that need a primitive with a controllable cost (SIGKILL in the middle of a run) put this
folder on PYTHONPATH; Python imports `sitecustomize` at start-up, which names the namespace
module in the registry's table, exactly as a built-in namespace is named.
"""

from voxcas.primitives import registry

registry.NAMESPACE_MODULES.setdefault("slowtest", "vox_slowtest_namespace")
