"""One TFLite model behind a small interface: quantize in, invoke, dequantize out.

Runtimes are tried in order: ``ai_edge_litert`` (LiteRT, NumPy 2 ready),
``tflite_runtime``, ``tensorflow.lite``. Delegates: ``edgetpu`` loads
``libedgetpu.so.1``; any other value is the path of an external delegate library,
given its options.
"""

from __future__ import annotations

import importlib
import logging
import os
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..errors import ModelError

log = logging.getLogger(__name__)

TFLITE_MAGIC = b"TFL3"  # FlatBuffer file identifier at byte offset 4 of every .tflite file
_RUNTIME_MODULES = (
    ("ai_edge_litert", "ai_edge_litert.interpreter"),
    ("tflite_runtime", "tflite_runtime.interpreter"),
    ("tensorflow", "tensorflow.lite"),
)
_cached_runtime: tuple[str, Any] | None = None


def _import_runtime() -> tuple[str, Any]:
    """(name, module with Interpreter and load_delegate) of the first runtime that imports."""
    global _cached_runtime
    if _cached_runtime is not None:
        return _cached_runtime
    errors = []
    for name, module in _RUNTIME_MODULES:
        try:
            mod = importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - a broken runtime must not stop the fallback
            errors.append(f"{module}: {type(exc).__name__}: {exc}")
            continue
        if name == "tensorflow":
            mod = _TfLiteShim(mod)
        _cached_runtime = (name, mod)
        return _cached_runtime
    raise ModelError(
        "no TFLite runtime could be imported; install one with `pip install ai-edge-litert`"
        " (tried " + "; ".join(errors) + ")"
    )


class _TfLiteShim:
    """tf.lite exposes load_delegate under tf.lite.experimental."""

    def __init__(self, lite: Any) -> None:
        self.Interpreter = lite.Interpreter
        self.load_delegate = lite.experimental.load_delegate


def runtime_name() -> str:
    """Name of the runtime in use, e.g. ``ai_edge_litert 2.3.0``."""
    name, _ = _import_runtime()
    try:
        version = importlib.import_module(name).__version__
    except (ImportError, AttributeError):
        version = "?"
    return f"{name} {version}"


@dataclass(frozen=True)
class TensorInfo:
    """Description of one input or output tensor."""

    name: str
    index: int
    shape: tuple[int, ...]
    dtype: np.dtype
    scale: float
    zero_point: int

    @property
    def quantized(self) -> bool:
        return self.scale != 0.0 and np.issubdtype(self.dtype, np.integer)


def _tensor_info(d: dict) -> TensorInfo:
    scale, zero = d.get("quantization", (0.0, 0))
    qp = d.get("quantization_parameters") or {}
    if qp.get("scales") is not None and len(qp["scales"]) == 1:
        scale, zero = float(qp["scales"][0]), int(qp["zero_points"][0])
    return TensorInfo(
        name=str(d["name"]), index=int(d["index"]), shape=tuple(int(s) for s in d["shape"]),
        dtype=np.dtype(d["dtype"]), scale=float(scale), zero_point=int(zero),
    )


def check_model_file(path: str) -> bytes:
    """Read ``path`` and check it looks like a TFLite FlatBuffer; the bytes on success."""
    if not os.path.exists(path):
        raise ModelError(f"model file not found: {path}")
    if os.path.isdir(path):
        raise ModelError(f"model path is a directory, not a .tflite file: {path}")
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc.strerror}") from exc
    if len(data) < 8 or data[4:8] != TFLITE_MAGIC:
        raise ModelError(
            f"not a TFLite model: {path} (expected the FlatBuffer identifier 'TFL3' at byte 4, "
            f"file is {len(data)} bytes)"
        )
    return data


