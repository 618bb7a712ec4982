"""The viewer: time to the first picture of a 240×240×155 volume and per slice change, beside the
same run's `GET /objects/{digest}/png` (which loads, orients and windows the volume per request).

Against a real uvicorn server on 127.0.0.1 over a SQLite store holding the volume (float32,
smoothed noise, stored RAS as NIfTI usually is, so every picture reorients it) and a mask of it:

- first picture over HTTP: `GET /viewer/api/images/{d}` (prepares the volume once) and the
  three planes the viewer shows first, from a cold cache, vs one `GET /objects/{d}/png`;
- slice change over HTTP: the next axial slice from the prepared volume, without and with the
  mask overlaid, vs `GET /objects/{d}/png?slice=N` of the same slice;
- in the browser (when Debian's headless Chromium and chromedriver are installed): opening
  `/view/image/{d}` until all three planes are drawn, and a key press on the axial plane until
  its next slice is shown. Each figure is the median of several tries.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.report import Report

MS = 1e3


def _median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _volume() -> tuple[Any, Any]:
    import numpy as np
    from scipy import ndimage

    from voxcas.values import Image

    rng = np.random.default_rng(0)
    data = (ndimage.uniform_filter(rng.normal(size=(155, 240, 240)).astype(np.float32), 3) * 100).astype(
        np.float32
    )
    ras = (-1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0)
    image = Image(data, (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), ras)
    mask = Image(data > 10, (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), ras)
    return image, mask


@contextmanager
def _serving(app: Any) -> Iterator[str]:
    import uvicorn

    from voxcas.server.serve import address, bind

    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="error"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield address(sock)
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def _chromium() -> tuple[str, str] | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def run(report: Report) -> None:
    import httpx

    from voxcas.server.app import create_app
    from voxcas.server.settings import ServerSettings
    from voxcas.store.sqlite import SqliteStore

    tmp = Path(tempfile.mkdtemp(prefix="vox-bench-viewer-"))
    try:
        report.section("Viewer: a 240×240×155 volume (vs GET /objects/{digest}/png of the same run)")
        store = SqliteStore(tmp / "store", create=True)
        image, mask = _volume()
        d, m = store.put(image), store.put(mask)
        app = create_app(ServerSettings(store_path=tmp / "store"))
        scenes = app.state.vox.scenes
        with _serving(app) as url, httpx.Client(base_url=url, timeout=300) as http:
            slice_url = f"/viewer/api/images/{d}/slice"

            def png(index: int | None = None) -> None:
                params = {} if index is None else {"slice": index}
                http.get(f"/objects/{d}/png", params=params).raise_for_status()

            def first_picture() -> None:
                scenes.clear()
                http.get(f"/viewer/api/images/{d}").raise_for_status()
                for axis in "zyx":
                    http.get(slice_url, params={"axis": axis}).raise_for_status()

            png()  # warm the process (imports, SQLite pages) before any figure
            baseline = _median(png, 5)
            report.row(
                "first picture: layout + 3 planes (cold)",
                _median(first_picture, 5) * MS,
                "ms",
                baseline=baseline * MS,
                baseline_name="GET /objects/{d}/png (one plane)",
            )
            first_picture()
            counter = iter(range(10**6))

            def next_slice(params: dict[str, Any]) -> Callable[[], None]:
                def step() -> None:
                    index = 20 + next(counter) % 110
                    http.get(slice_url, params={"axis": "z", "index": index, **params}).raise_for_status()

                return step

            png_slice = _median(lambda: png(20 + next(counter) % 110), 5)
            report.row(
                "slice change (axial)",
                _median(next_slice({}), 30) * MS,
                "ms",
                baseline=png_slice * MS,
                baseline_name="GET /objects/{d}/png?slice=N",
            )
            http.get(f"/viewer/api/images/{d}", params={"mask": m}).raise_for_status()
            scenes.get(store, d, (m,))
            report.row(
                "slice change with a mask overlay",
                _median(next_slice({"mask": m, "color": "#ff0000", "opacity": 0.5}), 30) * MS,
                "ms",
                baseline=png_slice * MS,
                baseline_name="GET /objects/{d}/png?slice=N",
            )
            _browser(report, url, d, scenes, baseline, png_slice)
        store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _browser(report: Report, url: str, digest: str, scenes: Any, png_first: float, png_slice: float) -> None:
    paths = _chromium()
    if paths is None:
        report.note("in the browser: not measured (no chromium and chromedriver on this machine)")
        return
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = paths[0]
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1500,1000",
    ):
        options.add_argument(flag)
    chrome = webdriver.Chrome(service=Service(executable_path=paths[1]), options=options)
    try:

        def drawn(index: int | None = None) -> Callable[[Any], bool]:
            def check(b: Any) -> bool:
                states = b.execute_script(
                    "return ['z','y','x'].map(a => { const i = document.getElementById('img-' + a);"
                    " return i ? [i.dataset.state, i.dataset.index] : [null, null]; })"
                )
                ready = all(s == "ready" for s, _ in states)
                return bool(ready and (index is None or states[0][1] == str(index)))

            return check

        def open_viewer() -> None:
            scenes.clear()
            chrome.get(f"{url}/view/image/{digest}")
            WebDriverWait(chrome, 300, poll_frequency=0.005).until(drawn())

        open_viewer()  # the browser's first start and the script's first load are not the figure
        report.row(
            "in the browser: open the viewer until 3 planes are drawn (cold)",
            _median(open_viewer, 5) * MS,
            "ms",
            baseline=png_first * MS,
            baseline_name="GET /objects/{d}/png (one plane)",
        )
        frame = chrome.find_element("id", "frame-z")
        frame.click()

        def key_step() -> None:
            index = int(chrome.find_element("id", "img-z").get_attribute("data-index") or 0)
            frame.send_keys("\ue013")  # ArrowUp: one slice up
            WebDriverWait(chrome, 60, poll_frequency=0.002).until(drawn(index + 1))

        report.row(
            "in the browser: key press until the next axial slice is shown",
            _median(key_step, 20) * MS,
            "ms",
            baseline=png_slice * MS,
            baseline_name="GET /objects/{d}/png?slice=N",
        )
    finally:
        chrome.quit()
