"""`/objects`: raw and JSON reads, PNG slices, HEAD, missing sets, and corrupt objects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from voxcas.ids import digest_bytes
from voxcas.store.memory import MemoryStore
from voxcas.values import Image

ABSENT = "sha256:" + "ab" * 32


def test_an_object_is_served_as_its_verified_encoding(client: TestClient, store: MemoryStore) -> None:
    digest = store.put([1, 2.5, "a"])
    response = client.get(f"/objects/{digest}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == store.get_encoded(digest)
    assert digest_bytes(response.content) == digest


def test_an_object_is_served_as_json_on_request(client: TestClient, store: MemoryStore) -> None:
    digest = store.put({"n": 3, "xs": [1, 2.5, "a", True, None]})
    response = client.get(f"/objects/{digest}", params={"format": "json"})
    assert response.status_code == 200
    assert response.json() == {"digest": digest, "value": {"n": 3, "xs": [1, 2.5, "a", True, None]}}


def test_a_non_finite_float_is_json_text(client: TestClient, store: MemoryStore) -> None:
    digest = store.put([float("nan"), float("inf")])
    assert client.get(f"/objects/{digest}?format=json").json()["value"] == ["nan", "inf"]


def test_an_image_is_summarised_in_json(client: TestClient, store: MemoryStore) -> None:
    image = Image.from_array(np.arange(24, dtype=np.int16).reshape(2, 3, 4), spacing=(1.0, 1.0, 2.0))
    digest = store.put(image)
    value = client.get(f"/objects/{digest}?format=json").json()["value"]
    assert value["kind"] == "image"
    assert value["size"] == [4, 3, 2]
    assert value["summary"] == "image(4x3x2, int16, spacing 1.0x1.0x2.0)"
    assert (value["min"], value["max"]) == (0, 23)


def test_an_object_can_be_named_by_a_unique_prefix(client: TestClient, store: MemoryStore) -> None:
    digest = store.put("hello")
    response = client.get(f"/objects/{digest[7:19]}", params={"format": "json"})
    assert response.json() == {"digest": digest, "value": "hello"}


def test_an_unknown_digest_is_404_with_a_clear_message(client: TestClient) -> None:
    response = client.get(f"/objects/{ABSENT}")
    assert response.status_code == 404
    assert response.json() == {"error": f"no object {ABSENT}"}


def test_a_malformed_digest_is_400(client: TestClient) -> None:
    response = client.post("/objects/missing", json={"digests": ["sha256:xyz"]})
    assert response.status_code == 400
    assert response.json() == {
        "error": "not a digest: 'sha256:xyz' (expected 'sha256:' and 64 lowercase hex digits)"
    }


def test_head_tells_whether_an_object_exists(client: TestClient, store: MemoryStore) -> None:
    digest = store.put(42)
    assert client.head(f"/objects/{digest}").status_code == 200
    assert client.head(f"/objects/{ABSENT}").status_code == 404


def test_missing_returns_only_the_absent_digests_in_order(client: TestClient, store: MemoryStore) -> None:
    present = store.put(1)
    other = "sha256:" + "cd" * 32
    response = client.post("/objects/missing", json={"digests": [ABSENT, present, other, ABSENT]})
    assert response.status_code == 200
    assert response.json() == {"missing": [ABSENT, other]}


def _corrupt(store: MemoryStore, digest: str) -> None:
    obj = store._objects[digest]  # type: ignore[index]
    flipped = bytearray(obj.data)
    flipped[-1] ^= 0x01
    store._objects[digest] = type(obj)(obj.kind, bytes(flipped), obj.created, obj.seq)  # type: ignore[index]


@pytest.mark.parametrize("suffix", ["", "?format=json"])
def test_a_corrupt_object_is_500_and_never_its_bytes(
    client: TestClient, store: MemoryStore, suffix: str
) -> None:
    digest = store.put("precious data")
    _corrupt(store, digest)
    response = client.get(f"/objects/{digest}{suffix}")
    assert response.status_code == 500
    body = response.json()
    assert set(body) == {"error"}
    assert digest in body["error"]
    assert b"precious" not in response.content


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    return width, height


def test_a_3d_image_is_drawn_as_its_middle_axial_slice(client: TestClient, store: MemoryStore) -> None:
    array = np.zeros((5, 6, 7), dtype=np.float32)  # z, y, x
    digest = store.put(Image.from_array(array))
    response = client.get(f"/objects/{digest}/png", params={"view": "zoom=1"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert _png_size(response.content) == (7, 6)


def test_a_small_volume_is_scaled_up_to_a_readable_size(client: TestClient, store: MemoryStore) -> None:
    digest = store.put(Image.from_array(np.zeros((5, 6, 7), dtype=np.float32)))
    assert _png_size(client.get(f"/objects/{digest}/png").content) == (7 * 16, 6 * 16)


def test_a_slice_across_another_axis_can_be_asked_for(client: TestClient, store: MemoryStore) -> None:
    digest = store.put(Image.from_array(np.zeros((5, 6, 7), dtype=np.uint8)))
    response = client.get(f"/objects/{digest}/png", params={"axis": "x", "slice": 2, "view": "zoom=1"})
    assert response.status_code == 200
    assert _png_size(response.content) == (6, 5)  # y across, z down


def test_a_slice_out_of_range_is_400(client: TestClient, store: MemoryStore) -> None:
    digest = store.put(Image.from_array(np.zeros((5, 6, 7), dtype=np.uint8)))
    response = client.get(f"/objects/{digest}/png", params={"slice": 5})
    assert response.status_code == 400
    assert response.json() == {"error": "slice 5 is out of range: the axial axis has 5 slices (0..4)"}


def test_a_bad_view_is_400_naming_the_word(client: TestClient, store: MemoryStore) -> None:
    digest = store.put(Image.from_array(np.zeros((5, 6, 7), dtype=np.uint8)))
    response = client.get(f"/objects/{digest}/png", params={"view": "windw=0:1"})
    assert response.status_code == 400
    assert response.json() == {"error": "unknown view option 'windw' (did you mean 'window'?)"}


def test_a_png_of_a_number_is_400(client: TestClient, store: MemoryStore) -> None:
    digest = store.put(3)
    response = client.get(f"/objects/{digest}/png")
    assert response.status_code == 400
    assert response.json() == {"error": f"object {digest} is an int, not an image: it has no PNG"}


def test_the_png_shows_the_slice_contents(client: TestClient, store: MemoryStore, tmp_path: Path) -> None:
    import SimpleITK as sitk

    array = np.zeros((3, 4, 4), dtype=np.uint8)
    array[1, 0, 0] = 255
    digest = store.put(Image.from_array(array))
    data = client.get(f"/objects/{digest}/png", params={"view": "zoom=1"}).content
    path = tmp_path / "slice.png"
    path.write_bytes(data)
    pixels = sitk.GetArrayFromImage(sitk.ReadImage(str(path)))
    assert pixels.shape == (4, 4)
    assert pixels[0, 0] == 255 and int(pixels.sum()) == 255


def test_a_long_sequence_is_cut_in_json_and_says_so(client: TestClient, store: MemoryStore) -> None:
    digest = store.put(list(range(1500)))
    value = client.get(f"/objects/{digest}?format=json").json()["value"]
    assert (value["kind"], value["length"], value["truncated"]) == ("sequence", 1500, True)
    assert value["items"] == list(range(1000))


def test_a_slice_across_x_draws_the_highest_z_at_the_top(
    client: TestClient, store: MemoryStore, tmp_path: Path
) -> None:
    import SimpleITK as sitk

    array = np.zeros((5, 6, 7), dtype=np.uint8)  # z, y, x
    array[4, 2, 3] = 255  # top slice, row 2, in the x=3 plane
    digest = store.put(Image.from_array(array))
    path = tmp_path / "x.png"
    view = {"axis": "x", "slice": 3, "view": "zoom=1"}
    path.write_bytes(client.get(f"/objects/{digest}/png", params=view).content)
    pixels = sitk.GetArrayFromImage(sitk.ReadImage(str(path)))
    assert pixels.shape == (5, 6)
    assert pixels[0, 2] == 255 and int(pixels.sum()) == 255
