"""The simpleitk namespace: every procedural function of SimpleITK as a primitive (`import "simpleitk"`).

Registration happens when this module is imported (only when a program or command needs the
namespace, so importing SimpleITK at the top is fine here). For each public function of
SimpleITK whose SWIG docstring carries signatures such as

    BinaryThreshold(Image image1, double lowerThreshold=0.0, ..., uint8_t insideValue=1) -> Image

the overloads are parsed into parameter names and C++ types. The primitive accepts from the
fewest required to the most arguments of any overload; at call time the first overload whose
arity and argument kinds (image / number / sequence / string) fit is chosen, and each argument
is coerced to its C++ type: integral numbers where SimpleITK wants integers (`4.0` is accepted,
`4.5` is an error naming the argument), floats for doubles, lists of integers for `VectorUInt32`
and friends, SimpleITK constants by name (`"sitkFloat32"`, `"sitkLinear"`) for enumerations.
Arguments left out are left to SimpleITK's own defaults. voxcas images cross to SimpleITK and
back with `imageio.to_sitk` / `from_sitk`, without loss of pixel type or geometry.

Functions returning transforms or loggers, GUI helpers (`Show`, `ImageViewer_*`), global
settings (`ProcessObject_*`) and numpy bridges (`GetArrayFromImage`, ...) are not registered.
Hand-written: `ReadImage(path[, pixelType])` (a file reader, with voxcas's clear errors and
DICOM directories), `WriteImage(image, path)` (impure), `MinimumMaximum(i)` → `[min, max]`,
`Statistics(i)` → `[min, max, mean, sigma, variance, sum, count]`, and the Python-level
wrappers `DiscreteGaussian` and `SmoothingRecursiveGaussian`. All have version "1".
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import SimpleITK as _SimpleITK

from voxcas.errors import PrimitiveError
from voxcas.primitives.imageio import from_sitk, read_image, to_sitk
from voxcas.primitives.registry import Namespace, Param, Primitive
from voxcas.values import Image, kind_of

sitk: Any = _SimpleITK  # its SWIG wrappers carry no annotations

NAMESPACE = Namespace(
    "simpleitk",
    doc="Every procedural function of SimpleITK, with images crossing losslessly.",
    libraries=("python", "numpy", "SimpleITK"),
)

_SIGNATURE = re.compile(r"^(\w+)\((.*)\)\s*->\s*(.+)$")
_SKIPPED_RESULTS = ("Transform", "BSplineTransform", "ITKLogger")
_SKIPPED_NAMES = {"Show", "GetArrayFromImage", "GetArrayViewFromImage", "GetImageFromArray", "WriteTransform"}
_INT_TYPES = {
    "int", "unsigned int", "uint8_t", "int8_t", "uint16_t", "int16_t", "uint32_t", "int32_t",
    "uint64_t", "int64_t", "size_t", "unsigned long", "long",
}  # fmt: skip


class SitkDefault:
    """Marks an argument left to SimpleITK's own default; shows that default (`vox primitives`)."""

    def __init__(self, shown: str = "SimpleITK's default") -> None:
        self.shown = shown

    def __repr__(self) -> str:
        return self.shown


UNSET: Any = SitkDefault()
_VECTOR = re.compile(r"^std::vector<\s*[\w: <>]+?\s*>\((\d+),\s*(.+)\)$")
_LIMIT = re.compile(r"^std::numeric_limits<\s*[\w ]+\s*>::(max|min|lowest)\(\)(.*)$")


def shown_default(cpp: str) -> str:
    """A C++ default from SimpleITK's signatures as a reader of voxcas writes it:
    `std::vector< double >(3, 1.0)` → `[1.0, 1.0, 1.0]`, `std::string("LPS")` → `"LPS"`,
    `(uint8_t) itk::simple::sitkWallClock` → `sitkWallClock`; anything else as it is."""
    text = cpp.strip()
    if m := _VECTOR.match(text):
        item = m.group(2).strip().removesuffix("u")
        item = {"true": "True", "false": "False"}.get(item, item)
        return "[" + ", ".join([item] * int(m.group(1))) + "]"
    if re.match(r"^std::vector<.*>\(\)$", text) or re.match(r"^std::map<.*>\(\)$", text):
        return "[]"
    if m := _LIMIT.match(text):
        return f"{m.group(1)}{m.group(2)}"
    if m := re.match(r'^std::string\((".*")\)$', text):
        return m.group(1)
    text = re.sub(r"^\(\w+\)\s*", "", text)
    return text.rsplit("::", 1)[-1] if "::" in text and "(" not in text else text


