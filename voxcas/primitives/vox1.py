"""The vox1 namespace: VoxLogicA 1's spatial logic on images (`import "vox1"`).

Each primitive checks its arguments here (boolean masks, equal sizes and geometry, scalar
pixels), then calls an array kernel of `voxcas.primitives.spatial` and wraps the result in an
image with the geometry of its first image argument. Masks are numpy `bool` arrays; a mask
argument may be `bool` or any integer image, standing for its non-zero voxels
(`masks.mask_arg`). Derived operators (`&`, `~>`, `touch`, `grow`, `smoothen`, ...) live in the
prelude `vox1.imgql`, written in the language itself.

The geometry-dependent primitives (`tt`, `ff`, `bconstant`, `constant`, `border`, `x`, `y`, `z`)
are declared `base_image=True`: the reducer passes the base image as a hidden first argument.
The semantics are in docs/images.md and primitives.md; the kernels document their algorithms.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from voxcas.errors import PrimitiveError
from voxcas.primitives import spatial
from voxcas.primitives.masks import mask_arg
from voxcas.primitives.registry import Namespace, Param
from voxcas.values import Image, format_number, kind_of

if TYPE_CHECKING:
    import numpy as np

NAMESPACE = Namespace(
    "vox1",
    doc="VoxLogicA 1 spatial logic on images: near, interior, through, distances, percentiles, ...",
    prelude="vox1.imgql",
    libraries=("python", "numpy", "scipy", "SimpleITK"),
)
ns = NAMESPACE.primitive


# --- argument checks ------------------------------------------------------------------------


def _q(name: str) -> str:
    """The qualified name used in errors (other namespaces pass theirs qualified already)."""
    return name if "." in name else f"vox1.{name}"


def image_arg(prim: str, value: Any, arg: str) -> Image:
    if isinstance(value, Image):
        return value
    raise PrimitiveError(_q(prim), f"expected an image, got {kind_of(value)}", arg)


def scalar_arg(prim: str, value: Any, arg: str) -> Image:
    """An image with one component per voxel."""
    img = image_arg(prim, value, arg)
    if img.components != 1:
        raise PrimitiveError(_q(prim), f"expected a scalar image, got {img.components} components", arg)
    return img


def _size_text(img: Image) -> str:
    return "x".join(str(n) for n in img.size)


def same_geometry(prim: str, named: Sequence[tuple[str, Image]]) -> None:
    """All images have the first one's size (and geometry within 1e-4); else name both."""
    first_name, first = named[0]
    for name, other in named[1:]:
        if other.size != first.size:
            raise PrimitiveError(
                _q(prim),
                f"images of different sizes: {first_name} is {_size_text(first)}, "
                f"{name} is {_size_text(other)}",
            )
        if not first.same_geometry(other, tolerance=1e-4):
            raise PrimitiveError(
                _q(prim),
                f"images of size {_size_text(first)} with different geometry: "
                f"{first_name} has {_geometry_text(first)}, {name} has {_geometry_text(other)}",
            )


def _geometry_text(img: Image) -> str:
    sp = "x".join(format_number(round(s, 6)) for s in img.spacing)
    org = ",".join(format_number(round(o, 6)) for o in img.origin)
    return f"spacing {sp} origin ({org})"


def _result(like: Image, array: np.ndarray, components: int = 1) -> Image:
    return Image(array, like.spacing, like.origin, like.direction, components)


def _base(prim: str, base: Any) -> Image:
    if isinstance(base, Image):
        return base
    raise PrimitiveError(_q(prim), "no base image: load an image before using it")


def _spatial_shape(img: Image) -> tuple[int, ...]:
    return tuple(img.array.shape[: img.dim])


def _numpy_spacing(img: Image) -> tuple[float, ...]:
    return tuple(img.spacing[::-1])


# --- constants and geometry -----------------------------------------------------------------


@ns("tt", base_image=True, result="mask")
def tt(base: Any) -> Image:
    """All-true boolean image with the base image's geometry."""
    import numpy as np

    img = _base("tt", base)
    return _result(img, np.ones(_spatial_shape(img), np.bool_))


