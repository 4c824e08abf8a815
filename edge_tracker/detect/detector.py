"""Detector: a TFLite model + its decoder + preprocessing, from one config section.

Resolution of every preprocessing/decoder setting, first that applies:
the config value (anything but ``auto``/None) > the model's metadata (sidecar
``MODEL.json`` or embedded JSON, see runtime/metadata.py) > the decoder family's
default (``Decoder.default_preprocess``). Decoder options are the metadata (its
``decoder_options`` mapping and top-level keys such as ``decoded``, ``heads``) updated
by ``DetectorConfig.decoder_options``.

Output of :meth:`Detector.detect`: :class:`~edge_tracker.types.Detections` with boxes
(N, 4) float32 xyxy in source pixels, clipped to the frame, score >= threshold, class in
the class filter, NMS'd (when the decoder needs it), highest score first, at most
``max_detections``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ..configbase import PATH_META, bounds
from ..errors import ConfigError, ModelError
from ..runtime.interpreter import Model, TensorInfo, load_model
from ..types import ORIGIN_STUDENT, Detections
from .base import Decoder, PreprocessInfo, choose_decoder
from .labels import class_ids, default_labels, load_labels
from .nms import nms
from .preprocess import Preprocessor, PreprocessSpec, is_raw_transform, raw_mean_scale


@dataclass(frozen=True)
class DetectorConfig:
    """One detector (student or teacher). ``auto``/None = model metadata, else the
    decoder family's default."""

    model: str | None = field(default=None, metadata=PATH_META)  # None: bundled default
    type: Literal["auto", "ssd", "yolox", "yolov8", "centernet"] = "auto"
    num_threads: int = field(default=1, metadata=bounds(1, 8))  # checked vs cores at load
    delegate: str | None = None  # "edgetpu" or a delegate library path
    delegate_options: dict = field(default_factory=dict)
    score_threshold: float = field(default=0.3, metadata=bounds(0.0, 1.0))
    nms_iou: float = field(default=0.5, metadata=bounds(0.0, 1.0, lo_open=True))
    max_detections: int = field(default=100, metadata=bounds(1, 10000))
    classes: tuple[str, ...] = ("person",)  # label names kept; () = all
    labels: str | None = field(default=None, metadata=PATH_META)
    resize: Literal["auto", "stretch", "letterbox"] = "auto"
    letterbox_align: Literal["auto", "topleft", "center"] = "auto"
    pad_value: int | None = field(default=None, metadata=bounds(0, 255))
    channels: Literal["auto", "rgb", "bgr"] = "auto"
    mean: tuple[float, float, float] | None = None
    scale: tuple[float, float, float] | None = None
    # Extra decoder options (e.g. yolox {decoded: true}); override the model metadata's.
    decoder_options: dict = field(default_factory=dict)
    class_agnostic_nms: bool = False  # default: boxes suppress only boxes of their class