@dataclass(frozen=True, slots=True)
class CParam:
    name: str
    ctype: str
    optional: bool
    default: str = ""  # the C++ default as SimpleITK's signature writes it


@dataclass(frozen=True, slots=True)
class Overload:
    params: tuple[CParam, ...]
    result: str

    @property
    def required(self) -> int:
        return sum(1 for p in self.params if not p.optional)


def split_top_level(text: str) -> list[str]:
    """Split a parameter list on the commas outside parentheses and angle brackets."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch in "(<":
            depth += 1
        elif ch in ")>":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    tail = "".join(current).strip()
    if tail:
        parts.append(tail)
    return parts


def parse_signatures(name: str, doc: str) -> list[Overload]:
    """The overloads of `name` listed in a SWIG docstring."""
    overloads = []
    for line in doc.splitlines():
        m = _SIGNATURE.match(line.strip())
        if not m or m.group(1) != name:
            continue
        params = []
        for part in split_top_level(m.group(2)):
            decl, eq, _default = part.partition("=")
            ctype, _, pname = decl.strip().rpartition(" ")
            params.append(CParam(pname, ctype.strip(), bool(eq), _default.strip()))
        overloads.append(Overload(tuple(params), m.group(3).strip()))
    return overloads


def kind_of_ctype(ctype: str) -> str:
    """The voxcas kind a C++ parameter type takes: image, number, seq, str or any."""
    base = ctype.replace("const", "").replace("&", "").strip()
    if base == "Image":
        return "image"
    if base in ("double", "float") or base in _INT_TYPES:
        return "number"
    if base == "bool":
        return "bool"
    if base.startswith("Vector") or base.startswith("std::vector"):
        return "seq"
    if base in ("std::string", "itk::simple::PathType"):
        return "str"
    return "any"


def _fits(value: Any, kind: str) -> bool:
    got = kind_of(value)
    if kind == "image":
        return got == "image"
    if kind == "number":
        return got in ("int", "float")
    if kind == "bool":
        return got == "bool"
    if kind == "seq":
        return got == "sequence"
    if kind == "str":
        return got == "str"
    return got != "image"


def _int(prim: str, arg: str, value: Any) -> int:
    if isinstance(value, bool):
        raise PrimitiveError(prim, "expected an integer, got a boolean", arg)
    if kind_of(value) not in ("int", "float"):
        raise PrimitiveError(prim, f"expected an integer, got {kind_of(value)}", arg)
    as_float = float(value)
    if not as_float.is_integer():
        raise PrimitiveError(prim, f"expected an integer, got {as_float!r}", arg)
    return int(as_float)


def convert(prim: str, param: CParam, value: Any) -> Any:
    """A voxcas value as SimpleITK wants it for a parameter of this C++ type."""
    base = param.ctype.replace("const", "").replace("&", "").strip()
    kind = kind_of_ctype(base)
    if kind == "image":
        return to_sitk(value)
    if kind == "number":
        return _int(prim, param.name, value) if base in _INT_TYPES else float(value)
    if kind == "bool":
        return bool(value)
    if kind == "str":
        return str(value)
    if kind == "seq":
        items = list(value)
        if base == "VectorOfImage":
            return [to_sitk(v) for v in items]
        if base == "VectorUIntList":
            return [[_int(prim, param.name, x) for x in row] for row in items]
        if "Int" in base:
            return [_int(prim, param.name, x) for x in items]
        if "Bool" in base:
            return [bool(x) for x in items]
        if "Double" in base or "Float" in base:
            return [float(x) for x in items]
        return items
    if isinstance(value, str) and hasattr(sitk, value):  # an enumeration constant by name
        return getattr(sitk, value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def from_result(prim: str, value: Any) -> Any:
    """A SimpleITK result as a voxcas value."""
    if isinstance(value, sitk.Image):
        return from_sitk(value)
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, tuple | list):
        return [from_result(prim, v) for v in value]
    raise PrimitiveError(prim, f"SimpleITK returned a {type(value).__name__}, which voxcas cannot use")


def _one_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    chosen = lines[-1] if lines else type(exc).__name__
    for ln in lines:
        if ln.startswith("sitk::ERROR:"):
            chosen = ln.removeprefix("sitk::ERROR:").strip()
            break
    return re.sub(r"\s*\(0x[0-9a-fA-F]+\)", "", chosen)  # ITK prints object addresses


def _invoke(prim: str, fn: Any, args: Sequence[Any]) -> Any:
    try:
        return from_result(prim, fn(*args))
    except (RuntimeError, TypeError, ValueError) as exc:
        raise PrimitiveError(prim, _one_line(exc)) from None


def make_wrapper(name: str, overloads: list[Overload]) -> Any:
    """The Python function of a primitive: choose an overload, convert, call, convert back."""
    prim = f"simpleitk.{name}"
    fn = getattr(sitk, name)

    def call(*args: Any) -> Any:
        given = list(args)
        while given and isinstance(given[-1], SitkDefault):
            given.pop()
        for ov in overloads:
            if ov.required <= len(given) <= len(ov.params) and all(
                _fits(v, kind_of_ctype(p.ctype)) for v, p in zip(given, ov.params, strict=False)
            ):
                converted = [convert(prim, p, v) for v, p in zip(given, ov.params, strict=False)]
                return _invoke(prim, fn, converted)
        kinds = ", ".join(kind_of(v) for v in given)
        forms = "; ".join(f"({', '.join(kind_of_ctype(p.ctype) for p in ov.params)})" for ov in overloads)
        raise PrimitiveError(prim, f"no form of {name} accepts ({kinds}); its forms take {forms}")

    call.__name__ = name
    return call


def _unset(cpp: str) -> Any:
    return SitkDefault(shown_default(cpp)) if cpp else UNSET


def _params_of(overloads: list[Overload]) -> tuple[Param, ...]:
    widest = max(overloads, key=lambda ov: len(ov.params))
    required = min(ov.required for ov in overloads)
    return tuple(
        Param(p.name, "any") if i < required else Param(p.name, "any", _unset(p.default))
        for i, p in enumerate(widest.params)
    )


def _register_generated() -> None:
    for name in sorted(dir(sitk)):
        if not name[:1].isupper() or "_" in name or name in _SKIPPED_NAMES or name in NAMESPACE.primitives:
            continue
        fn = getattr(sitk, name)
        if not inspect.isfunction(fn):
            continue
        overloads = [
            ov for ov in parse_signatures(name, fn.__doc__ or "") if ov.result not in _SKIPPED_RESULTS
        ]
        if not overloads:
            continue
        shown = " | ".join(
            f"({', '.join(f'{p.ctype} {p.name}' for p in ov.params)}) -> {ov.result}" for ov in overloads[:2]
        )
        NAMESPACE.add(
            Primitive(
                namespace="simpleitk",
                name=name,
                fn=make_wrapper(name, overloads),
                params=_params_of(overloads),
                result="image" if overloads[0].result == "Image" else "any",
                version="1",
                doc=f"SimpleITK {name}{shown if len(shown) < 160 else shown[:157] + '...'}",
            )
        )


# --- hand-written members ---------------------------------------------------------------------


@NAMESPACE.primitive(
    "ReadImage",
    params=(Param("fileName", "str"), Param("outputPixelType", "any", SitkDefault("sitkUnknown"))),
    result="image",
    reads_files=True,
    path_params=(0,),
)
def read_image_(fileName: str, outputPixelType: Any = UNSET) -> Image:
    """Read an image file (or a DICOM series directory), optionally cast to a pixel type."""
    image = read_image(fileName, "simpleitk.ReadImage")
    if isinstance(outputPixelType, SitkDefault):
        return image
    pixel = convert(
        "simpleitk.ReadImage",
        CParam("outputPixelType", "itk::simple::PixelIDValueEnum", False),
        outputPixelType,
    )
    result: Image = _invoke("simpleitk.ReadImage", sitk.Cast, [to_sitk(image), pixel])
    return result


@NAMESPACE.primitive(
    "WriteImage", params=(Param("image"), Param("fileName", "str")), result="str", pure=False,
    writes_files=True, write_params=(1,),
)
def write_image_(image: Any, fileName: str) -> str:
    """Write an image to a file (format by extension); gives the file name back."""
    from voxcas.output import write_value

    if not isinstance(image, Image):
        raise PrimitiveError("simpleitk.WriteImage", f"expected an image, got {kind_of(image)}", "image")
    from pathlib import Path

    write_value(image, Path(fileName), op="simpleitk.WriteImage")  # checked by the run's access policy
    return fileName


def _sitk_image(prim: str, value: Any) -> Any:
    if not isinstance(value, Image):
        raise PrimitiveError(prim, f"expected an image, got {kind_of(value)}", "image")
    return to_sitk(value)


@NAMESPACE.primitive("MinimumMaximum", params=(Param("image"),), result="seq")
def minimum_maximum(image: Any) -> list[float]:
    """[min, max] of the voxel values of an image."""
    f = sitk.MinimumMaximumImageFilter()
    f.Execute(_sitk_image("simpleitk.MinimumMaximum", image))
    return [float(f.GetMinimum()), float(f.GetMaximum())]


@NAMESPACE.primitive("Statistics", params=(Param("image"),), result="seq")
def statistics(image: Any) -> list[float | int]:
    """[min, max, mean, sigma, variance, sum, count] of the voxel values of an image."""
    img = _sitk_image("simpleitk.Statistics", image)
    f = sitk.StatisticsImageFilter()
    f.Execute(img)
    count = 1
    for n in img.GetSize():
        count *= int(n)
    return [
        float(f.GetMinimum()),
        float(f.GetMaximum()),
        float(f.GetMean()),
        float(f.GetSigma()),
        float(f.GetVariance()),
        float(f.GetSum()),
        count,
    ]


@NAMESPACE.primitive(
    "DiscreteGaussian",
    params=(
        Param("image1"),
        Param("variance", "any", SitkDefault("[1.0, 1.0, 1.0]")),
        Param("maximumKernelWidth", "any", SitkDefault("32")),
        Param("maximumError", "any", SitkDefault("[0.01, 0.01, 0.01]")),
        Param("useImageSpacing", "any", SitkDefault("True")),
    ),
    result="image",
)
def discrete_gaussian(image1: Any, *rest: Any) -> Image:
    """SimpleITK DiscreteGaussian(image1, variance=[1,1,1], maximumKernelWidth=32, maximumError=0.01, ...)."""
    kinds = ("VectorDouble", "unsigned int", "double", "bool")
    return _python_wrapper("DiscreteGaussian", image1, rest, kinds)


@NAMESPACE.primitive(
    "SmoothingRecursiveGaussian",
    params=(
        Param("image1"),
        Param("sigma", "any", SitkDefault("[1.0, 1.0, 1.0]")),
        Param("normalizeAcrossScale", "any", SitkDefault("False")),
    ),
    result="image",
)
def smoothing_recursive_gaussian(image1: Any, *rest: Any) -> Image:
    """SimpleITK SmoothingRecursiveGaussian(image1, sigma=[1,1,1], normalizeAcrossScale=False)."""
    return _python_wrapper("SmoothingRecursiveGaussian", image1, rest, ("VectorDouble", "bool"))


def _python_wrapper(name: str, image: Any, rest: Sequence[Any], ctypes: Sequence[str]) -> Image:
    prim = f"simpleitk.{name}"
    args: list[Any] = [_sitk_image(prim, image)]
    names = [p.name for p in NAMESPACE.primitives[name].params[1:]]
    for value, ctype, pname in zip(rest, ctypes, names, strict=False):
        if isinstance(value, SitkDefault):
            break
        if ctype == "VectorDouble" and kind_of(value) in ("int", "float"):
            value = [float(value)] * image.dim  # a single number for every axis
        args.append(convert(prim, CParam(pname, ctype, True), value))
    result: Image = _invoke(prim, getattr(sitk, name), args)
    return result


_register_generated()
