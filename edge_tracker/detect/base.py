"""The decoder interface and registry: one decoder per output signature.

A decoder is a pure function of a model's dequantized output tensors and the
preprocessing geometry: no interpreter needed, so synthetic tensors test it.

Contract of ``Decoder.decode(outputs, info)``:
    outputs: the model's outputs in declared order, float32 (already dequantized).
    info: :class:`PreprocessInfo` of the frame.
    returns (boxes (N,4) float32 xyxy in **model-input pixels**, scores (N,) float32,
    classes (N,) int32). The Detector maps boxes back to source pixels, filters
    classes and score, and runs NMS when ``needs_nms``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import ModelError
from ..runtime.interpreter import TensorInfo


@dataclass(frozen=True)
class PreprocessInfo:
    """Geometry of one preprocessed frame.

    src_w, src_h: source frame size in pixels. in_w, in_h: model input size.
    sx, sy: input pixels per source pixel. pad_x, pad_y: letterbox offset in input pixels.
    A source point (x, y) maps to input (x * sx + pad_x, y * sy + pad_y).
    """

    src_w: int
    src_h: int
    in_w: int
    in_h: int
    sx: float
    sy: float
    pad_x: float = 0.0
    pad_y: float = 0.0

    def to_source(self, boxes: np.ndarray) -> np.ndarray:
        """(N,4) xyxy input pixels -> (N,4) float32 xyxy source pixels, clipped to the frame."""
        out = np.empty_like(boxes, dtype=np.float32)
        out[:, 0::2] = (boxes[:, 0::2] - np.float32(self.pad_x)) / np.float32(self.sx)
        out[:, 1::2] = (boxes[:, 1::2] - np.float32(self.pad_y)) / np.float32(self.sy)
        np.clip(out[:, 0::2], 0, self.src_w, out=out[:, 0::2])
        np.clip(out[:, 1::2], 0, self.src_h, out=out[:, 1::2])
        return out


class Decoder(ABC):
    """Output decoder. Subclasses set ``name`` and register with :func:`register`."""

    name: ClassVar[str] = ""
    needs_nms: ClassVar[bool] = True
    # Preprocessing this family of models expects unless config/metadata say otherwise.
    default_preprocess: ClassVar[dict] = {}

    def __init__(self, outputs: list[TensorInfo], options: dict | None = None) -> None:
        self.output_infos = outputs
        self.options = dict(options or {})

    @classmethod
    @abstractmethod
    def matches(cls, outputs: list[TensorInfo]) -> bool:
        """True when this decoder understands the output signature."""

    @abstractmethod
    def decode(self, outputs: list[np.ndarray], info: PreprocessInfo
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """See module docstring."""


_REGISTRY: dict[str, type[Decoder]] = {}


def register(cls: type[Decoder]) -> type[Decoder]:
    """Class decorator adding a decoder to the registry under ``cls.name``."""
    _REGISTRY[cls.name] = cls
    return cls


def registered() -> dict[str, type[Decoder]]:
    from . import centernet, ssd, yolov8, yolox  # noqa: F401 - import registers them

    return dict(_REGISTRY)


def describe_outputs(outputs: list[TensorInfo]) -> str:
    return ", ".join(f"{o.name or '?'} {list(o.shape)} {o.dtype.name}" for o in outputs)


def choose_decoder(kind: str, outputs: list[TensorInfo], model_path: str = "",
                   options: dict | None = None) -> Decoder:
    """The decoder named ``kind``, or with ``auto`` the first whose signature matches.

    Errors list the output shapes seen, so a user can tell why nothing fits.
    """
    decoders = registered()
    if kind != "auto":
        if kind not in decoders:
            raise ModelError(f"unknown decoder type {kind!r}; known: {sorted(decoders)}")
        cls = decoders[kind]
        if not cls.matches(outputs):
            raise ModelError(f"{model_path}: outputs do not fit decoder {kind!r}: "
                             f"{describe_outputs(outputs)}")
        return cls(outputs, options)
    for name in ("ssd", "centernet", "yolox", "yolov8"):
        cls = decoders.get(name)
        if cls is not None and cls.matches(outputs):
            return cls(outputs, options)
    raise ModelError(
        f"{model_path}: no decoder fits the model's outputs ({describe_outputs(outputs)}); "
        f"supported: ssd (TFLite_Detection_PostProcess: 4 outputs [1,N,4],[1,N],[1,N],[1]), "
        f"yolox [1,N,85], yolov8 [1,4+C,N], centernet (heatmap/size/offset)")
