"""Model metadata: a JSON sidecar ``MODEL.json`` next to ``MODEL.tflite``, or JSON
embedded in the .tflite file itself (written by the distillation toolkit).

Embedded form: the bytes ``EDGETRACKER_META:`` + UTF-8 JSON + ``:END_META`` appended
to a FlatBuffer metadata buffer. We look for that marker in the raw file, which is
cheap and needs no FlatBuffer schema. The sidecar wins when both exist.

Known keys (all optional): ``decoder`` (type), ``input_size`` [w, h], ``resize``
(``stretch``/``letterbox``), ``pad_value``, ``channels`` (``rgb``/``bgr``), ``mean``,
``scale`` (x_float = (x - mean) * scale), ``labels`` (list), ``prior_channel`` (bool),
``stride``.
"""

from __future__ import annotations

import json
import os

from ..errors import ModelError

META_BEGIN = b"EDGETRACKER_META:"
META_END = b":END_META"


def embed_bytes(meta: dict) -> bytes:
    """The marker-delimited bytes to store ``meta`` inside a model file."""
    return META_BEGIN + json.dumps(meta, sort_keys=True).encode() + META_END


def read_metadata(path: str, data: bytes | None = None) -> dict:
    """Metadata for the model at ``path`` ({} when none). Bad JSON is a ModelError naming the file."""
    sidecar = os.path.splitext(path)[0] + ".json"
    if os.path.isfile(sidecar):
        try:
            with open(sidecar, encoding="utf-8") as fh:
                meta = json.load(fh)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read model metadata {sidecar}: {exc}") from exc
        if not isinstance(meta, dict):
            raise ModelError(f"model metadata {sidecar} must be a JSON object")
        return meta
    if data is None:
        return {}
    start = data.rfind(META_BEGIN)
    if start < 0:
        return {}
    end = data.find(META_END, start)
    if end < 0:
        raise ModelError(f"{path}: embedded metadata is truncated")
    try:
        meta = json.loads(data[start + len(META_BEGIN):end].decode())
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelError(f"{path}: embedded metadata is not valid JSON: {exc}") from exc
    return meta if isinstance(meta, dict) else {}
