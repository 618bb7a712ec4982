"""`/objects`: objects by digest: raw verified encoding, decoded JSON, PNG slices, existence, missing sets.

Every read goes through the store's verified reads: a corrupt object is a 500 naming the digest
(`CorruptObjectError`), never its bytes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from voxcas.errors import ObjectNotFoundError, UsageError
from voxcas.ids import DIGEST_PREFIX, Digest, is_hex
from voxcas.server.deps import StoreDep
from voxcas.server.schemas import ErrorPublic, MissingPublic, MissingRequest
from voxcas.store.base import Store


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


router = APIRouter(prefix="/objects", tags=["objects"])

BAD_DIGEST: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorPublic, "description": "Not a digest, or a prefix matching several objects"},
}
ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorPublic, "description": "Not a digest, an ambiguous prefix, or not an image (PNG)"},
    404: {"model": ErrorPublic, "description": "No such object"},
    500: {"model": ErrorPublic, "description": "The stored object is corrupt"},
}


def parse_digest(text: str) -> Digest:
    """A full digest (`sha256:` + 64 lowercase hex digits), else a 400 naming the value."""
    body = text[len(DIGEST_PREFIX) :] if text.startswith(DIGEST_PREFIX) else ""
    if len(body) != 64 or not is_hex(body):
        raise UsageError(f"not a digest: {text!r} (expected 'sha256:' and 64 lowercase hex digits)")
    return Digest(text)


def resolve_object(store: Store, text: str) -> Digest:
    """A full digest as given, or the object a unique prefix (with or without `sha256:`) names."""
    if text.startswith(DIGEST_PREFIX) and len(text) == len(DIGEST_PREFIX) + 64:
        digest = parse_digest(text)
        if not store.has(digest):
            raise ObjectNotFoundError(f"no object {digest}")
        return digest
    kind, ident = store.resolve(text)
    if kind != "object":
        raise ObjectNotFoundError(f"{text!r} names {_a(kind)}, not an object")
    return Digest(ident)


@router.get(
    "/{digest}",
    summary="An object: its raw verified encoding, or decoded JSON with ?format=json",
    responses={200: {"content": {"application/octet-stream": {}, "application/json": {}}}, **ERRORS},
)
def get_object(
    store: StoreDep,
    digest: str,
    format: Annotated[Literal["raw", "json"], Query(description="raw bytes or decoded JSON")] = "raw",
) -> Response:
    from voxcas.server.render import value_to_json

    resolved = resolve_object(store, digest)
    if format == "json":
        import json

        body = json.dumps({"digest": resolved, "value": value_to_json(store.get(resolved))}, allow_nan=False)
        return Response(body, media_type="application/json")
    return Response(
        store.get_encoded(resolved),
        media_type="application/octet-stream",
        headers={"ETag": f'"{resolved}"'},
    )


@router.get(
    "/{digest}/png",
    summary="A PNG picture of an image object (radiological; the middle axial slice by default)",
    responses={200: {"content": {"image/png": {}}}, **ERRORS},
)
def get_object_png(
    store: StoreDep,
    digest: str,
    slice: Annotated[int | None, Query(ge=0, description="slice index (default: the middle)")] = None,
    axis: Annotated[
        Literal["x", "y", "z"] | None,
        Query(description="x sagittal, y coronal, z axial (default: the view's, else z)"),
    ] = None,
    view: Annotated[
        str, Query(max_length=500, description="view text, as docs/images.md: 'window=0:600 mosaic=12'")
    ] = "",
) -> Response:
    from voxcas.server.render import image_png
    from voxcas.values import Image, kind_of

    resolved = resolve_object(store, digest)
    value = store.get(resolved)
    if not isinstance(value, Image):
        raise UsageError(f"object {resolved} is {_a(kind_of(value))}, not an image: it has no PNG")
    return Response(image_png(value, slice, axis, view), media_type="image/png")


@router.head(
    "/{digest}",
    summary="Whether the store holds an object (200 or 404, no body)",
    responses={**BAD_DIGEST, 404: {"description": "No such object"}},
)
def head_object(store: StoreDep, digest: str) -> Response:
    resolved = parse_digest(digest)
    return Response(status_code=200 if store.has(resolved) else 404)


@router.post(
    "/missing",
    response_model=MissingPublic,
    summary="Which of these digests the store lacks",
    responses=BAD_DIGEST,
)
def missing_objects(store: StoreDep, body: MissingRequest) -> MissingPublic:
    digests = [parse_digest(d) for d in body.digests]
    lacking = store.missing(digests)
    return MissingPublic(missing=[d for d in dict.fromkeys(digests) if d in lacking])
