"""The workplan: a DAG of content-addressed nodes, produced by `voxcas.lang` and run by `voxcas.execute`."""
