"""Image files and SimpleITK conversion: reading, writing, display windowing and overlays.

This module owns the boundary between `voxcas.values.Image` and the outside world:

- `from_sitk(img)` / `to_sitk(image)`: lossless conversion to and from `SimpleITK.Image`
  (pixel type, component count, spacing, origin, direction). Numpy has pixel types SimpleITK
  lacks: `bool` masks become `uint8` 0/1 and `float16` becomes `float32` in `to_sitk`; every
  SimpleITK pixel type round-trips exactly through `from_sitk` then `to_sitk` (a vector image with
  a single component comes back as a scalar image).
- `read_image(path)`: NIfTI, MetaImage, NRRD, PNG/JPEG/BMP/TIFF files and DICOM (a single file or a
  directory holding one series). A missing, unreadable or corrupt file is an `InputFileError`
  naming the file, never a SimpleITK traceback.
- `write_image(image, path)`: by extension: volumes every voxel; `.png`/`.jpg`/`.bmp` only a
  picture (`is_picture`: 2D uint8 grey or RGB), pixel for pixel. `save` and `vox cat -o` draw
  other images first (`voxcas.output`, `voxcas.pictures.render`).
- `window_uint8(array)`: uint8 data is kept, boolean masks become 0/255, anything else is mapped
  linearly from its 0.5th–99.5th percentile range to 0–255 (clipped).
- `overlay_rgb(image, mask, color, opacity)`: the windowed image as RGB uint8 with the mask
  blended in a colour (the `vox1.overlay` primitive).

SimpleITK and numpy are imported inside the functions: importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voxcas.errors import InputFileError, PrimitiveError
from voxcas.values import Image

if TYPE_CHECKING:
    import numpy as np

# Every extension `read_image` accepts (a directory is read as a DICOM series).
IMAGE_EXTENSIONS: tuple[str, ...] = (
    ".nii",
    ".nii.gz",
    ".mha",
    ".mhd",
    ".nrrd",
    ".nhdr",
    ".png",
    ".jpg",
    ".jpeg",
    ".bmp",
    ".tif",
    ".tiff",
    ".dcm",
    ".gipl",
    ".gipl.gz",
    ".vtk",
)

# Extensions `write_image` accepts: volumes keep every voxel, pictures get a windowed 2D slice.
VOLUME_WRITE_EXTENSIONS: tuple[str, ...] = (".nii", ".nii.gz", ".mha", ".mhd", ".nrrd", ".tif", ".tiff")
PICTURE_WRITE_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp")
WRITE_EXTENSIONS: tuple[str, ...] = VOLUME_WRITE_EXTENSIONS + PICTURE_WRITE_EXTENSIONS

_DOUBLE_EXTENSIONS = (".nii.gz", ".gipl.gz", ".tar.gz")


def extension_of(path: str | Path) -> str:
    """The lower-case extension of a file name, two parts for `.nii.gz` and the like."""
    name = Path(path).name.lower()
    for ext in _DOUBLE_EXTENSIONS:
        if name.endswith(ext):
            return ext
    return Path(name).suffix


def is_image_path(path: str | Path) -> bool:
    """True when `read_image` would read this path as an image (by extension, or a directory)."""
    from voxcas.plan.observe import observe

    observe(path)
    return Path(path).is_dir() or extension_of(path) in IMAGE_EXTENSIONS


# --- SimpleITK conversion -------------------------------------------------------------------


def from_sitk(img: Any) -> Image:
    """The voxcas image of a SimpleITK image: same pixel type, components and geometry."""
    sitk = sitk_module()

    array = sitk.GetArrayFromImage(img)  # a copy, in [z, y, x(, c)] order
    components = int(img.GetNumberOfComponentsPerPixel())
    dim = int(img.GetDimension())
    if components == 1 and array.ndim == dim + 1:
        array = array[..., 0]
    return Image(
        array,
        tuple(float(s) for s in img.GetSpacing()),
        tuple(float(o) for o in img.GetOrigin()),
        tuple(float(d) for d in img.GetDirection()),
        components,
    )


def to_sitk(image: Image) -> Any:
    """The SimpleITK image of a voxcas image (bool → uint8 0/1, float16 → float32)."""
    import numpy as np

    sitk = sitk_module()

    array = image.array
    if array.dtype == np.bool_:
        array = array.view(np.uint8)
    elif array.dtype == np.float16:
        array = array.astype(np.float32)
    elif not array.flags.c_contiguous:
        array = np.ascontiguousarray(array)
    img = sitk.GetImageFromArray(array, isVector=image.components > 1)
    img.SetSpacing(image.spacing)
    img.SetOrigin(image.origin)
    img.SetDirection(image.direction)
    return img


# --- reading --------------------------------------------------------------------------------


def sitk_module() -> Any:
    """SimpleITK, imported on first use (typed `Any`: its SWIG wrappers carry no annotations)."""
    import SimpleITK

    return SimpleITK


def _reason(exc: BaseException) -> str:
    """The useful line of an ITK exception (ITK messages span several lines)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    for ln in reversed(lines):
        if ln.lower().startswith(("description:", "itk::error")):
            return ln.split(":", 1)[1].strip() if ln.lower().startswith("description:") else ln
    return lines[-1] if lines else type(exc).__name__


