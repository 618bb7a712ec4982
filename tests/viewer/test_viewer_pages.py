"""The viewer over HTTP (voxcas.server.routes.viewer): pages, their data, slices, static files,
the login of token servers, and that none of it is part of the API's OpenAPI contract."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from study import CASES, Study

from voxcas.server.app import create_app
from voxcas.server.session import COOKIE
from voxcas.server.settings import ServerSettings

TOKEN = "s3cret-token"


@pytest.fixture
def client(study: Study) -> Iterator[TestClient]:
    with TestClient(create_app(ServerSettings(store=study.store))) as c:
        yield c


@pytest.fixture
def guarded(study: Study) -> Iterator[TestClient]:
    with TestClient(create_app(ServerSettings(store=study.store, token=TOKEN))) as c:
        yield c


@pytest.mark.parametrize("path", ["/", "/view/runs/latest", "/view/image/sha256:00"])
def test_every_page_is_the_shell_that_loads_the_packaged_script(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script src="/viewer/static/viewer.js">' in response.text


@pytest.mark.parametrize("name", ["viewer.js", "viewer.css"])
def test_the_pages_files_come_from_the_package(client: TestClient, name: str) -> None:
    response = client.get(f"/viewer/static/{name}")
    assert response.status_code == 200
    assert len(response.content) > 1000


def test_no_page_loads_anything_from_another_site(client: TestClient) -> None:
    texts = [client.get(p).text for p in ("/", "/viewer/static/viewer.js", "/viewer/static/viewer.css")]
    for text in texts:
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


def test_the_run_list_holds_the_run_made_by_the_notebook_api(client: TestClient, study: Study) -> None:
    runs = client.get("/viewer/api/runs").json()["runs"]
    assert [r["id"] for r in runs] == [study.run]


def test_a_run_submitted_over_http_joins_the_same_history(client: TestClient, study: Study) -> None:
    job = client.post("/runs", json={"program": 'print "n" 6 * 7', "name": "over-http"}).json()
    assert client.app.state.vox.runs.get(job["id"]).finished_event.wait(120)  # type: ignore[attr-defined]
    store_run = client.get(f"/runs/{job['id']}").json()["store_run"]
    runs = client.get("/viewer/api/runs").json()["runs"]
    assert [r["id"] for r in runs] == [store_run, study.run]
    page = client.get(f"/viewer/api/runs/{store_run}").json()
    assert page["goals"][0]["value"]["text"] == "42"


def test_a_run_page_has_one_row_per_case(client: TestClient, study: Study) -> None:
    page = client.get(f"/viewer/api/runs/{study.run[:8]}").json()
    assert [row["case"] for row in page["tables"][0]["rows"]] == list(CASES)


def test_an_unknown_run_is_a_404_naming_it(client: TestClient) -> None:
    response = client.get("/viewer/api/runs/abcdef123456")
    assert response.status_code == 404
    assert "abcdef123456" in response.json()["error"]


def test_an_image_slice_is_a_png(client: TestClient, study: Study) -> None:
    digest = client.get("/viewer/api/runs/latest").json()["goals"][1]["value"]["digest"]
    info = client.get(f"/viewer/api/images/{digest}").json()
    assert info["slices"] == {"x": 12, "y": 10, "z": 8}
    response = client.get(f"/viewer/api/images/{digest}/slice", params={"axis": "y", "index": 2})
    assert response.status_code == 200
    assert response.content.startswith(b"\x89PNG")


def test_a_label_map_overlay_lists_its_labels_and_colours(client: TestClient, study: Study) -> None:
    import numpy as np

    from voxcas.values import Image

    goals = client.get("/viewer/api/runs/latest").json()["goals"]
    digest = goals[1]["value"]["digest"]
    base = study.store.get(digest)
    labels = np.zeros(base.array.shape, np.uint8)
    labels[0, 0, 0], labels[1, 1, 1] = 2, 5
    label_digest = study.store.put(Image(labels, base.spacing, base.origin, base.direction))
    info = client.get(f"/viewer/api/images/{digest}", params={"labels": label_digest}).json()
    assert info["overlay"]["kind"] == "labels"
    assert [v["value"] for v in info["overlay"]["values"]] == [2, 5]
    assert all(v["color"].startswith("#") and len(v["color"]) == 7 for v in info["overlay"]["values"])


def test_a_bad_slice_request_is_a_one_line_400(client: TestClient, study: Study) -> None:
    digest = client.get("/viewer/api/runs/latest").json()["goals"][1]["value"]["digest"]
    response = client.get(f"/viewer/api/images/{digest}/slice", params={"window": "dark"})
    assert response.status_code == 400
    assert response.json() == {"error": "window 'dark': expected LO:HI (e.g. 0:600)"}


def test_a_number_is_not_an_image(client: TestClient, study: Study) -> None:
    digest = study.store.put(2.0)
    response = client.get(f"/viewer/api/images/{digest}")
    assert response.status_code == 400
    assert response.json()["error"] == f"object {digest} is a float, not an image"


def test_the_viewer_is_left_out_of_the_api_contract(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p == "/" or p.startswith(("/view", "/login", "/logout"))]


# -- token servers ------------------------------------------------------------------------------


def test_a_browser_without_a_session_is_sent_to_the_login_page(guarded: TestClient) -> None:
    response = guarded.get("/view/runs/latest", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fview%2Fruns%2Flatest"
    form = guarded.get("/login", params={"next": "/view/runs/latest"}).text
    assert '<input type="hidden" name="next" value="/view/runs/latest">' in form
    assert 'type="password" name="token"' in form


def test_the_data_needs_the_token_or_a_session(guarded: TestClient) -> None:
    assert guarded.get("/viewer/api/runs").status_code == 401
    bearer = guarded.get("/viewer/api/runs", headers={"Authorization": f"Bearer {TOKEN}"})
    assert bearer.status_code == 200


def test_a_right_token_sets_an_http_only_cookie_that_opens_pages_data_and_the_api(
    guarded: TestClient,
) -> None:
    response = guarded.post(
        "/login", data={"token": TOKEN, "next": "/view/runs/latest"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/view/runs/latest"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert TOKEN not in cookie  # the cookie stands for the token, it does not carry it
    assert guarded.get("/viewer/api/runs").status_code == 200
    assert guarded.get("/runs").status_code == 200
    assert guarded.get("/view/runs/latest", follow_redirects=False).status_code == 200


def test_a_wrong_token_is_refused_on_the_login_page_without_a_cookie(guarded: TestClient) -> None:
    response = guarded.post("/login", data={"token": "nope", "next": "/"}, follow_redirects=False)
    assert response.status_code == 401
    assert "wrong token" in response.text
    assert "set-cookie" not in response.headers
    assert guarded.get("/viewer/api/runs").status_code == 401


def test_a_forged_cookie_opens_nothing(guarded: TestClient) -> None:
    guarded.cookies.set(COOKIE, "0" * 64)
    assert guarded.get("/viewer/api/runs").status_code == 401


def test_logging_out_ends_the_session(guarded: TestClient) -> None:
    guarded.post("/login", data={"token": TOKEN, "next": "/"}, follow_redirects=False)
    guarded.post("/logout", follow_redirects=False)
    assert guarded.get("/viewer/api/runs").status_code == 401


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_after_login_the_browser_stays_on_this_server(guarded: TestClient, target: str) -> None:
    response = guarded.post("/login", data={"token": TOKEN, "next": target}, follow_redirects=False)
    assert response.headers["location"] == "/"
