"""Namespaces from installed packages: the `voxcas.namespaces` entry-point group.

A package adds a namespace of primitives by declaring an entry point in that group, named like
the namespace, whose value is a module with a `NAMESPACE` (`voxcas.primitives.registry.Namespace`),
or `module:ATTRIBUTE` naming the namespace object. Discovery scans the installed distributions,
which costs tens of milliseconds, so the registry does it only when a program or a command asks
for a namespace that is not built in (or lists them all). docs/plugins.md says how to write one.
"""

from __future__ import annotations

GROUP = "voxcas.namespaces"


def plugin_namespaces() -> dict[str, str]:
    """Namespace name -> the entry point's value (`module` or `module:ATTRIBUTE`), as installed."""
    from importlib.metadata import entry_points

    return {entry.name: entry.value for entry in entry_points(group=GROUP)}
