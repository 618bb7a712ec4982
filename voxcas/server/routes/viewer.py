"""The browser viewer: its pages, the JSON and pictures they load, and the login of token servers.

Pages (one HTML shell, drawn by `viewer.js` from the JSON below; a server with a token sends a
browser without a session to `/login` first):

- `GET /`: the store's run history;
- `GET /view/runs/{run}`: one run (any address `vox show` takes): goals, values, loop tables;
- `GET /view/image/{digest}`: the image viewer (three planes, window, overlays).

Data (protected like every API route; bearer token or session cookie):

- `GET /viewer/api/runs`, `GET /viewer/api/runs/{run}`: `voxcas.viewer.runs`;
- `GET /viewer/api/images/{digest}`: the image's layout (`voxcas.viewer.slices.image_info`);
- `GET /viewer/api/images/{digest}/slice`: one plane as PNG.

These routes are the viewer's, not the HTTP API's contract: they are left out of the OpenAPI
document and described in docs/viewer.md. Static files are served from the package at
`/viewer/static/` (no CDN, works offline).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from voxcas.errors import UsageError
from voxcas.ids import Digest
from voxcas.server.deps import StateDep, StoreDep, require_token
from voxcas.server.routes.objects import resolve_object
from voxcas.server.session import COOKIE, MAX_AGE, safe_next, session_value, valid_session, valid_token

pages = APIRouter(include_in_schema=False)
data = APIRouter(prefix="/viewer/api", include_in_schema=False, dependencies=[Depends(require_token)])


def _signed_in(request: Request, token: str | None) -> bool:
    if token is None:
        return True
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() == "bearer" and valid_token(given.strip(), token):
        return True
    return valid_session(request.cookies.get(COOKIE), token)


def _shell(request: Request, state: StateDep, title: str) -> Response:
    from voxcas.viewer.assets import page

    if not _signed_in(request, state.settings.token):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    return HTMLResponse(page("index", title=title), headers={"Cache-Control": "no-store"})


@pages.get("/")
def runs_page(request: Request, state: StateDep) -> Response:
    return _shell(request, state, "voxcas: runs")


@pages.get("/view/runs/{run}")
def run_page(request: Request, state: StateDep, run: str) -> Response:
    return _shell(request, state, f"voxcas: run {run[:12]}")


@pages.get("/view/image/{digest}")
def image_page(request: Request, state: StateDep, digest: str) -> Response:
    return _shell(request, state, "voxcas: image")


@pages.get("/login")
def login_form(request: Request, state: StateDep, next: str = "/") -> Response:
    from voxcas.viewer.assets import page

    if state.settings.token is None:
        return RedirectResponse(safe_next(next), status_code=303)
    return HTMLResponse(page("login", next=safe_next(next), message=""))


@pages.post("/login")
async def login(request: Request, state: StateDep) -> Response:
    """The login form: the token in the body (never the URL); a right one sets the session cookie."""
    from voxcas.viewer.assets import page

    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    given = (form.get("token") or [""])[0]
    target = safe_next((form.get("next") or ["/"])[0])
    token = state.settings.token
    if token is None:
        return RedirectResponse(target, status_code=303)
    if not valid_token(given, token):
        return HTMLResponse(page("login", next=target, message="wrong token"), status_code=401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        session_value(token),
        max_age=MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@pages.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@data.get("/runs")
def runs_data(store: StoreDep) -> dict[str, Any]:
    from voxcas.viewer.runs import run_history

    return {"runs": run_history(store)}


@data.get("/runs/{run}")
def run_data(store: StoreDep, run: str) -> dict[str, Any]:
    from voxcas.viewer.runs import run_page as page_of

    return page_of(store, run)


def _digests(store: StoreDep, texts: list[str]) -> tuple[Digest, ...]:
    return tuple(resolve_object(store, t) for t in texts)


@data.get("/images/{digest}")
def image_data(
    state: StateDep,
    store: StoreDep,
    digest: str,
    mask: Annotated[list[str] | None, Query(description="mask overlays")] = None,
    labels: Annotated[str | None, Query(description="a label map overlay")] = None,
) -> dict[str, Any]:
    from voxcas.pictures.colors import color_text, label_color
    from voxcas.viewer.slices import image_info

    image = resolve_object(store, digest)
    masks = _digests(store, mask or [])
    label_map = resolve_object(store, labels) if labels else None
    scene = state.scenes.get(store, image, masks, label_map)
    info = image_info(scene, image)
    info["overlay"] = {
        "kind": scene.kind,
        "values": [{"value": v, "color": color_text(label_color(v))} for v in scene.values],
    }
    return info


def _window(text: str | None) -> tuple[float, float] | None:
    if not text:
        return None
    lo, colon, hi = text.partition(":")
    try:
        if colon:
            return float(lo), float(hi)
    except ValueError:
        pass
    raise UsageError(f"window {text!r}: expected LO:HI (e.g. 0:600)")


@data.get("/images/{digest}/slice")
def image_slice(
    state: StateDep,
    store: StoreDep,
    digest: str,
    axis: Literal["x", "y", "z"] = "z",
    index: Annotated[int | None, Query(ge=0)] = None,
    window: Annotated[str | None, Query(max_length=100)] = None,
    mask: Annotated[list[str] | None, Query()] = None,
    color: Annotated[list[str] | None, Query()] = None,
    labels: str | None = None,
    style: Literal["filled", "outline"] = "filled",
    opacity: Annotated[float | None, Query(ge=0, le=1)] = None,
    zoom: Annotated[int, Query(ge=1, le=16)] = 1,
    thumbnail: bool = False,
) -> Response:
    from voxcas.viewer.slices import SliceRequest, slice_png

    request = SliceRequest(
        image=resolve_object(store, digest),
        axis=axis,
        index=index,
        window=_window(window),
        masks=_digests(store, mask or []),
        colors=tuple(color or ()),
        labels=resolve_object(store, labels) if labels else None,
        style=style,
        opacity=opacity,
        zoom=zoom,
    )
    png = slice_png(state.scenes, store, request, keep=not thumbnail)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})
