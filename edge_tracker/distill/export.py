"""TFLite export of a trained CenterNet: full-integer int8 (students) or float32
(teacher), plus the metadata sidecar ``MODEL.json`` so ``run`` needs no flags.

int8: every op int8 (``TFLITE_BUILTINS_INT8``), int8 input and outputs; the
representative set is real training frames (with their simulated priors for
prior-channel models), so activation ranges are those of the deployment scene.
The input is x / 255 in [0, 1] (prior channel too), quantized with scale 1/255.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable

import numpy as np

from ..runtime.metadata import read_metadata
from .student import NetSpec

HEAD_KEYS = ("heatmap", "offset", "size")


def convert(export_model, quantize: bool, representative: Callable[[], Iterable] | None
            ) -> bytes:
    import tensorflow as tf

    conv = tf.lite.TFLiteConverter.from_keras_model(export_model)
    if quantize:
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = representative
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    return conv.convert()


def head_names(tflite: bytes) -> dict[str, str]:
    """{'heatmap'|'size'|'offset': output tensor name} from the model's signature."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=tflite)
    sig = it._get_full_signature_list()
    outs = next(iter(sig.values()))["outputs"]
    by_index = {d["index"]: d["name"] for d in it.get_output_details()}
    return {k: by_index[outs[k]] for k in HEAD_KEYS if k in outs}


def metadata(spec: NetSpec, quantized: bool, heads: dict, extra: dict) -> dict:
    """The sidecar contents (keys documented in runtime/metadata.py)."""
    return {
        "decoder": "centernet", "input_size": [spec.in_w, spec.in_h], "resize": "stretch",
        "channels": "rgb", "mean": [0.0, 0.0, 0.0], "scale": [1 / 255.0] * 3,
        "labels": ["person"], "prior_channel": spec.prior_channel, "stride": spec.stride,
        "size_units": "stride", "heads": heads, "width": spec.width,
        "quantization": "int8" if quantized else "float32", **extra,
    }


def write_model(path: str, tflite: bytes, meta: dict) -> None:
    """Write MODEL.tflite and its MODEL.json sidecar (checked readable)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(tflite)
    side = os.path.splitext(path)[0] + ".json"
    with open(side, "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=1, sort_keys=True)
        fh.write("\n")
    assert read_metadata(path)["decoder"] == "centernet"


def representative_from(images: list[np.ndarray]) -> Callable[[], Iterable]:
    """A representative-dataset callable over (1,H,W,C) float32 inputs."""
    def gen():
        for x in images:
            yield [x.astype(np.float32)]
    return gen