def read_image(path: str | Path, op: str = "read image") -> Image:
    """Read an image file, or the DICOM series in a directory.

    Raises `InputFileError` (one line, naming the file) when the path is missing, has an
    extension that is not an image format, or cannot be decoded; `AccessDeniedError` when the
    run's access policy (`voxcas.access`) does not allow the file, a header's data file or a
    series member (checked on the resolved paths, which are then the ones read).
    """
    from voxcas.access import current

    sitk = sitk_module()

    p = Path(path)
    if not p.exists():
        raise InputFileError(f"cannot read image '{p}': no such file or directory")
    real = Path(current().check_read(p, op))
    if p.is_dir():
        return _read_dicom_series(real, op, shown=p)
    ext = extension_of(p)
    if ext not in IMAGE_EXTENSIONS:
        known = ", ".join(IMAGE_EXTENSIONS[:8])
        raise InputFileError(
            f"cannot read image '{p}': unknown image extension '{ext or p.name}' (use {known}, ...)"
        )
    try:
        img = sitk.ReadImage(str(real))
    except RuntimeError:
        raise InputFileError(f"cannot read image '{p}': the file is corrupt or not a {ext} image") from None
    return from_sitk(img)


def _read_dicom_series(real: Path, op: str, shown: Path) -> Image:
    from voxcas.access import current

    sitk = sitk_module()
    directory = shown

    warnings = sitk.ProcessObject.GetGlobalWarningDisplay()
    sitk.ProcessObject.SetGlobalWarningDisplay(False)  # GDCM warns on stderr about empty directories
    try:
        series = sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(real))
    except RuntimeError as exc:
        raise InputFileError(f"cannot read DICOM series in '{directory}': {_reason(exc)}") from None
    finally:
        sitk.ProcessObject.SetGlobalWarningDisplay(warnings)
    if not series:
        raise InputFileError(f"cannot read image '{directory}': the directory holds no DICOM series")
    files = sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(real), series[0])
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames([current().check_read(f, op) for f in files])  # each member, resolved now
    try:
        img = reader.Execute()
    except RuntimeError as exc:
        raise InputFileError(f"cannot read DICOM series in '{directory}': {_reason(exc)}") from None
    return from_sitk(img)


# --- display --------------------------------------------------------------------------------


WINDOW_SAMPLE = 1 << 20  # percentiles of larger images come from an evenly strided sample


