"""The voxcas demo: a deterministic synthetic brain dataset and the run that segments it.

`voxcas.demo.dataset.generate(root)` writes the dataset; `python -m voxcas.demo` generates it and
runs `examples/brain_tumour.imgql` over it twice through the real `vox run` (see docs/demo.md).
"""
