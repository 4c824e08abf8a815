"""TFLite inference through LiteRT (falling back to tflite_runtime, then tf.lite)."""

from .interpreter import Model, TensorInfo, load_model, runtime_name

__all__ = ["Model", "TensorInfo", "load_model", "runtime_name"]
