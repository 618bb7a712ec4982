"""Explanations over the store: why a run computed a node (`why`), how two runs differ (`rundiff`).

Library functions returning JSON-ready data; `vox why` and `vox diff` (`voxcas.cli.explain_cmds`)
are thin shells over them. Everything is read from stored node definitions, results and runs.
"""
