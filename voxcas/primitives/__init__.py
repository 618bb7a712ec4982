"""Primitives: the named, versioned functions programs call, grouped in namespaces.

See `voxcas.primitives.registry` for how a primitive is declared and found.
"""