@ns("ff", base_image=True, result="mask")
def ff(base: Any) -> Image:
    """All-false boolean image with the base image's geometry."""
    import numpy as np

    img = _base("ff", base)
    return _result(img, np.zeros(_spatial_shape(img), np.bool_))


@ns("bconstant", base_image=True, params=(Param("b", "bool"),), result="mask")
def bconstant(base: Any, b: bool) -> Image:
    """Boolean image filled with b (base geometry)."""
    import numpy as np

    img = _base("bconstant", base)
    return _result(img, np.full(_spatial_shape(img), b, np.bool_))


@ns("constant", base_image=True, params=(Param("k", "float"),), result="image")
def constant(base: Any, k: float) -> Image:
    """float32 image filled with k (base geometry)."""
    import numpy as np

    img = _base("constant", base)
    return _result(img, np.full(_spatial_shape(img), k, np.float32))


@ns("border", base_image=True, result="mask")
def border(base: Any) -> Image:
    """True on voxels with an index coordinate equal to 0 or size-1 (base geometry)."""
    import numpy as np

    img = _base("border", base)
    out = np.zeros(_spatial_shape(img), np.bool_)
    for axis in range(out.ndim):
        out[spatial._shifted(out.ndim, axis, 0, 1)] = True
        out[spatial._shifted(out.ndim, axis, -1, None)] = True
    return _result(img, out)


def _coordinate(prim: str, base: Any, itk_axis: int) -> Image:
    import numpy as np

    img = _base(prim, base)
    shape = _spatial_shape(img)
    if itk_axis >= img.dim:
        return _result(img, np.zeros(shape, np.float32))
    axis = img.dim - 1 - itk_axis
    view = [1] * img.dim
    view[axis] = shape[axis]
    ramp = np.arange(shape[axis], dtype=np.float32).reshape(view)
    return _result(img, np.broadcast_to(ramp, shape).copy())


@ns("x", base_image=True, result="image")
def x(base: Any) -> Image:
    """float32 image of each voxel's index along ITK axis 0 (x)."""
    return _coordinate("x", base, 0)


@ns("y", base_image=True, result="image")
def y(base: Any) -> Image:
    """float32 image of each voxel's index along ITK axis 1 (y)."""
    return _coordinate("y", base, 1)


@ns("z", base_image=True, result="image")
def z(base: Any) -> Image:
    """float32 image of each voxel's index along ITK axis 2 (z); zeros for 2D images."""
    return _coordinate("z", base, 2)


# --- boolean logic --------------------------------------------------------------------------


def _logic(prim: str, a: Any, b: Any, op: str) -> Any:
    import numpy as np

    if isinstance(a, bool) and isinstance(b, bool):
        return (a and b) if op == "and" else (a or b)
    if isinstance(a, bool):
        a, b = b, a
        names = ("b", "a")
    else:
        names = ("a", "b")
    ma = mask_arg(prim, a, names[0])
    if isinstance(b, bool):
        keep_a = b if op == "and" else not b  # a & true = a, a | false = a
        out = ma.copy() if keep_a else np.full_like(ma, op == "or")
        return _result(a, out)
    mb = mask_arg(prim, b, names[1])
    same_geometry(prim, [(names[0], a), (names[1], b)])
    return _result(a, (ma & mb) if op == "and" else (ma | mb))


@ns("and", result="mask")
def and_(a: Any, b: Any) -> Any:
    """Voxel-wise and of two boolean images (a boolean broadcasts)."""
    return _logic("and", a, b, "and")


@ns("or", result="mask")
def or_(a: Any, b: Any) -> Any:
    """Voxel-wise or of two boolean images (a boolean broadcasts)."""
    return _logic("or", a, b, "or")


@ns("not", result="mask")
def not_(a: Any) -> Any:
    """Voxel-wise negation of a boolean image (or of a boolean)."""
    import numpy as np

    if isinstance(a, bool):
        return not a
    return _result(a, np.logical_not(mask_arg("not", a, "a")))


# --- spatial operators ----------------------------------------------------------------------


@ns("near", result="mask")
def near(a: Any) -> Image:
    """Dilation by one voxel, full box neighbourhood; outside the image is false."""
    return _result(a, spatial.near(mask_arg("near", a, "a")))


