"""The content-addressed store: objects, node definitions, results, failures, runs and refs.

`open_store(path)` opens (or with `create=True` creates) the SQLite store of a directory;
`MemoryStore` is the in-memory implementation used by tests. Both implement `voxcas.store.base.Store`.
"""
