"""The viewer's library side: what the browser viewer of `vox serve` / `vox view` shows.

- `runs.py`: the store's run history and one run's page (goals, printed values, loop items as
  one row per case, named by the loop's input), as JSON-ready data;
- `slices.py`: image information and slice pictures for the image viewer, drawn by
  `voxcas.pictures` (the same radiological pictures as `save "x.png"`), with the volume-wide
  work (orientation, window, overlay checks) kept in a small cache while a user scrolls;
- `assets.py`: the page files the package ships (`static/`), so the viewer needs no internet.

Nothing here imports the web stack; `voxcas.server.routes.viewer` is the thin HTTP shell.
"""
