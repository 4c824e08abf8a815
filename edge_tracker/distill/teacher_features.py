"""Teacher intermediate feature maps read through LiteRT (no TensorFlow).

The teacher .tflite is loaded with ``experimental_preserve_all_tensors`` so every
intermediate tensor stays readable after ``invoke()``; tensors are chosen by name
(``edge-tracker features MODEL`` lists the 4-D ones with shapes).

Alignment with the student: the teacher's input (e.g. YOLOX's 640x640 letterbox with
the image in the top-left) and the student's stretch-resized input cover the same
scene differently. For a teacher feature map of stride ``s`` the valid image region
is rows [pad_y, pad_y + src_h * sy) / s and columns [pad_x, pad_x + src_w * sx) / s;
that region is cropped and resized (area interpolation) to the student's feature
grid, so cell (i, j) of both maps looks at the same part of the frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..detect.base import PreprocessInfo
from ..errors import ModelError
from ..runtime.interpreter import Model, load_model


@dataclass(frozen=True)
class FeatureTensor:
    name: str
    index: int
    shape: tuple[int, ...]
    dtype: str


def list_feature_tensors(model: Model) -> list[FeatureTensor]:
    """All 4-D activation tensors (batch 1, spatial > 1x1) of a model, in graph order.
    Weights are excluded: they have no batch dimension of 1 or are constant buffers."""
    out = []
    for d in model.tensor_details():
        shape = tuple(int(v) for v in d["shape"])
        if len(shape) == 4 and shape[0] == 1 and shape[1] > 1 and shape[2] > 1:
            out.append(FeatureTensor(d["name"], int(d["index"]), shape,
                                     np.dtype(d["dtype"]).name))
    return out


def open_teacher(path: str, num_threads: int = 1) -> Model:
    return load_model(path, num_threads=num_threads, preserve_all_tensors=True)


def find_tensor(model: Model, name: str) -> FeatureTensor:
    feats = list_feature_tensors(model)
    hits = [f for f in feats if f.name == name] or [f for f in feats if name in f.name]
    if not hits:
        raise ModelError(f"{model.path}: no 4-D tensor named {name!r}; list them with "
                         f"`edge-tracker features {model.path}`")
    return hits[0]


def read_feature(model: Model, tensor: FeatureTensor) -> np.ndarray:
    """The tensor's current value as float32 (H, W, C), dequantized when int8/uint8."""
    d = next(t for t in model.tensor_details() if t["index"] == tensor.index)
    x = model.interpreter.get_tensor(tensor.index)[0]
    scale, zero = d.get("quantization", (0.0, 0))
    if scale:
        return (x.astype(np.float32) - np.float32(zero)) * np.float32(scale)
    return x.astype(np.float32)


def align_to_grid(feat: np.ndarray, info: PreprocessInfo, grid_w: int, grid_h: int
                  ) -> np.ndarray:
    """Crop a teacher feature map (H, W, C) to the image region (see module doc) and
    resize it to (grid_h, grid_w, C) float32."""
    h, w = feat.shape[:2]
    sx_cells, sy_cells = w / info.in_w, h / info.in_h   # cells per input pixel
    x0 = int(np.floor(info.pad_x * sx_cells))
    y0 = int(np.floor(info.pad_y * sy_cells))
    x1 = int(np.ceil((info.pad_x + info.src_w * info.sx) * sx_cells))
    y1 = int(np.ceil((info.pad_y + info.src_h * info.sy) * sy_cells))
    crop = feat[max(y0, 0):min(y1, h), max(x0, 0):min(x1, w)]
    # cv2 area resize handles at most 4 channels at a time
    chans = [cv2.resize(np.ascontiguousarray(crop[:, :, c:c + 4]), (grid_w, grid_h),
                        interpolation=cv2.INTER_AREA) for c in range(0, crop.shape[2], 4)]
    out = np.concatenate([c.reshape(grid_h, grid_w, -1) for c in chans], axis=2)
    return out.astype(np.float32)