@ns("interior", result="mask")
def interior(a: Any) -> Image:
    """Erosion by one voxel, full box neighbourhood; outside the image is true."""
    return _result(a, spatial.interior(mask_arg("interior", a, "a")))


@ns("through", result="mask")
def through(a: Any, b: Any) -> Image:
    """Voxels of b whose connected component in b (full connectivity) contains a voxel of a."""
    ma, mb = mask_arg("through", a, "a"), mask_arg("through", b, "b")
    same_geometry("through", [("a", a), ("b", b)])
    return _result(b, spatial.through(ma, mb))


@ns("lcc", result="image", aliases=("Lcc",))
def lcc(a: Any) -> Image:
    """Connected-component labels 1..n of a (full connectivity, int32), 0 outside."""
    labels, _ = spatial.label(mask_arg("lcc", a, "a"))
    return _result(a, labels)


@ns("maxvol", result="mask")
def maxvol(a: Any) -> Image:
    """Union of the largest connected component(s) of a; empty gives empty."""
    return _result(a, spatial.maxvol(mask_arg("maxvol", a, "a")))


@ns("volume", result="int", aliases=("vol",))
def volume(a: Any) -> int:
    """Number of true voxels of a."""
    import numpy as np

    return int(np.count_nonzero(mask_arg("volume", a, "a")))


@ns("dt", result="image")
def dt(a: Any) -> Image:
    """Signed Euclidean distance to the boundary of a, physical units: + outside, 0 on boundary, - inside."""
    return _result(a, spatial.signed_distance(mask_arg("dt", a, "a"), _numpy_spacing(a)))


# --- intensities and channels ---------------------------------------------------------------


@ns("intensity", result="image")
def intensity(i: Any) -> Image:
    """float32 copy of a scalar image; luminance 0.2126 R + 0.7152 G + 0.0722 B of an RGB(A) image."""
    import numpy as np

    img = image_arg("intensity", i, "i")
    if img.components == 1:
        return _result(img, img.array.astype(np.float32))
    if img.components in (3, 4):
        rgb = img.array[..., :3].astype(np.float32)
        weights = (np.float32(0.2126), np.float32(0.7152), np.float32(0.0722))
        lum = rgb[..., 0] * weights[0] + rgb[..., 1] * weights[1] + rgb[..., 2] * weights[2]
        return _result(img, lum)
    raise PrimitiveError(
        "vox1.intensity", f"expected a scalar or RGB image, got {img.components} components", "i"
    )


def _channel(prim: str, i: Any, k: int) -> Image:
    img = image_arg(prim, i, "i")
    if img.components == 1 and k < 3:
        return img
    if k >= img.components:
        raise PrimitiveError(_q(prim), f"the image has no {prim} channel ({img.components} components)", "i")
    return _result(img, img.array[..., k].copy())


@ns("red", result="image")
def red(i: Any) -> Image:
    """Red channel of an RGB(A) image (a scalar image is its own red channel)."""
    return _channel("red", i, 0)


@ns("green", result="image")
def green(i: Any) -> Image:
    """Green channel of an RGB(A) image (a scalar image is its own green channel)."""
    return _channel("green", i, 1)


@ns("blue", result="image")
def blue(i: Any) -> Image:
    """Blue channel of an RGB(A) image (a scalar image is its own blue channel)."""
    return _channel("blue", i, 2)


@ns("alpha", result="image")
def alpha(i: Any) -> Image:
    """Alpha channel of an RGBA image; float32 255 everywhere for an image without one.

    As VoxLogicA 1 (`src/SITKUtil.fs`, `VoxImage.Alpha`) and VoxLogicA-2
    (`implementation/python/voxlogica/primitives/vox1/kernels.py`, `alpha`): fewer than four
    components means fully opaque."""
    import numpy as np

    img = image_arg("alpha", i, "i")
    if img.components < 4:
        return _result(img, np.full(_spatial_shape(img), 255.0, np.float32))
    return _channel("alpha", img, 3)


