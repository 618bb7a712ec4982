"""Programs submitted over HTTP by a token holder cannot write outside the run's output directory.

Each attack program is generated here and sent through `POST /runs`; a refusal is a 403 naming
the problem before anything runs, and nothing is written outside the output root."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from voxcas.primitives.imageio import write_image
from voxcas.values import Image

MakeClient = Callable[..., TestClient]
WAIT = 60.0  # bound on waiting for a run to end, never a timing assertion


def _finished(client: TestClient, run_id: str) -> dict[str, Any]:
    assert client.app.state.vox.runs.get(run_id).finished_event.wait(WAIT)  # type: ignore[attr-defined]
    body: dict[str, Any] = client.get(f"/runs/{run_id}").json()
    return body


def _setup(tmp_path: Path, make_client: MakeClient) -> tuple[TestClient, Path, Path]:
    data = tmp_path / "data"
    data.mkdir()
    write_image(Image.from_array(np.ones((3, 4, 5), np.float32)), data / "img.nii.gz")
    out = tmp_path / "out"
    return make_client(data_roots=(data,), out_root=out), data, out


def test_simpleitk_write_image_to_any_path_is_refused_and_writes_nothing(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client, data, _ = _setup(tmp_path, make_client)
    victim = tmp_path / "victim.nii.gz"
    program = (
        'import "simpleitk"\n'
        f'img = simpleitk.ReadImage("{data / "img.nii.gz"}")\n'
        f'print "w" simpleitk.WriteImage(img, "{victim}")\n'
    )
    response = client.post("/runs", json={"program": program})
    assert response.status_code == 403, response.text
    assert "must be relative and stay inside the run's output directory" in response.json()["error"]
    assert not victim.exists()


def test_write_image_inside_a_loop_body_is_refused_too(make_client: MakeClient, tmp_path: Path) -> None:
    client, data, _ = _setup(tmp_path, make_client)
    victim = tmp_path / "loop.nii.gz"
    program = (
        'import "simpleitk"\n'
        f'fs = dir("{data}", "*.nii.gz")\n'
        f'print "w" for f in fs do simpleitk.WriteImage(simpleitk.ReadImage(f), "{victim}")\n'
    )
    response = client.post("/runs", json={"program": program})
    assert response.status_code == 403, response.text
    assert "WriteImage" in response.json()["error"]
    assert not victim.exists()


def test_a_save_name_template_with_attribute_access_is_refused_before_running(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client, _, _ = _setup(tmp_path, make_client)
    slash = "{0.__truediv__.__doc__[11]}"  # formats to "/" with plain str.format
    template = f"..{slash}..{slash}escaped_{{}}.json"
    program = f'save "{template}" for i in range(0, 2) do i\n'
    response = client.post("/runs", json={"program": program})
    if response.status_code == 202:  # a computed name: refused when the name is filled in
        run = _finished(client, response.json()["id"])
        assert run["status"] == "failed", run
        assert "not allowed" in str(run["error"]), run
    else:
        assert response.status_code == 403, response.text
        assert "not allowed" in response.json()["error"]
    assert not list(tmp_path.rglob("escaped_*"))


def test_format_string_with_attribute_access_is_a_400_naming_the_template(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client, _, _ = _setup(tmp_path, make_client)
    program = 'print "x" format_string("{0.__class__.__mro__}", 1)\n'
    response = client.post("/runs", json={"program": program})
    if response.status_code == 202:
        run = _finished(client, response.json()["id"])
        assert run["status"] == "failed" and "not allowed" in str(run["error"]), run
    else:
        assert response.status_code == 400, response.text
        assert "not allowed" in response.json()["error"]


def test_an_imported_files_own_import_outside_the_roots_is_refused_without_quoting_it(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client, data, _ = _setup(tmp_path, make_client)
    secret = tmp_path / "secret.imgql"
    secret.write_text("root:x:0:0:SECRET-LINE ((\n")  # a syntax error that would quote this line
    (data / "lib.imgql").write_text('import "../secret.imgql"\nk = 1\n')
    program = f'import "{data / "lib.imgql"}"\nprint "k" k\n'
    response = client.post("/runs", json={"program": program})
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert "outside the data roots" in error and "secret.imgql" in error
    assert "SECRET-LINE" not in response.text


def test_an_import_of_an_import_through_a_symlink_out_of_the_roots_is_refused(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client, data, _ = _setup(tmp_path, make_client)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "deep.imgql").write_text("d = 2\n")
    (data / "link").symlink_to(outside)
    (data / "lib.imgql").write_text('import "link/deep.imgql"\nk = d\n')
    response = client.post("/runs", json={"program": f'import "{data / "lib.imgql"}"\nprint "k" k\n'})
    assert response.status_code == 403, response.text
    assert "outside the data roots" in response.json()["error"]


def test_imports_of_imports_inside_the_roots_still_work(make_client: MakeClient, tmp_path: Path) -> None:
    client, data, _ = _setup(tmp_path, make_client)
    (data / "sub").mkdir()
    (data / "sub" / "deep.imgql").write_text("d = 2\n")
    (data / "lib.imgql").write_text('import "sub/deep.imgql"\nk = d + 1\n')
    response = client.post("/runs", json={"program": f'import "{data / "lib.imgql"}"\nprint "k" k\n'})
    assert response.status_code == 202, response.text
    run = _finished(client, response.json()["id"])
    assert run["status"] == "ok", run
    assert client.get(f"/runs/{run['id']}/goals").json()["outputs"] == ["k=3"]


def _mhd(header: Path, data_file: str) -> None:
    header.write_text(
        "ObjectType = Image\nNDims = 3\nDimSize = 2 2 2\nElementType = MET_UCHAR\n"
        f"ElementDataFile = {data_file}\n"
    )


def test_a_metaimage_header_inside_a_root_naming_data_outside_is_refused(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client, data, _ = _setup(tmp_path, make_client)
    (tmp_path / "secret.raw").write_bytes(bytes(range(8)))
    _mhd(data / "evil.mhd", "../secret.raw")
    response = client.post("/runs", json={"program": f'print "v" load("{data / "evil.mhd"}")\n'})
    assert response.status_code == 403, response.text
    assert "secret.raw" in response.json()["error"] and "outside the data roots" in response.json()["error"]


def test_a_metaimage_header_with_its_data_beside_it_is_read(make_client: MakeClient, tmp_path: Path) -> None:
    client, data, _ = _setup(tmp_path, make_client)
    (data / "ok.raw").write_bytes(bytes(range(8)))
    _mhd(data / "ok.mhd", "ok.raw")
    response = client.post("/runs", json={"program": f'print "v" load("{data / "ok.mhd"}")\n'})
    assert response.status_code == 202, response.text
    assert _finished(client, response.json()["id"])["status"] == "ok"


def test_a_detached_nrrd_header_naming_data_outside_is_refused(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client, data, _ = _setup(tmp_path, make_client)
    (tmp_path / "secret.raw").write_bytes(bytes(8))
    (data / "evil.nhdr").write_text(
        "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 2 2\nencoding: raw\ndata file: ../secret.raw\n"
    )
    response = client.post("/runs", json={"program": f'print "v" load("{data / "evil.nhdr"}")\n'})
    assert response.status_code == 403, response.text
    assert "secret.raw" in response.json()["error"]


def test_a_dicom_folder_holding_a_symlink_out_of_the_roots_is_refused(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client, data, _ = _setup(tmp_path, make_client)
    series = data / "series"
    series.mkdir()
    (tmp_path / "outside.dcm").write_bytes(b"\0" * 132 + b"DICM")
    (series / "slice1.dcm").symlink_to(tmp_path / "outside.dcm")
    response = client.post("/runs", json={"program": f'print "v" load("{series}")\n'})
    assert response.status_code == 403, response.text
    assert "slice1.dcm" in response.json()["error"] and "outside the data roots" in response.json()["error"]


def test_write_image_with_a_relative_name_writes_into_the_runs_output_directory(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client, data, out = _setup(tmp_path, make_client)
    program = (
        'import "simpleitk"\n'
        f'img = simpleitk.ReadImage("{data / "img.nii.gz"}")\n'
        'print "w" simpleitk.WriteImage(img, "copy.nii.gz")\n'
    )
    response = client.post("/runs", json={"program": program})
    assert response.status_code == 202, response.text
    run = _finished(client, response.json()["id"])
    assert run["status"] == "ok", run
    assert (out / run["id"] / "copy.nii.gz").is_file()


def test_write_image_to_a_name_computed_at_run_time_outside_the_output_directory_fails_the_node(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client, data, out = _setup(tmp_path, make_client)
    program = (
        'import "simpleitk"\n'
        f'img = simpleitk.ReadImage("{data / "img.nii.gz"}")\n'
        'print "w" for n in ["ok.nii.gz", "../../escaped.nii.gz"] do simpleitk.WriteImage(img, n)\n'
    )
    response = client.post("/runs", json={"program": program})
    assert response.status_code == 202, response.text
    run = _finished(client, response.json()["id"])
    assert run["status"] == "failed", run
    assert "simpleitk.WriteImage: path '../../escaped.nii.gz' is outside the output directory" in str(run)
    assert (out / run["id"] / "ok.nii.gz").is_file()
    assert not list(tmp_path.rglob("escaped*"))


def test_a_folder_whose_subfolder_holds_a_symlink_out_of_the_roots_is_refused_before_it_is_hashed(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client, data, _ = _setup(tmp_path, make_client)
    (data / "series" / "deeper").mkdir(parents=True)
    (tmp_path / "secret.dcm").write_bytes(b"\0" * 132 + b"DICM")
    (data / "series" / "deeper" / "x.dcm").symlink_to(tmp_path / "secret.dcm")
    response = client.post("/runs", json={"program": f'print "v" load("{data / "series"}")\n'})
    assert response.status_code == 403, response.text
    assert "x.dcm" in response.json()["error"] and "outside the data roots" in response.json()["error"]


def test_a_list_header_is_read_when_every_file_it_names_is_inside_the_roots(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client, data, _ = _setup(tmp_path, make_client)
    for z in range(2):
        (data / f"s{z}.raw").write_bytes(bytes(range(4)))
    (data / "list.mhd").write_text(
        "ObjectType = Image\nNDims = 3\nDimSize = 2 2 2\nElementType = MET_UCHAR\n"
        "ElementDataFile = LIST 2D\ns0.raw\ns1.raw\n"
    )
    response = client.post("/runs", json={"program": f'print "v" load("{data / "list.mhd"}")\n'})
    assert response.status_code == 202, response.text
    assert _finished(client, response.json()["id"])["status"] == "ok"


def test_write_image_on_a_server_without_an_output_directory_is_a_403_before_running(
    make_client: MakeClient, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write_image(Image.from_array(np.ones((3, 4, 5), np.float32)), data / "img.nii.gz")
    client = make_client(data_roots=(data,))
    program = (
        'import "simpleitk"\n'
        f'img = simpleitk.ReadImage("{data / "img.nii.gz"}")\n'
        'print "w" for n in ["a.nii.gz"] do simpleitk.WriteImage(img, n)\n'
    )
    response = client.post("/runs", json={"program": program})
    assert response.status_code == 403, response.text
    assert response.json()["error"].endswith(
        "simpleitk.WriteImage writes files: this server has no output directory (--out-root)"
    )
    assert not list(tmp_path.rglob("a.nii.gz"))
