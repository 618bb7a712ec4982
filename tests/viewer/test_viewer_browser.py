"""The viewer in a real headless Chromium: the run list, a run, a loop item, the image viewer;
scrolling slices, toggling an overlay, and the pixels the browser received.

The oracle is the study's construction (tests/viewer/study.py): the cases are stored RAS with a
marker at the patient's left, anterior, superior corner, so in the radiological axial plane the
marker must fill rows 1-3 (anterior at the top) and columns 8-10 (the patient's left on the
right) of the 12 x 10 picture; the mask overlay is that marker, drawn in the first colour of
the palette (red) at opacity 0.5 over white, so its pixels are (255, 128, 128) give or take one.
Skipped, saying so, when no Chromium is installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser import MISSING, find_chromium, live_server, open_browser
from study import CASES, MARKER_LPS, NX, NY, Study

from voxcas.server.app import create_app
from voxcas.server.settings import ServerSettings

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=MISSING)
WAIT = 60.0  # seconds an element may take to appear on this shared machine (a bound, not a measure)
TOKEN = "browser-token"

PIXELS = """
const img = document.getElementById(arguments[0]);
if (!img.complete || !img.naturalWidth || img.dataset.state !== "ready") return [0, 0, []];
const canvas = document.createElement("canvas");
canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
const g = canvas.getContext("2d");
g.drawImage(img, 0, 0);
return [canvas.width, canvas.height, Array.from(g.getImageData(0, 0, canvas.width, canvas.height).data)];
"""


@pytest.fixture
def browser() -> Iterator[Any]:
    assert CHROMIUM is not None
    with open_browser(CHROMIUM) as chrome:
        yield chrome


@pytest.fixture
def viewer(study: Study) -> Iterator[str]:
    with live_server(create_app(ServerSettings(store=study.store))) as address:
        yield address


def _wait(browser: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def _ready(browser: Any, axis: str, index: int | None = None) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    def done(b: Any) -> bool:
        img = b.find_element("id", f"img-{axis}")
        state = img.get_attribute("data-state")
        assert state != "error", b.find_element("id", "viewer-error").text
        shown = img.get_attribute("data-index")
        return bool(state == "ready" and (index is None or shown == str(index)))

    WebDriverWait(browser, WAIT).until(done)


def _pixels(browser: Any, axis: str) -> list[list[tuple[int, int, int]]]:
    width, height, data = browser.execute_script(PIXELS, f"img-{axis}")
    return [
        [tuple(data[(r * width + c) * 4 : (r * width + c) * 4 + 3]) for c in range(width)]
        for r in range(height)
    ]


def _pixel(browser: Any, axis: str, row: int, col: int) -> tuple[int, int, int] | None:
    """One pixel of a plane once it is drawn (None while a picture is loading)."""
    pixels = _pixels(browser, axis)
    return pixels[row][col] if pixels else None


def _open_case(browser: Any, viewer: str, study: Study, case: str) -> None:
    browser.get(viewer + "/")
    _wait(browser, f'tr[data-run="{study.run}"] a.run-link').click()
    _wait(browser, f'tr[data-case="{case}"] a.open-case').click()
    for axis in "zyx":
        _ready(browser, axis)


def test_the_run_list_shows_the_run_and_opens_its_page(browser: Any, viewer: str, study: Study) -> None:
    browser.get(viewer + "/")
    row = _wait(browser, f'tr[data-run="{study.run}"]')
    assert "<notebook>" in row.text  # the program of a voxcas.run call: not an HTTP submission
    assert "ok" in row.text
    row.find_element("css selector", "a.run-link").click()
    _wait(browser, "table.cases")
    cases = [r.get_attribute("data-case") for r in browser.find_elements("css selector", "tr.case-row")]
    assert cases == list(CASES)
    assert browser.find_element("id", "goals").find_elements("css selector", "tr")[1].text.endswith("3")
    sub02 = browser.find_element("css selector", 'tr[data-case="sub-02"]')
    assert "67.5" in sub02.text
    assert len(sub02.find_elements("css selector", "img.thumb")) == 2


def test_a_loop_item_opens_in_three_planes_with_its_mask_overlaid(
    browser: Any, viewer: str, study: Study
) -> None:
    _open_case(browser, viewer, study, "sub-02")
    boxes = browser.find_elements("css selector", ".overlay-row input[type=checkbox]")
    assert [b.is_selected() for b in boxes if b.get_attribute("data-digest")][:1] == [True]
    for axis in "zyx":
        assert browser.find_element("id", f"img-{axis}").get_attribute("naturalWidth") != "0"


def test_the_axial_plane_is_radiological_and_the_overlay_is_red_where_the_mask_is(
    browser: Any, viewer: str, study: Study
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.wheel_input import ScrollOrigin

    _open_case(browser, viewer, study, "sub-01")  # the marker is in axial slices 5 and 6 only
    start = int(browser.find_element("id", "img-z").get_attribute("data-index"))
    assert start == 4
    frame = browser.find_element("id", "frame-z")
    ActionChains(browser).scroll_from_origin(ScrollOrigin.from_element(frame), 0, -100).perform()
    _ready(browser, "z", 5)  # scrolling up goes one slice up
    assert browser.find_element("id", "pos-z").text == "5 / 7"
    pixels = _pixels(browser, "z")
    assert (len(pixels), len(pixels[0])) == (NY, NX)
    xs, ys, _ = MARKER_LPS
    tinted = {(r, c) for r in range(NY) for c in range(NX) if pixels[r][c][0] > 200 and pixels[r][c][1] < 200}
    assert tinted == {(r, c) for r in range(ys.start, ys.stop) for c in range(xs.start, xs.stop)}
    red, green, blue = pixels[ys.start][xs.start]
    assert red == 255 and abs(green - 128) <= 1 and abs(blue - 128) <= 1
    assert pixels[NY - 1][0] == (0, 0, 0)  # the background 20 is the window's low end


def test_toggling_the_overlay_off_and_on_redraws_the_planes(browser: Any, viewer: str, study: Study) -> None:
    _open_case(browser, viewer, study, "sub-03")  # the marker reaches the middle slice (4)
    xs, ys, _ = MARKER_LPS
    assert _pixels(browser, "z")[ys.start][xs.start] != (255, 255, 255)
    box = browser.find_element("css selector", ".overlay-row input[type=checkbox][data-digest]")
    from selenium.webdriver.support.ui import WebDriverWait

    box.click()
    WebDriverWait(browser, WAIT).until(lambda b: _pixel(b, "z", ys.start, xs.start) == (255, 255, 255))
    assert "mask=" not in browser.current_url
    box.click()
    WebDriverWait(browser, WAIT).until(lambda b: (_pixel(b, "z", ys.start, xs.start) or (0, 255))[1] < 200)
    assert "mask=" in browser.current_url


def test_a_click_on_the_axial_plane_moves_the_other_planes_through_that_point(
    browser: Any, viewer: str, study: Study
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    _open_case(browser, viewer, study, "sub-01")
    img = browser.find_element("id", "img-z")
    width, height = img.size["width"], img.size["height"]
    # the centre of voxel column 9, row 2 of the 12 x 10 axial picture
    dx, dy = (9.5 / NX - 0.5) * width, (2.5 / NY - 0.5) * height
    ActionChains(browser).move_to_element_with_offset(img, round(dx), round(dy)).click().perform()
    _ready(browser, "x", 9)
    _ready(browser, "y", 2)


def test_a_token_server_asks_for_the_token_once_and_keeps_it_out_of_urls_and_scripts(
    browser: Any, study: Study
) -> None:
    with live_server(create_app(ServerSettings(store=study.store, token=TOKEN))) as address:
        browser.get(f"{address}/view/runs/{study.run}")
        field = _wait(browser, "#token")
        assert "/login?next=" in browser.current_url
        field.send_keys(TOKEN)
        browser.find_element("id", "sign-in").click()
        _wait(browser, "table.cases")
        assert browser.current_url == f"{address}/view/runs/{study.run}"
        assert TOKEN not in browser.current_url
        assert "vox_session" not in browser.execute_script("return document.cookie")  # HttpOnly
        assert [c["name"] for c in browser.get_cookies()] == ["vox_session"]


def test_a_label_map_is_drawn_in_the_colour_table_with_a_legend(
    browser: Any, viewer: str, study: Study
) -> None:
    import numpy as np

    from voxcas.pictures.colors import label_color
    from voxcas.values import Image
    from voxcas.viewer.runs import run_page

    digest = run_page(study.store, study.run)["goals"][1]["value"]["digest"]
    base = study.store.get(digest)
    labels = np.zeros(base.array.shape, np.uint8)  # stored order [z, y, x], like the base
    labels[4, :, :5] = 3  # stored x 0..4 of RAS is the patient's left: the right of the picture
    label_map = study.store.put(Image(labels, base.spacing, base.origin, base.direction))
    browser.get(f"{viewer}/view/image/{digest}?labels={label_map}&z=4&window=0:400")
    _ready(browser, "z", 4)
    legend = _wait(browser, "#legend .overlay-row")
    assert legend.text == "label 3"
    swatch = legend.find_element("css selector", ".swatch").value_of_css_property("background-color")
    assert swatch == "rgba({}, {}, {}, 1)".format(*label_color(3))
    pixels = _pixels(browser, "z")
    colour = label_color(3)
    grey = round(20 / 400 * 255)  # the background at window 0..400
    expected = tuple(round(0.5 * grey + 0.5 * c) for c in colour)
    right, left = pixels[5][NX - 1], pixels[5][0]
    assert all(abs(a - b) <= 1 for a, b in zip(right, expected, strict=True)), (right, expected)
    assert left == (grey, grey, grey)


def test_window_inputs_redraw_the_planes(browser: Any, viewer: str, study: Study) -> None:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    _open_case(browser, viewer, study, "sub-01")
    low = browser.find_element("id", "window-lo")
    low.send_keys(Keys.CONTROL, "a")
    low.send_keys("-340", Keys.TAB)  # background 20 is then 2/3 of the way through -340..200
    WebDriverWait(browser, WAIT).until(lambda b: _pixel(b, "z", NY - 1, 0) == (170, 170, 170))
    assert "window=-340%3A200" in browser.current_url


def test_an_unknown_run_shows_its_error_in_the_page(browser: Any, viewer: str) -> None:
    browser.get(f"{viewer}/view/runs/ffffffffffff")
    assert "ffffffffffff" in _wait(browser, "#error").text