def _compose(prim: str, channels: list[tuple[str, Any]]) -> Image:
    import numpy as np

    imgs = [(name, scalar_arg(prim, value, name)) for name, value in channels]
    same_geometry(prim, imgs)
    arrays = [img.array for _, img in imgs]
    dtype = np.result_type(*arrays)
    if dtype == np.bool_:
        dtype = np.dtype(np.uint8)
    stacked = np.stack([a.astype(dtype, copy=False) for a in arrays], axis=-1)
    return _result(imgs[0][1], stacked, len(arrays))


@ns("rgb", result="image")
def rgb(r: Any, g: Any, b: Any) -> Image:
    """RGB image from three scalar images (the common pixel type)."""
    return _compose("rgb", [("r", r), ("g", g), ("b", b)])


@ns("rgba", result="image")
def rgba(r: Any, g: Any, b: Any, a: Any) -> Image:
    """RGBA image from four scalar images (the common pixel type)."""
    return _compose("rgba", [("r", r), ("g", g), ("b", b), ("a", a)])


# --- thresholds and statistics --------------------------------------------------------------

_N = Param("n", "number")


@ns("eq_sv", params=(_N, Param("i")), result="mask")
def eq_sv(n: float, i: Any) -> Image:
    """Voxels where i = n."""
    img = scalar_arg("eq_sv", i, "i")
    return _result(img, img.array == n)


@ns("geq_sv", params=(_N, Param("i")), result="mask")
def geq_sv(n: float, i: Any) -> Image:
    """Voxels where i >= n."""
    img = scalar_arg("geq_sv", i, "i")
    return _result(img, img.array >= n)


@ns("leq_sv", params=(_N, Param("i")), result="mask")
def leq_sv(n: float, i: Any) -> Image:
    """Voxels where i <= n."""
    img = scalar_arg("leq_sv", i, "i")
    return _result(img, img.array <= n)


@ns("between", params=(Param("n1", "number"), Param("n2", "number"), Param("i")), result="mask")
def between(n1: float, n2: float, i: Any) -> Image:
    """Voxels where n1 <= i <= n2."""
    img = scalar_arg("between", i, "i")
    return _result(img, (img.array >= n1) & (img.array <= n2))


def _extreme(prim: str, value: Any, largest: bool) -> Any:
    """An image's extreme voxel value; anything else exactly as default's min/max (which vox1
    shadows once imported), errors renamed to this primitive."""
    if isinstance(value, Image):
        if value.array.size == 0:
            raise PrimitiveError(_q(prim), "the image has no voxels", "i")
        v = value.array.max() if largest else value.array.min()
        return int(v) if value.array.dtype.kind in "iub" else float(v)
    from voxcas.primitives import default

    try:
        return default.max_(value) if largest else default.min_(value)
    except PrimitiveError as exc:
        prefix = f"{exc.primitive}: argument '{exc.argument}': " if exc.argument else f"{exc.primitive}: "
        argument = "i" + exc.argument[1:] if exc.argument and exc.argument.startswith("s") else exc.argument
        raise PrimitiveError(_q(prim), str(exc).removeprefix(prefix), argument) from None


@ns("max")
def max_(i: Any) -> Any:
    """Largest voxel value of an image (or largest item of a sequence)."""
    return _extreme("max", i, True)


@ns("min")
def min_(i: Any) -> Any:
    """Smallest voxel value of an image (or smallest item of a sequence)."""
    return _extreme("min", i, False)


@ns("abs")
def abs_(i: Any) -> Any:
    """Absolute value of each voxel (pixel type kept), or of a number."""
    import numpy as np

    if isinstance(i, Image):
        return i.with_array(np.abs(i.array) if i.array.dtype.kind not in "ub" else i.array, i.components)
    if kind_of(i) in ("int", "float"):
        return abs(i)
    raise PrimitiveError("vox1.abs", f"expected an image or a number, got {kind_of(i)}", "i")


@ns("mask", result="image")
def mask(i: Any, b: Any) -> Image:
    """i where b is true, 0 elsewhere (pixel type kept)."""
    img = image_arg("mask", i, "i")
    mb = mask_arg("mask", b, "b")
    same_geometry("mask", [("i", img), ("b", b)])
    out = img.array.copy()
    out[~mb] = 0
    return img.with_array(out, img.components)