@dataclass
class Model:
    """A loaded TFLite model. ``run(x)`` quantizes, invokes and returns dequantized float32 outputs."""

    path: str
    interpreter: Any
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    num_threads: int
    runtime: str
    delegate: str | None = None
    metadata: dict = field(default_factory=dict)

    @property
    def input(self) -> TensorInfo:
        return self.inputs[0]

    def quantize_input(self, x: np.ndarray, info: TensorInfo | None = None) -> np.ndarray:
        """float input (already normalised to the model's float domain) -> the tensor's dtype."""
        info = info or self.input
        if info.quantized and x.dtype != info.dtype:
            lim = np.iinfo(info.dtype)
            q = np.round(x.astype(np.float32) / np.float32(info.scale)) + info.zero_point
            return np.clip(q, lim.min, lim.max).astype(info.dtype)
        return x.astype(info.dtype, copy=False)

    def set_input(self, x: np.ndarray, i: int = 0) -> None:
        info = self.inputs[i]
        if tuple(x.shape) != info.shape:
            raise ModelError(
                f"{self.path}: input {i} ({info.name}) expects shape {list(info.shape)}, "
                f"got {list(x.shape)}")
        self.interpreter.set_tensor(info.index, x)

    def invoke(self) -> None:
        """Run the model; a kernel failure (a corrupt but loadable file) is a ModelError."""
        try:
            self.interpreter.invoke()
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{self.path}: invoke failed: {first}") from exc

    def get_outputs(self) -> list[np.ndarray]:
        """All outputs in declared order, dequantized to float32 when quantized."""
        outs = []
        for info in self.outputs:
            t = self.interpreter.get_tensor(info.index)
            if info.quantized:
                t = (t.astype(np.float32) - np.float32(info.zero_point)) * np.float32(info.scale)
            outs.append(t)
        return outs

    def run(self, *xs: np.ndarray) -> list[np.ndarray]:
        """Set each input (already in the tensor's dtype), invoke, return dequantized outputs."""
        for i, x in enumerate(xs):
            self.set_input(x, i)
        self.invoke()
        return self.get_outputs()

    def tensor_details(self) -> list[dict]:
        """Every tensor the interpreter knows (for feature-map selection by name)."""
        return self.interpreter.get_tensor_details()


def _load_delegates(mod: Any, delegate: str | None, options: dict | None) -> list:
    if not delegate:
        return []
    lib = "libedgetpu.so.1" if delegate == "edgetpu" else delegate
    try:
        return [mod.load_delegate(lib, options or {})]
    except (ValueError, OSError, RuntimeError) as exc:
        raise ModelError(f"cannot load delegate {delegate!r} (library {lib}): {exc}") from exc


def load_model(
    path: str,
    num_threads: int = 1,
    delegate: str | None = None,
    delegate_options: dict | None = None,
    preserve_all_tensors: bool = False,
    interpreter_factory: Callable[..., Any] | None = None,
) -> Model:
    """Load a .tflite file. Errors name the file and say what is wrong with it.

    num_threads: CPU threads for the interpreter (1..os.cpu_count()).
    delegate: None, ``edgetpu`` or a delegate library path.
    preserve_all_tensors: keep intermediate tensors readable (distillation features).
    interpreter_factory: injected Interpreter class (tests); defaults to the runtime's.
    """
    ncpu = os.cpu_count() or 1
    if not isinstance(num_threads, int) or isinstance(num_threads, bool) or \
            not 1 <= num_threads <= max(ncpu, 1):
        raise ModelError(f"num_threads must be an integer in 1..{ncpu} (cores here), got {num_threads!r}")
    data = check_model_file(path)
    if interpreter_factory is None:
        name, mod = _import_runtime()
        factory = mod.Interpreter
    else:
        name, mod = "injected", None
        factory = interpreter_factory
    delegates = _load_delegates(mod, delegate, delegate_options) if mod is not None else []
    kwargs: dict[str, Any] = {"model_content": data, "num_threads": num_threads}
    if delegates:
        kwargs["experimental_delegates"] = delegates
    if preserve_all_tensors:
        kwargs["experimental_preserve_all_tensors"] = True
    try:
        interp = factory(**kwargs)
        interp.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"cannot load TFLite model {path}: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}") from exc
    inputs = [_tensor_info(d) for d in interp.get_input_details()]
    outputs = [_tensor_info(d) for d in interp.get_output_details()]
    if not inputs or not outputs:
        raise ModelError(f"{path}: model has {len(inputs)} inputs and {len(outputs)} outputs; need at least one of each")
    from .metadata import read_metadata  # local import: metadata reads the same bytes

    return Model(path=path, interpreter=interp, inputs=inputs, outputs=outputs,
                 num_threads=num_threads, runtime=name, delegate=delegate,
                 metadata=read_metadata(path, data))
