"""A real headless Chromium (Debian's `chromium` and `chromium-driver`) on a live viewer, for the
browser tests: `find_chromium()`, `live_server(app)` and `open_browser()`.

When Chromium or its driver is missing the browser tests are skipped, and the test run says so
plainly (tests/viewer/conftest.py). `.ci/run` installs both with apt before `make test`.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = ("/usr/bin/chromium", "chromium", "chromium-browser")
DRIVER = ("/usr/bin/chromedriver", "chromedriver")
MISSING = (
    "no Chromium here (apt-get install chromium chromium-driver): the viewer's browser tests were skipped"
)


def _which(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = name if Path(name).is_file() else shutil.which(name)
        if found:
            return found
    return None


def find_chromium() -> tuple[str, str] | None:
    """(browser, driver) paths, or None when either is missing (or selenium is not installed, or
    VOXCAS_BROWSER_TESTS=0 asks to skip them)."""
    if os.environ.get("VOXCAS_BROWSER_TESTS") == "0":
        return None
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None
    browser, driver = _which(CHROMIUM), _which(DRIVER)
    return (browser, driver) if browser and driver else None


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn on a free loopback port in a thread; yields its address."""
    import uvicorn

    from voxcas.server.serve import address, bind

    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield address(sock)
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


@contextmanager
def open_browser(paths: tuple[str, str]) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = paths
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1500,1000",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(flag)
    chrome = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    chrome.set_page_load_timeout(120)
    try:
        yield chrome
    finally:
        chrome.quit()