def _triple(value: object, key: str) -> tuple[float, float, float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (float(value),) * 3
    if isinstance(value, (list, tuple)) and len(value) == 3:
        return tuple(float(v) for v in value)  # type: ignore[return-value]
    raise ModelError(f"model metadata {key} must be a number or 3 numbers, got {value!r}")


def _layout(info: TensorInfo) -> tuple[str, int, int, int]:
    """(layout, in_w, in_h, channels) of an image input tensor."""
    s = info.shape
    if len(s) != 4 or s[0] != 1:
        raise ModelError(f"image input {info.name} must be [1, H, W, C] or [1, C, H, W], "
                         f"got {list(s)}")
    if s[3] in (1, 3, 4):
        return "nhwc", s[2], s[1], s[3]
    if s[1] in (3, 4):
        return "nchw", s[3], s[2], s[1]
    raise ModelError(f"image input {info.name} {list(s)}: cannot tell the channel axis")


def resolve_preprocess(cfg: DetectorConfig, meta: dict, decoder: type[Decoder] | Decoder,
                       info: TensorInfo) -> PreprocessSpec:
    """The PreprocessSpec for a model input (see module doc for the precedence)."""
    defaults = dict(decoder.default_preprocess)
    layout, in_w, in_h, ch = _layout(info)
    if ch not in (3, 4):
        raise ModelError(f"image input {info.name} has {ch} channels; need 3 (or 4 with a "
                         f"prior channel)")

    def pick(key: str, cfg_value: object, fallback: object) -> object:
        if cfg_value not in (None, "auto"):
            return cfg_value
        if meta.get(key) is not None:
            return meta[key]
        return defaults.get(key, fallback)

    resize = pick("resize", cfg.resize, "stretch")
    align = pick("letterbox_align", cfg.letterbox_align, "topleft")
    pad = pick("pad_value", cfg.pad_value, 114)
    channels = pick("channels", cfg.channels, "rgb")
    raw_ms = raw_mean_scale(info) if defaults.get("raw_quantized") else None
    if cfg.mean is not None:
        mean = cfg.mean
    elif meta.get("mean") is not None:
        mean = _triple(meta["mean"], "mean")
    elif raw_ms is not None and cfg.scale is None and meta.get("scale") is None:
        mean = (raw_ms[0],) * 3
    else:
        mean = _triple(defaults.get("mean", 0.0), "mean")
    if cfg.scale is not None:
        scale = cfg.scale
    elif meta.get("scale") is not None:
        scale = _triple(meta["scale"], "scale")
    elif raw_ms is not None and cfg.mean is None and meta.get("mean") is None:
        scale = (raw_ms[1],) * 3
    else:
        scale = _triple(defaults.get("scale", 1.0), "scale")
    try:
        return PreprocessSpec(
            in_w=in_w, in_h=in_h, resize=str(resize), align=str(align), pad_value=int(pad),
            channels=str(channels), mean=tuple(mean), scale=tuple(scale),
            raw=is_raw_transform(info, tuple(mean), tuple(scale)), layout=layout,
            prior_channel=ch == 4)
    except ValueError as exc:
        raise ModelError(f"preprocessing of {info.name}: {exc}") from exc


def _labels(cfg: DetectorConfig, meta: dict, decoder_name: str, model_path: str) -> list[str]:
    if cfg.labels:
        return load_labels(cfg.labels)
    meta_labels = meta.get("labels")
    if isinstance(meta_labels, list) and meta_labels:
        return [str(x) for x in meta_labels]
    if isinstance(meta_labels, str) and meta_labels:
        return load_labels(os.path.join(os.path.dirname(model_path), meta_labels))
    return default_labels(decoder_name)


def decoder_options(cfg: DetectorConfig, meta: dict) -> dict:
    """Metadata keys, then its ``decoder_options``, then the config's."""
    opts = {k: v for k, v in meta.items() if k != "decoder_options"}
    opts.update(meta.get("decoder_options") or {})
    opts.update(cfg.decoder_options)
    return opts


class Detector:
    """Model + decoder + preprocessing. Build with :meth:`from_config`."""

    def __init__(self, cfg: DetectorConfig, model: Model, decoder: Decoder,
                 spec: PreprocessSpec, labels: list[str]) -> None:
        self.cfg = cfg
        self.model = model
        self.decoder = decoder
        self.labels = labels
        self.preprocessor = Preprocessor(spec, model.input, model.quantize_input)
        self.class_ids = class_ids(cfg.classes, labels)
        self._class_ids_arr = None if self.class_ids is None else \
            np.asarray(self.class_ids, np.int32)
        # Decoders prune rows early with these (yolox/yolov8 read them per call).
        decoder.options.setdefault("class_ids", self.class_ids)
        decoder.options.setdefault("min_score", cfg.score_threshold)

    @classmethod
    def from_config(cls, cfg: DetectorConfig, default_model: str | None = None) -> Detector:
        path = cfg.model or default_model
        if not path:
            raise ConfigError("model", "no model file given and no default model")
        model = load_model(path, num_threads=cfg.num_threads, delegate=cfg.delegate,
                           delegate_options=cfg.delegate_options)
        return cls.from_model(model, cfg)

    @classmethod
    def from_model(cls, model: Model, cfg: DetectorConfig | None = None) -> Detector:
        """A Detector around an already loaded model (tests, inspect)."""
        cfg = cfg or DetectorConfig()
        meta = model.metadata or {}
        kind = cfg.type if cfg.type != "auto" else str(meta.get("decoder", "auto"))
        decoder = choose_decoder(kind, model.outputs, model.path, decoder_options(cfg, meta))
        spec = resolve_preprocess(cfg, meta, decoder, model.input)
        labels = _labels(cfg, meta, decoder.name, model.path)
        return cls(cfg, model, decoder, spec, labels)

    @property
    def name(self) -> str:
        """Model file stem, for metric labels."""
        return os.path.splitext(os.path.basename(self.model.path))[0]

    @property
    def spec(self) -> PreprocessSpec:
        return self.preprocessor.spec

    @property
    def input_size(self) -> tuple[int, int]:
        """(w, h) of the model input."""
        return self.spec.in_w, self.spec.in_h

    @property
    def has_prior_channel(self) -> bool:
        return self.spec.prior_channel

    def preprocess(self, image_bgr: np.ndarray, prior: np.ndarray | None = None
                   ) -> tuple[list[np.ndarray], PreprocessInfo]:
        """(H, W, 3) uint8 BGR -> ([input tensor], geometry). prior: (in_h, in_w) float32
        in [0, 1], used only by prior-channel models."""
        x, info = self.preprocessor(image_bgr, prior if self.has_prior_channel else None)
        return [x], info

    def infer(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """Run the model; outputs dequantized to float32 in declared order."""
        return self.model.run(*inputs)

    def decode(self, outputs: list[np.ndarray], info: PreprocessInfo, frame_index: int = -1,
               origin: str = ORIGIN_STUDENT) -> Detections:
        """Outputs -> filtered, NMS'd Detections in source pixels (see module doc)."""
        cfg = self.cfg
        boxes, scores, classes = self.decoder.decode(outputs, info)
        keep = scores >= np.float32(cfg.score_threshold)
        if self._class_ids_arr is not None:
            keep &= np.isin(classes, self._class_ids_arr)
        boxes, scores, classes = boxes[keep], scores[keep], classes[keep]
        # Drop empty boxes (e.g. SSD rows clipped to nothing): NMS/IoU treat them as 0 area.
        ok = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        boxes, scores, classes = boxes[ok], scores[ok], classes[ok]
        if self.decoder.needs_nms:
            idx = nms(boxes, scores, cfg.nms_iou,
                      None if cfg.class_agnostic_nms else classes, cfg.max_detections)
        else:
            idx = np.argsort(-scores, kind="stable")[:cfg.max_detections]
        src = info.to_source(boxes[idx])
        inside = (src[:, 2] > src[:, 0]) & (src[:, 3] > src[:, 1])  # not all in the padding
        if not inside.all():
            src, idx = src[inside], idx[inside]
        return Detections(src, scores[idx], classes[idx], frame_index, origin)

    def detect(self, image_bgr: np.ndarray, frame_index: int = -1,
               origin: str = ORIGIN_STUDENT, prior: np.ndarray | None = None) -> Detections:
        """preprocess + infer + decode."""
        inputs, info = self.preprocess(image_bgr, prior)
        return self.decode(self.infer(inputs), info, frame_index, origin)

    def describe(self) -> dict:
        """Plain summary (inspect, logs)."""
        s = self.spec
        return {
            "model": self.model.path, "decoder": self.decoder.name,
            "input_size": [s.in_w, s.in_h], "layout": s.layout, "resize": s.resize,
            "letterbox_align": s.align, "pad_value": s.pad_value, "channels": s.channels,
            "mean": list(s.mean), "scale": list(s.scale), "raw_bytes": s.raw,
            "prior_channel": s.prior_channel, "labels": len(self.labels),
            "classes_kept": [self.labels[i] for i in self.class_ids]
            if self.class_ids is not None else "all",
        }