def window_limits(array: np.ndarray) -> tuple[float, float] | None:
    """The 0.5th and 99.5th percentiles of the finite values (None if there are none).

    Arrays of more than `WINDOW_SAMPLE` values are sampled with a fixed stride (deterministic,
    and within a fraction of a grey level of the exact percentiles for image data).
    """
    import numpy as np

    flat = array.reshape(-1)
    if flat.size > WINDOW_SAMPLE:
        flat = flat[:: -(-flat.size // WINDOW_SAMPLE)]
    data = flat.astype(np.float64)
    finite = data[np.isfinite(data)]
    if finite.size == 0:
        return None
    lo, hi = (float(v) for v in np.percentile(finite, [0.5, 99.5]))
    return lo, hi


def window_uint8(array: np.ndarray) -> np.ndarray:
    """Map intensities to uint8 for display.

    uint8 is kept as is; bool becomes 0/255; other types are mapped linearly from their
    0.5th–99.5th percentile range (`window_limits`) to 0–255 and clipped (NaNs become 0). A
    constant image maps to 0. Vector pixels share one window across channels.
    """
    import numpy as np

    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.view(np.uint8) * np.uint8(255)
    limits = window_limits(array)
    if limits is None:
        return np.zeros(array.shape, np.uint8)
    lo, hi = limits
    if hi <= lo:
        return np.where(array > lo, 255, 0).astype(np.uint8)
    wide = array.dtype.itemsize > 4 or (array.dtype.kind in "iu" and array.dtype.itemsize > 2)
    work: Any = np.float64 if wide else np.float32  # float32 is exact for 8/16-bit data
    scaled: Any = array.astype(work)
    np.subtract(scaled, work(lo), out=scaled)
    np.multiply(scaled, work(255.0 / (hi - lo)), out=scaled)
    np.nan_to_num(scaled, copy=False, nan=0.0)
    np.clip(scaled, 0, 255, out=scaled)
    out: np.ndarray = np.rint(scaled, out=scaled).astype(np.uint8)
    return out


def overlay_rgb(
    image: Image, mask: np.ndarray, color: Sequence[float] = (255, 0, 0), opacity: float = 0.5
) -> Image:
    """The windowed image as RGB uint8 with `mask` voxels blended towards `color`:
    round((1 - opacity) * level + opacity * color) per channel, read from a lookup table."""
    import numpy as np

    levels = np.arange(256, dtype=np.float64)
    # rows 0..255: a plain grey level; rows 256..511: that level blended with the colour
    table = np.empty((512, 3), np.uint8)
    table[:256] = levels[:, None].astype(np.uint8)
    blended = (1.0 - opacity) * levels[:, None] + opacity * np.asarray([float(c) for c in color])[None, :]
    table[256:] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    if image.components == 1:
        index = window_uint8(image.array).astype(np.uint16)
        index |= mask.view(np.uint8).astype(np.uint16) << 8  # + 256 on the mask
        out: np.ndarray = table.take(index, axis=0)
    elif image.components >= 3:
        windowed = window_uint8(image.array[..., :3])
        out = windowed.copy()
        for c in range(3):
            out[..., c][mask] = table[256 + windowed[..., c][mask].astype(np.intp), c]
    else:
        raise PrimitiveError(
            "vox1.overlay", f"expected a grey or RGB image, got {image.components} components", "i"
        )
    return image.with_array(out, 3)


# --- writing --------------------------------------------------------------------------------


def is_picture(image: Image, ext: str = ".png") -> bool:
    """Whether `image` can go in a picture file of this extension pixel for pixel: 2D uint8, grey
    or RGB (or RGBA for PNG)."""
    components = (1, 3, 4) if ext == ".png" else (1, 3)
    return image.dim == 2 and str(image.array.dtype) == "uint8" and image.components in components


def write_image(image: Image, path: str | Path, op: str = "save") -> None:
    """Write an image by extension (see the module docstring); parent directories are created.
    The run's access policy (`voxcas.access`) must allow the resolved target (`AccessDeniedError`)."""
    from voxcas.access import current

    sitk = sitk_module()

    p = Path(path)
    ext = extension_of(p)
    if ext not in WRITE_EXTENSIONS:
        raise PrimitiveError(
            "save",
            f"cannot write an image to '{p}': unknown image extension '{ext or p.name}' "
            f"(use .nii.gz, .mha, .nrrd, .png, ...)",
        )
    if ext in PICTURE_WRITE_EXTENSIONS and not is_picture(image, ext):
        raise PrimitiveError(
            "save",
            f"cannot write a {image.dim}D {image.pixel_type} image to the picture '{p}' as it is: "
            "draw it first (voxcas.pictures.render)",
        )
    img = to_sitk(image)
    real = Path(current().check_write(p, op))
    real.parent.mkdir(parents=True, exist_ok=True)
    try:
        sitk.WriteImage(img, str(real), useCompression=ext in (".mha", ".nrrd", ".tif", ".tiff"))
    except RuntimeError as exc:
        raise PrimitiveError("save", f"cannot write an image to '{p}': {_reason(exc)}") from None


def coerce_image(primitive: str, value: Any, argument: str) -> Image:
    """`value` if it is an image, else a `PrimitiveError` naming the argument."""
    if isinstance(value, Image):
        return value
    from voxcas.values import kind_of

    raise PrimitiveError(primitive, f"expected an image, got {kind_of(value)}", argument)
