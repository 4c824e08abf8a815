"""Test doubles: TensorInfo builders and a Model around a fake interpreter."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge_tracker.runtime.interpreter import Model, TensorInfo

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SSD = DATA / "models" / "ssd_mobilenet_v1_quant" / "ssd_mobilenet_v1_quant.tflite"
YOLOX640 = DATA / "models" / "yolox_nano_640" / "yolox_nano_640_raw.tflite"
YOLOX416 = DATA / "models" / "yolox_nano_416" / "yolox_nano_416_decoded.tflite"
MOT_MINI = DATA / "mot" / "MOT17-mini"


def tinfo(shape, dtype=np.float32, name="t", index=0, scale=0.0, zero=0) -> TensorInfo:
    return TensorInfo(name=name, index=index, shape=tuple(shape), dtype=np.dtype(dtype),
                      scale=scale, zero_point=zero)


class FakeInterpreter:
    """Returns fixed outputs; records the last input."""

    def __init__(self, outputs: list[np.ndarray]) -> None:
        self.outputs = outputs
        self.last_input = None

    def set_tensor(self, index, x):
        self.last_input = x

    def invoke(self):
        pass

    def get_tensor(self, index):
        return self.outputs[index - 100]


def fake_model(inputs: list[TensorInfo], outputs: list[np.ndarray],
               output_names: list[str] | None = None, metadata: dict | None = None,
               path: str = "/models/fake.tflite") -> Model:
    names = output_names or [f"out{i}" for i in range(len(outputs))]
    infos = [tinfo(o.shape, o.dtype, names[i], 100 + i) for i, o in enumerate(outputs)]
    return Model(path=path, interpreter=FakeInterpreter(outputs), inputs=inputs, outputs=infos,
                 num_threads=1, runtime="fake", metadata=metadata or {})
