"""SSD models with the ``TFLite_Detection_PostProcess`` op (decoding + NMS in the model).

Outputs (batch 1, N = max detections of the op):
    boxes   [1, N, 4]  ymin, xmin, ymax, xmax normalised to 0..1 of the model input;
    classes [1, N]     class ids as floats (0 = first real class: ``person`` for COCO,
                       the label map's ``???`` background line is not counted);
    scores  [1, N]     0..1;
    count   [1]        number of valid rows; rows >= count are garbage and ignored.

Output order differs between exports (TF1 export: boxes, classes, scores, count; TF2
export e.g. scores, boxes, count, classes), so tensors are identified by shape
(boxes: last dim 4; count: one element), then classes vs scores by name
(``TFLite_Detection_PostProcess:1`` / ``:2``), else per call by value: the class
tensor is all integers (if both are, the one with a value > 1), else declared order.

Preprocessing default: stretch, RGB; a quantized input is fed raw pixel bytes (the
TF1 uint8 export has scale 1/128, zero point 128 = (x - 128) / 128); a float input
gets (x - 127.5) / 127.5.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ..errors import ModelError
from ..runtime.interpreter import TensorInfo
from .base import Decoder, PreprocessInfo, register


def _roles(outputs: list[TensorInfo]) -> dict[str, int] | None:
    """Indices of boxes, count and the two (1, N) tensors; None if the signature differs."""
    if len(outputs) != 4:
        return None
    boxes = [i for i, o in enumerate(outputs) if len(o.shape) == 3 and o.shape[0] == 1
             and o.shape[2] == 4]
    count = [i for i, o in enumerate(outputs) if int(np.prod(o.shape)) == 1 and len(o.shape) <= 2]
    if len(boxes) != 1 or len(count) != 1:
        return None
    n = outputs[boxes[0]].shape[1]
    pair = [i for i, o in enumerate(outputs) if o.shape == (1, n) and i not in count]
    if len(pair) != 2:
        return None
    return {"boxes": boxes[0], "count": count[0], "a": pair[0], "b": pair[1]}


def _suffix(name: str) -> str:
    return name.rsplit(":", 1)[1] if ":" in name else "0"


@register
class SsdDecoder(Decoder):
    """See module docstring. Options: ``class_offset`` (int, default 0) added to ids."""

    name: ClassVar[str] = "ssd"
    needs_nms: ClassVar[bool] = False
    default_preprocess: ClassVar[dict] = {
        "resize": "stretch", "channels": "rgb", "mean": (127.5, 127.5, 127.5),
        "scale": (1 / 127.5, 1 / 127.5, 1 / 127.5),
        "raw_quantized": True,  # quantized input: pixel bytes go straight in
    }

    def __init__(self, outputs: list[TensorInfo], options: dict | None = None) -> None:
        super().__init__(outputs, options)
        roles = _roles(outputs)
        if roles is None:
            raise ModelError("ssd decoder: outputs are not TFLite_Detection_PostProcess: "
                             + ", ".join(str(list(o.shape)) for o in outputs))
        self.roles = roles
        self.class_offset = int(self.options.get("class_offset", 0))
        # Name rule of the TFLite op: ":1" classes, ":2" scores.
        sa, sb = _suffix(outputs[roles["a"]].name), _suffix(outputs[roles["b"]].name)
        named = "TFLite_Detection_PostProcess" in outputs[roles["a"]].name
        if named and {sa, sb} == {"1", "2"}:
            self.classes_idx: int | None = roles["a"] if sa == "1" else roles["b"]
        else:
            self.classes_idx = None  # decide by value each call

    @classmethod
    def matches(cls, outputs: list[TensorInfo]) -> bool:
        return _roles(outputs) is not None

    def _split(self, outputs: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.roles["a"], self.roles["b"]
        if self.classes_idx is not None:
            ci = self.classes_idx
            si = b if ci == a else a
            return outputs[ci].reshape(-1)[:n], outputs[si].reshape(-1)[:n]
        va, vb = outputs[a].reshape(-1)[:n], outputs[b].reshape(-1)[:n]
        ia = bool(np.all(va == np.round(va)))
        ib = bool(np.all(vb == np.round(vb)))
        if ia and ib:  # e.g. all class 0 with scores exactly 0/1: prefer values > 1
            ia, ib = (True, False) if va.max(initial=0) > 1 or vb.max(initial=0) <= 1 \
                else (False, True)
        return (va, vb) if ia or not ib else (vb, va)

    def decode(self, outputs: list[np.ndarray], info: PreprocessInfo
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """-> boxes (n, 4) float32 xyxy input px, scores (n,) float32, classes (n,) int32."""
        boxes_out = outputs[self.roles["boxes"]].reshape(-1, 4)
        n_max = boxes_out.shape[0]
        n = int(np.clip(np.round(float(np.asarray(outputs[self.roles["count"]]).reshape(-1)[0])),
                        0, n_max))
        classes, scores = self._split(outputs, n)
        yx = np.clip(boxes_out[:n].astype(np.float32), 0.0, 1.0)
        boxes = np.empty((n, 4), np.float32)
        boxes[:, 0] = yx[:, 1] * np.float32(info.in_w)
        boxes[:, 1] = yx[:, 0] * np.float32(info.in_h)
        boxes[:, 2] = yx[:, 3] * np.float32(info.in_w)
        boxes[:, 3] = yx[:, 2] * np.float32(info.in_h)
        cls = np.round(classes).astype(np.int32) + np.int32(self.class_offset)
        return boxes, scores.astype(np.float32), cls