@ns("avg", result="float")
def avg(i: Any, b: Any) -> float:
    """Mean of i over the true voxels of b (an error when b is empty)."""
    import numpy as np

    img = scalar_arg("avg", i, "i")
    mb = mask_arg("avg", b, "b")
    same_geometry("avg", [("i", img), ("b", b)])
    values = img.array[mb]
    if values.size == 0:
        raise PrimitiveError("vox1.avg", "the mask is empty: no voxels to average", "b")
    return float(np.mean(values, dtype=np.float64))


@ns("percentiles", params=(Param("i"), Param("b"), Param("k", "float")), result="image")
def percentiles(i: Any, b: Any, k: float) -> Image:
    """Per voxel of b: (#voxels of b below it + k * #equal) / #voxels of b; -1 outside b (float32)."""
    img = scalar_arg("percentiles", i, "i")
    mb = mask_arg("percentiles", b, "b")
    same_geometry("percentiles", [("i", img), ("b", b)])
    return _result(img, spatial.percentiles(img.array, mb, k))


@ns(
    "crossCorrelation",
    params=(
        Param("r", "float"),
        Param("a"),
        Param("b"),
        Param("fb"),
        Param("m1", "float"),
        Param("m2", "float"),
        Param("k", "int"),
    ),
    result="image",
)
def cross_correlation(r: float, a: Any, b: Any, fb: Any, m1: float, m2: float, k: int) -> Image:
    """Pearson correlation of the local k-bin histogram of a (box of radius r mm) with b's over fb."""
    prim = "crossCorrelation"
    ia, ib = scalar_arg(prim, a, "a"), scalar_arg(prim, b, "b")
    mfb = mask_arg(prim, fb, "fb")
    same_geometry(prim, [("a", ia), ("b", ib), ("fb", fb)])
    if k < 1:
        raise PrimitiveError(_q(prim), f"the number of bins must be at least 1, got {k}", "k")
    if not m2 > m1:
        raise PrimitiveError(
            _q(prim), f"empty histogram range [{format_number(m1)}, {format_number(m2)})", "m2"
        )
    if r < 0:
        raise PrimitiveError(_q(prim), f"the radius must not be negative, got {format_number(r)}", "r")
    radii = [max(1, int(r / s + 0.5)) for s in _numpy_spacing(ia)]
    return _result(ia, spatial.cross_correlation(ia.array, ib.array, mfb, radii, m1, m2, k))


@ns("otsu", params=(Param("i"), Param("b"), Param("bins", "int")), result="float")
def otsu(i: Any, b: Any, bins: int) -> float:
    """Otsu's threshold of i over the voxels of b with the given number of histogram bins."""
    img = scalar_arg("otsu", i, "i")
    mb = mask_arg("otsu", b, "b")
    same_geometry("otsu", [("i", img), ("b", b)])
    if bins < 2:
        raise PrimitiveError("vox1.otsu", f"expected at least 2 bins, got {bins}", "bins")
    values = img.array[mb]
    if values.size == 0:
        raise PrimitiveError("vox1.otsu", "the mask is empty: no voxels to threshold", "b")
    return spatial.otsu_threshold(values, bins)


@ns("gradient", result="image")
def gradient(i: Any) -> Image:
    """Gradient magnitude in intensity per physical unit (central differences; float32)."""
    img = scalar_arg("gradient", i, "i")
    return _result(img, spatial.gradient_magnitude(img.array, _numpy_spacing(img)))


@ns("overlay", params=(Param("i"), Param("b"), Param("color", "seq", (255, 0, 0))), result="image")
def overlay(i: Any, b: Any, color: Any = (255, 0, 0)) -> Image:
    """RGB uint8 picture of the windowed image i with the voxels of b blended in colour (default red)."""
    from voxcas.primitives.imageio import overlay_rgb

    img = image_arg("overlay", i, "i")
    mb = mask_arg("overlay", b, "b")
    same_geometry("overlay", [("i", img), ("b", b)])
    numbers = kind_of(color) == "sequence" and all(kind_of(c) in ("int", "float") for c in color)
    if not numbers or len(color) != 3:
        raise PrimitiveError("vox1.overlay", f"expected a colour [r, g, b], got {kind_of(color)}", "color")
    return overlay_rgb(img, mb, [float(c) for c in color])
